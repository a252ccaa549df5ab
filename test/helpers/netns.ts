/**
 * Network namespaces for tests: unique names, documentation address ranges, and removal even when a test
 * fails. Requires root and iproute2. Nothing here touches the host's own routes, interfaces or resolv.conf.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { recordNetns, recordPid } from '../prereq/run-registry.js';

const created = new Set<string>();
let counter = 0;

/** Throws (never skips) when the test cannot run: in CI a missing prerequisite is a failure. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (network namespaces)');
}

/** Runs a command and returns its stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    if (opts.allowFail) return '';
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Creates a namespace with a unique name (prefix + pid + counter) and brings its loopback up. */
export function createNetns(prefix: string): string {
  const name = `${prefix}-${process.pid}-${++counter}`.slice(0, 30);
  run('ip', ['netns', 'add', name]);
  created.add(name);
  recordNetns(name);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

/** Deletes a namespace (and its /etc/netns/NAME folder) if it exists; never throws. */
export function deleteNetns(name: string): void {
  run('ip', ['netns', 'pids', name], { allowFail: true })
    .split('\n')
    .filter(Boolean)
    .forEach((pid) => {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* already gone */
      }
    });
  run('ip', ['netns', 'delete', name], { allowFail: true });
  rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  created.delete(name);
}

/** Deletes every namespace this process created. Call from afterAll. */
export function deleteAllNetns(): void {
  for (const name of [...created]) deleteNetns(name);
}

process.on('exit', deleteAllNetns);

/** Runs a command inside a namespace and returns stdout. */
export function nsRun(ns: string, cmd: string, args: string[], opts: { input?: string; allowFail?: boolean } = {}): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/** Starts a long-running process inside a namespace. The caller ends it by its pid. */
export function nsSpawn(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  recordPid(child.pid); // the run's teardown ends it if the test did not
  return child;
}

/**
 * Connects two namespaces with a veth pair and gives each end an address (CIDR form, e.g. 198.51.100.1/24).
 * Returns the interface names (aIf in a, bIf in b).
 */
export function linkNetns(a: string, aAddr: string, b: string, bAddr: string): { aIf: string; bIf: string } {
  const id = `${process.pid % 10000}${++counter}`;
  const aIf = `va${id}`.slice(0, 15);
  const bIf = `vb${id}`.slice(0, 15);
  run('ip', ['link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b]);
  run('ip', ['-n', a, 'addr', 'add', aAddr, 'dev', aIf]);
  run('ip', ['-n', b, 'addr', 'add', bAddr, 'dev', bIf]);
  run('ip', ['-n', a, 'link', 'set', aIf, 'up']);
  run('ip', ['-n', b, 'link', 'set', bIf, 'up']);
  return { aIf, bIf };
}

/** The namespaces that exist right now (`ip netns list`). */
export function listNetns(): string[] {
  return run('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** The pids of processes running inside a namespace (`ip netns pids`); empty when none or the namespace is gone. */
export function netnsPids(ns: string): number[] {
  return run('ip', ['netns', 'pids', ns], { allowFail: true })
    .split('\n')
    .filter(Boolean)
    .map(Number);
}

/** Whether a process with this pid exists (signal 0). Zombies count as alive until reaped. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Throws (never skips) when one of these executables is missing: name them by absolute path or as on PATH. */
export function requireBinaries(paths: readonly string[]): void {
  const missing = paths.filter((p) => run('sh', ['-c', 'command -v "$1"', 'sh', p], { allowFail: true }).trim() === '');
  if (missing.length > 0) throw new Error(`missing prerequisites (install them, never skip): ${missing.join(', ')}`);
}

/**
 * Starts a long-running process inside a namespace AND a private mount namespace whose /run is a fresh tmpfs,
 * so that daemons writing /run/charon.pid or vpnc-script's /var/run/vpnc state never clash with the host's or
 * each other's. `ip netns exec`, `unshare` and the shell all exec, so the child's pid is the program's pid.
 */
export function nsSpawnPrivateRun(ns: string, cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  const script = 'mount -t tmpfs tmpfs /run && exec "$0" "$@"';
  return nsSpawn(ns, 'unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, cmd, ...args], opts);
}

/** How a child process ended. */
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child has exited (at once if it already has). */
export function childExit(child: ChildProcess): Promise<ExitStatus> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal` to the child by its pid, waits up to `graceMs`, then SIGKILLs it. Returns how it ended. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<ExitStatus> {
  const exited = childExit(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return exited;
  process.kill(child.pid, signal);
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
  }, graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
