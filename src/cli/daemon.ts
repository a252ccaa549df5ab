/**
 * Background mode. Node cannot fork, so the foreground process starts a detached copy of itself (a new
 * session, like vpnc's setsid) and hands it the complete configuration over an IPC channel (never argv or
 * the environment: it holds secrets). The daemon connects while the foreground process relays its output
 * and answers its password prompts; once the tunnel is up the foreground process prints vpnc's
 * "VPNC started in background (pid: N)..." and exits 0, and the daemon logs to syslog from then on.
 * If the daemon fails before that, the foreground process exits with the daemon's exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { VpncConfig } from '../config/validate.js';
import { describeError, exitCodeFor } from './exit-codes.js';
import { runConnection } from './connect.js';
import { readSecret, type PromptIo } from './prompt.js';

/** Environment marker telling bin/vpnc.js to run as the daemon half. */
export const DAEMON_ENV = 'VPNC_TS_DAEMON';

type ToDaemon = { type: 'config'; config: VpncConfig } | { type: 'secret'; id: number; value: string | null };
type FromDaemon = { type: 'prompt'; id: number; text: string } | { type: 'up'; pid: number };

const BIN = fileURLToPath(new URL('../../bin/vpnc.js', import.meta.url));

/** Foreground half: starts the daemon and waits until it is up or has failed. */
export function startDaemon(config: VpncConfig, prompt: PromptIo, err: (t: string) => void, out: (t: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // The service manager hears the process it started, not its background child (NotifyAccess=main).
      env: { ...withoutNotifySocket(process.env), [DAEMON_ENV]: '1' },
      cwd: process.cwd(),
    });
    child.stdout!.on('data', (d: Buffer) => out(d.toString()));
    child.stderr!.on('data', (d: Buffer) => err(d.toString()));
    let up = false;
    child.on('message', (m: FromDaemon) => {
      if (m.type === 'prompt') {
        const value = readSecret(prompt, m.text, config.passwordHelper);
        child.send({ type: 'secret', id: m.id, value } satisfies ToDaemon);
      } else if (m.type === 'up') {
        up = true;
        out(`VPNC started in background (pid: ${m.pid})...\n`);
        child.stdout!.destroy();
        child.stderr!.destroy();
        child.disconnect();
        child.unref();
        resolve(0);
      }
    });
    child.on('exit', (code, signal) => {
      if (!up) resolve(code ?? (signal ? 1 : 1));
    });
    child.send({ type: 'config', config } satisfies ToDaemon);
  });
}

/** What a prompt sees once detached: no terminal, nothing to read, nothing shown (the helper answers). */
const DETACHED_IO: PromptIo = { input: { readLine: () => null }, write: () => {}, isTerminal: false };

/** Sends a log line to syslog (facility daemon), as vpnc does once detached. */
function syslog(line: string): void {
  spawnSync('logger', ['-t', `vpnc[${process.pid}]`, '-p', 'daemon.notice', '--', line], { stdio: 'ignore' });
}

/** Daemon half: receives the configuration, connects, reports "up", then runs detached. */
export function runDaemon(): Promise<number> {
  return new Promise((resolve) => {
    let attached = true;
    let nextId = 1;
    const pending = new Map<number, (v: string | null) => void>();
    const write = (fd: 'stdout' | 'stderr', text: string) => {
      if (attached) process[fd].write(text);
    };
    process.stdout.on('error', () => {});
    process.stderr.on('error', () => {});
    // The foreground process went away (Ctrl-C, killed) before the tunnel was up: give up, cleaning up.
    process.on('disconnect', () => {
      if (attached) {
        attached = false;
        process.kill(process.pid, 'SIGTERM');
      }
    });
    process.on('message', (m: ToDaemon) => {
      if (m.type === 'secret') {
        pending.get(m.id)?.(m.value);
        pending.delete(m.id);
        return;
      }
      const config = m.config;
      runConnection(config, {
        prompt: DETACHED_IO,
        askSecret: (text) =>
          new Promise((res) => {
            // A password helper answers here, before and after detaching (a re-authentication in the background).
            if (config.passwordHelper && !attached) return res(readSecret(DETACHED_IO, text, config.passwordHelper));
            if (!attached || !process.connected) return res(null);
            const id = nextId++;
            pending.set(id, res);
            process.send!({ type: 'prompt', id, text } satisfies FromDaemon);
          }),
        logSink: (line) => (attached ? write('stderr', `vpnc: ${line}\n`) : syslog(line)),
        print: (text) => write('stdout', text),
        onUp: (pid) => {
          if (!attached) return;
          attached = false;
          process.send!({ type: 'up', pid } satisfies FromDaemon);
          process.disconnect();
        },
        detached: () => !attached,
      }).then(resolve, (e: unknown) => {
        const line = describeError(e);
        if (attached) write('stderr', `vpnc: ${line}\n`);
        else syslog(line);
        resolve(exitCodeFor(e));
      });
    });
  });
}

/** `env` without NOTIFY_SOCKET. */
function withoutNotifySocket(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { NOTIFY_SOCKET: _notify, ...rest } = env;
  return rest;
}
