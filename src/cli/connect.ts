/**
 * Runs a connection for the `vpnc` command: logging, signals, the pid file, the foreground message, and
 * the mapping of how it ended to an exit code (0 normal end, 1 failure, 2 authentication failure).
 */
import { unlinkSync } from 'node:fs';
import { writePidFile } from './pid-file.js';
import type { VpncConfig } from '../config/validate.js';
import { Logger } from '../log.js';
import { VpncError } from '../errors.js';
import { VpnClient } from '../session/client.js';
import type { EndReason } from '../session/client-hooks.js';
import { SessionTracer } from '../session/trace/tracer.js';
import { VERSION, VPNC_COMPAT_VERSION } from '../version.js';
import { controlPathFor, serveControl, type ControlServer } from './control-socket.js';
import { ExitCode } from './exit-codes.js';
import type { PromptIo } from './prompt.js';
import { readSecret } from './prompt.js';
import { serviceNotifier } from '../io/index.js';

export interface ConnectIo {
  prompt: PromptIo;
  /** Log lines (vpnc prefixes them with "vpnc: " on stderr when not detached). */
  logSink: (line: string) => void;
  /** Called when the tunnel is up, before the foreground message. */
  onUp?: (pid: number) => void;
  /** Messages for the user (stdout). */
  print: (text: string) => void;
  /** Asks for an XAUTH secret another way (the daemon asks its foreground process); default: the prompt. */
  askSecret?: (prompt: string) => Promise<string | null>;
  /** True once detached: script output is then captured and logged. */
  detached?: () => boolean;
}

/**
 * The diagnostic trace for this run: a pcapng file (--trace), Wireshark keys (--trace-keys), and the
 * packet and key lines of the debug log (levels 1, 3, 99). None when none of these is asked for.
 */
export function createTracer(config: Pick<VpncConfig, 'trace' | 'traceKeys' | 'debug'>, log: Logger): SessionTracer | undefined {
  if (config.trace === undefined && config.traceKeys === undefined && config.debug < 1) return undefined;
  return new SessionTracer({ log, traceFile: config.trace, keysFile: config.traceKeys });
}

/** The exit code for how a connection ended. */
export function exitCodeForEnd(end: EndReason): number {
  return end.kind === 'dead-peer' ? ExitCode.failure : ExitCode.ok;
}

export async function runConnection(config: VpncConfig, io: ConnectIo): Promise<number> {
  // Typed errors are one line to the user: their stacks only cost (junk from the network is rejected with them).
  VpncError.captureStacks = config.debug >= 3;
  const log = new Logger({ level: config.debug, sink: io.logSink, timestamps: config.debug >= 1 });
  log.at(1)?.(`vpnc (TypeScript) version ${VERSION}, compatible with vpnc ${VPNC_COMPAT_VERSION}`);
  log.at(99)?.(`IPSec secret: "${config.secret}" (hex ${Buffer.from(config.secret).toString('hex')})`);
  const tracer = createTracer(config, log);
  // A service manager's (systemd Type=notify) READY=1 when the tunnel is up, STOPPING=1 at teardown.
  const notify = serviceNotifier(process.env, (m) => log.notice(m));
  let pidWritten = false;
  let control: ControlServer | undefined;
  const client = new VpnClient(config, log, {
    promptSecret: io.askSecret ?? (async (prompt) => readSecret(io.prompt, prompt, config.passwordHelper)),
    ...(tracer ? { trace: tracer } : {}),
    ...(tracer?.wantsPackets ? { datapathTap: tracer } : {}),
    ...(tracer ? { dropTap: tracer } : {}),
    ...(io.detached ? { detached: io.detached } : {}),
    onUp: ({ tunDev, address, gateway }) => {
      notify(['READY=1', `STATUS=connected to ${gateway}: ${address} on ${tunDev}`]);
      if (config.pidFile) {
        writePidFile(config.pidFile);
        pidWritten = true;
        control = serveControl(controlPathFor(config.pidFile), () => client.status(), (m) => log.notice(m));
      }
      io.onUp?.(process.pid);
    },
    onStopping: () => notify(['STOPPING=1', 'STATUS=disconnecting']),
  });
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  // vpnc honours SIGHUP only when it was not ignored at start (nohup).
  if (process.listenerCount('SIGHUP') === 0) signals.push('SIGHUP');
  const handlers = signals.map((s) => {
    const h = () => client.stop(s);
    process.on(s, h);
    return [s, h] as const;
  });
  try {
    const end = await client.run();
    return exitCodeForEnd(end);
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
    control?.close();
    tracer?.close();
    if (pidWritten) {
      try {
        unlinkSync(config.pidFile);
      } catch {
        /* already gone */
      }
    }
  }
}
