/**
 * The real systemd-resolved (Debian's, unpacked by scripts/test-all.sh, never installed) in a test's network
 * namespace: its own mount namespace with a tmpfs /run, a copy of /etc/passwd and /etc/group that has the
 * systemd-resolve user, a private system bus (dbus-daemon) whose socket lives in the test's temp dir so that
 * resolvectl reaches it from any mount namespace. `binDir` holds a resolvectl that finds the bus and the unpacked
 * library: put it first on PATH. Facts from ../shared/reference/desktop-components.md, measured here.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadPrerequisites, unpackedPath } from '../prereq/check.js';
import { writePrivateBusConfig } from './private-bus.js';
import { nsRun, nsSpawn, stopChild, waitFor } from './netns.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Resolved {
  /** A folder with `resolvectl` that talks to this resolved: put it first on PATH. */
  readonly binDir: string;
  /** Runs resolvectl in the namespace; returns its output (throws on failure). Blocks: not for queries. */
  resolvectl(args: string[]): string;
  /**
   * `resolvectl query` without blocking the event loop (the answer may need the test's own in-process gateway
   * to forward it); resolves with the output, success or not.
   */
  query(name: string): Promise<string>;
  /** Ends resolved and its bus, removes the temp dir. */
  stop(): Promise<void>;
}

/** Starts resolved in `ns` with `globalDns` as its global (non-link) DNS server. */
export async function startResolved(ns: string, globalDns: string): Promise<Resolved> {
  const table = loadPrerequisites(ROOT);
  const unpacked = (p: string) => unpackedPath(table, p);
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-resolved-'));
  chmodSync(dir, 0o755); // resolved runs as systemd-resolve and must reach the bus socket
  const bus = join(dir, 'bus');
  const lib = unpacked('usr/lib/x86_64-linux-gnu/systemd');
  const { config: busConfig } = writePrivateBusConfig(dir, [unpacked('usr/share/dbus-1/system.d')]);
  const withUser = (file: string, line: string) => {
    const text = readFileSync(file, 'utf8');
    return text.split('\n').some((l) => l.startsWith('systemd-resolve:')) ? text : `${text.replace(/\n?$/, '\n')}${line}\n`;
  };
  writeFileSync(join(dir, 'passwd'), withUser('/etc/passwd', 'systemd-resolve:x:990:990:systemd Resolver:/:/usr/sbin/nologin'));
  writeFileSync(join(dir, 'group'), withUser('/etc/group', 'systemd-resolve:x:990:'));
  writeFileSync(join(dir, 'start.sh'), [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'mkdir -p /run/dbus /run/systemd/resolved.conf.d',
    `printf '[Resolve]\\nDNS=${globalDns}\\nLLMNR=no\\nMulticastDNS=no\\nDNSSEC=no\\n' > /run/systemd/resolved.conf.d/test.conf`,
    `mount --bind ${dir}/passwd /etc/passwd`,
    `mount --bind ${dir}/group /etc/group`,
    `dbus-daemon --config-file=${busConfig} --fork --print-pid > ${dir}/dbus.pid`,
    `export DBUS_SYSTEM_BUS_ADDRESS=unix:path=${bus} LD_LIBRARY_PATH=${lib}`,
    `exec ${unpacked('lib/systemd/systemd-resolved')}`,
    '',
  ].join('\n'));
  const binDir = join(dir, 'bin');
  mkdirSync(binDir);
  const resolvectl = join(binDir, 'resolvectl');
  writeFileSync(resolvectl, `#!/bin/sh\nexport DBUS_SYSTEM_BUS_ADDRESS=unix:path=${bus} LD_LIBRARY_PATH=${lib}\nexec ${unpacked('usr/bin/resolvectl')} "$@"\n`);
  chmodSync(resolvectl, 0o755);
  const child: ChildProcess = nsSpawn(ns, 'unshare', ['-m', '--propagation', 'private', 'sh', join(dir, 'start.sh')]);
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const run = (args: string[]) => nsRun(ns, resolvectl, args);
  await waitFor('systemd-resolved on its bus', () => {
    if (child.exitCode !== null) throw new Error(`systemd-resolved exited (${child.exitCode}):\n${log}`);
    try {
      return run(['status']).includes(globalDns) ? true : undefined;
    } catch {
      return undefined;
    }
  }, 10_000);
  return {
    binDir,
    resolvectl: run,
    query: (name) =>
      new Promise((resolve) => {
        const q = spawn('ip', ['netns', 'exec', ns, resolvectl, 'query', '--cache=no', name], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        q.stdout.on('data', (d: Buffer) => (out += d.toString()));
        q.stderr.on('data', (d: Buffer) => (out += d.toString()));
        q.on('close', () => resolve(out));
      }),
    stop: async () => {
      await stopChild(child);
      try {
        process.kill(Number(readFileSync(join(dir, 'dbus.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        /* gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
