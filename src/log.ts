/**
 * A levelled logger with lazy formatting, using vpnc's debug levels:
 *   0 nothing but errors and notices, 1 progress, 2 state-machine steps, 3 packet dumps and key material,
 *   99 secrets (passwords, group secret).
 * A call site asks for the writer of its level and calls it through optional chaining, so that when the level is
 * off neither the message (a template literal) nor a closure is built: `?.` skips evaluating the arguments.
 *   log.at(2)?.(`S4.3 AM packet_1 ${spi}`)
 */
export type LogSink = (line: string) => void;

/** Writes one message (possibly several lines) at the level it was obtained for. */
export type LogWriter = (message: string) => void;

export const DebugLevel = {
  none: 0,
  progress: 1,
  steps: 2,
  packets: 3,
  secrets: 99,
} as const;

export class Logger {
  level: number;
  timestamps: boolean;
  private readonly sink: LogSink;

  constructor(opts: { level?: number; sink?: LogSink; timestamps?: boolean } = {}) {
    this.level = opts.level ?? 0;
    this.sink = opts.sink ?? ((line) => process.stderr.write(line + '\n'));
    this.timestamps = opts.timestamps ?? false;
  }

  /** True when messages of this debug level are written; use it to skip work on the hot path. */
  enabled(level: number): boolean {
    return this.level >= level;
  }

  /**
   * The writer of debug level `level`, or undefined when that level is off: `log.at(2)?.(\`...\`)` builds the message
   * only when it is written, and allocates nothing otherwise (no closure, unlike a `() => string` argument).
   */
  at(level: number): LogWriter | undefined {
    return this.level >= level ? this.writer : undefined;
  }

  private readonly writer: LogWriter = (message) => this.write(message);

  /** Always written: what a user must see (warnings, notices). */
  notice(message: string): void {
    this.write(message);
  }

  warn(message: string): void {
    this.write(`warning: ${message}`);
  }

  error(message: string): void {
    this.write(message);
  }

  private write(text: string): void {
    if (this.timestamps) {
      const t = new Date().toISOString().slice(11, 23);
      for (const line of text.split('\n')) this.sink(`${t} ${line}`);
    } else {
      this.sink(text);
    }
  }
}

/** A logger that drops everything; the default for library code and tests. */
export const silentLogger = new Logger({ level: 0, sink: () => {} });
