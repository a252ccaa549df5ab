/**
 * Runs the configured route script the way vpnc's `system(Script)` does: `/bin/sh -c <Script>`, so the
 * `Script` setting may carry arguments as users expect. The command line comes only from the user's
 * configuration; everything the gateway sent travels in the environment built by `env.ts`, never in the
 * command, so a banner full of `$(...)` stays a string.
 *
 * The script runs in its own process group (a terminal's Ctrl-C must not cut a route change in half); a
 * timeout ends the whole group, SIGTERM first, then SIGKILL.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';
import type { ScriptEnv } from './env.js';
import { ScriptError, ScriptErrorCode } from './errors.js';

/** Defaults, named in one place. */
export const ScriptDefaults = {
  shell: '/bin/sh',
  timeoutMs: 60_000,
  killGraceMs: 2_000,
  /** Bytes of stdout and of stderr kept when capturing; the rest is counted and dropped. */
  maxCaptureBytes: 1 << 20,
  /** How long to wait for output pipes to close after the shell exited (a hook may leave a daemon holding them). */
  drainMs: 500,
} as const;

/** How the script's output is handled. */
export type ScriptOutput = 'inherit' | 'capture';

/** Options of {@link runScript}. */
export interface RunScriptOptions {
  /** The `Script` setting: a shell command line from the user's configuration. */
  command: string;
  /** The complete environment (see `buildScriptEnv`); nothing else is inherited. */
  env: ScriptEnv;
  /** `inherit`: the script writes to our stdout/stderr (connect runs before daemonizing); `capture`: collected. */
  output?: ScriptOutput;
  /** Milliseconds before the script's process group gets SIGTERM; 0 = no limit. */
  timeoutMs?: number;
  /** Milliseconds between SIGTERM and SIGKILL after a timeout. */
  killGraceMs?: number;
  /** Working directory; relative script paths are checked against it. */
  cwd?: string;
  /** The shell, `/bin/sh` unless a test says otherwise. */
  shell?: string;
  maxCaptureBytes?: number;
}

/** How the script ended. */
export type ScriptExit =
  | { kind: 'exited'; status: number }
  | { kind: 'signaled'; signal: NodeJS.Signals }
  | { kind: 'timed-out'; signal: NodeJS.Signals | null };

/** The outcome of one run. A script that failed is a result to log, as vpnc does; only not starting is an error. */
export interface ScriptResult {
  exit: ScriptExit;
  /** Captured output (empty when inherited). */
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** True when the script ran and exited 0. */
export function scriptSucceeded(result: ScriptResult): boolean {
  return result.exit.kind === 'exited' && result.exit.status === 0;
}

/** A one-line description of how the script ended, for logs. */
export function describeScriptExit(exit: ScriptExit): string {
  switch (exit.kind) {
    case 'exited':
      return exit.status === 0 ? 'succeeded' : `exited with status ${exit.status}`;
    case 'signaled':
      return `killed by ${exit.signal}`;
    case 'timed-out':
      return `timed out${exit.signal ? ` (ended by ${exit.signal})` : ''}`;
    default: {
      const never: never = exit;
      return String(never);
    }
  }
}

/**
 * The program a command line names when it is a single plain word (a path or a command name without shell
 * syntax); undefined for anything else, which only the shell can interpret.
 */
export function plainCommandWord(command: string): string | undefined {
  const word = command.trim();
  return /^[A-Za-z0-9_./+@%,:=-]+$/.test(word) ? word : undefined;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws a clear {@link ScriptError} when a single-word `Script` names nothing runnable, instead of letting
 * the shell answer "not found" with status 127. Commands with shell syntax are left to the shell.
 */
export function checkScriptCommand(command: string, env: ScriptEnv, cwd: string): void {
  if (command.trim() === '') throw new ScriptError(ScriptErrorCode.missing, 'no route script configured (Script is empty)');
  const word = plainCommandWord(command);
  if (word === undefined) return;
  if (word.includes('/')) {
    const path = isAbsolute(word) ? word : resolve(cwd, word);
    if (!isExecutableFile(path)) {
      throw new ScriptError(ScriptErrorCode.missing, `route script ${path} does not exist or is not executable`);
    }
    return;
  }
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  if (!dirs.some((dir) => isExecutableFile(resolve(cwd, dir, word)))) {
    throw new ScriptError(ScriptErrorCode.missing, `route script ${word} not found on PATH (${env.PATH ?? 'unset'})`);
  }
}

/** Collects a stream up to a byte limit. */
class Capture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;
  constructor(private readonly limit: number) {}
  add(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room <= 0) {
      this.dropped += chunk.length;
      return;
    }
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
    this.dropped += chunk.length - part.length;
  }
  text(): string {
    const body = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${body}\n[${this.dropped} more bytes dropped]` : body;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is already gone */
  }
}

/**
 * Runs `/bin/sh -c <command>` with exactly `env`, and resolves when it has ended. Rejects only when the
 * script cannot be started ({@link ScriptError}); a non-zero status, a signal or a timeout is a result.
 */
export function runScript(opts: RunScriptOptions): Promise<ScriptResult> {
  const cwd = opts.cwd ?? process.cwd();
  checkScriptCommand(opts.command, opts.env, cwd);
  const capture = (opts.output ?? 'capture') === 'capture';
  const timeoutMs = opts.timeoutMs ?? ScriptDefaults.timeoutMs;
  const graceMs = opts.killGraceMs ?? ScriptDefaults.killGraceMs;
  const stdout = new Capture(opts.maxCaptureBytes ?? ScriptDefaults.maxCaptureBytes);
  const stderr = new Capture(opts.maxCaptureBytes ?? ScriptDefaults.maxCaptureBytes);
  const started = Date.now();

  return new Promise((resolvePromise, reject) => {
    const child = spawn(opts.shell ?? ScriptDefaults.shell, ['-c', opts.command], {
      env: opts.env,
      cwd,
      detached: true,
      stdio: ['ignore', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    });
    child.stdout?.on('data', (c: Buffer) => stdout.add(c));
    child.stderr?.on('data', (c: Buffer) => stderr.add(c));

    let timedOut = false;
    let lastSignal: NodeJS.Signals | null = null;
    const timers: NodeJS.Timeout[] = [];
    if (timeoutMs > 0) {
      timers.push(
        setTimeout(() => {
          if (child.pid === undefined) return;
          timedOut = true;
          lastSignal = 'SIGTERM';
          killGroup(child.pid, 'SIGTERM');
          timers.push(
            setTimeout(() => {
              lastSignal = 'SIGKILL';
              if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
            }, graceMs),
          );
        }, timeoutMs),
      );
    }

    let settled = false;
    const finish = (exit: ScriptExit): void => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolvePromise({ exit, stdout: stdout.text(), stderr: stderr.text(), durationMs: Date.now() - started });
    };

    child.once('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      timers.forEach(clearTimeout);
      reject(new ScriptError(ScriptErrorCode.spawn, `cannot start ${opts.shell ?? ScriptDefaults.shell}: ${err.message}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      const exit: ScriptExit = timedOut
        ? { kind: 'timed-out', signal: signal ?? lastSignal }
        : signal !== null
          ? { kind: 'signaled', signal }
          : { kind: 'exited', status: code ?? 0 };
      if (timedOut && child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      // Output pipes normally close at once; a background process left by a hook may hold them open.
      child.once('close', () => finish(exit));
      timers.push(setTimeout(() => finish(exit), ScriptDefaults.drainMs));
    });
  });
}
