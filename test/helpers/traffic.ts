/**
 * Traffic through the test bed: ping, TCP transfers checked by sha256 (a tiny Node peer runs in each
 * namespace), and packet captures with tcpdump. Every process is started by us and ended by its pid.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { nsSpawn, stopChild, waitFor } from './netns.js';

const execFileAsync = promisify(execFile);

/** Runs a command in a namespace without blocking the event loop; rejects with stderr on failure or timeout. */
export async function nsExec(ns: string, cmd: string, args: string[], timeoutMs = 20_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: timeoutMs, maxBuffer: 16 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} in ${ns} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

/** Result of a ping run. */
export interface PingResult {
  transmitted: number;
  received: number;
  output: string;
}

/** Pings `target` from namespace `ns` (`count` probes `intervalSeconds` apart, 0.2 s by default); does not throw on loss. */
export async function ping(ns: string, target: string, count = 3, intervalSeconds = 0.2): Promise<PingResult> {
  const output = await execFileAsync('ip', ['netns', 'exec', ns, 'ping', ...(target.includes(':') ? ['-6'] : []), '-n', '-c', String(count), '-i', String(intervalSeconds), '-W', '2', target], {
    timeout: Math.max(20_000, count * intervalSeconds * 1000 + 10_000),
  }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  const m = /(\d+) packets transmitted, (\d+) received/.exec(output);
  return { transmitted: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), output };
}

/** Pings once at a time until an answer comes or `timeoutMs` passes; true when traffic came back. */
export async function pingUntilAnswered(ns: string, target: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) if ((await ping(ns, target, 1)).received === 1) return true;
  return false;
}

/**
 * The TCP peer, run by `node FILE MODE ...`. Modes: `sink PORT`, `source PORT BYTES` (servers on 0.0.0.0, print
 * `listening`, then one JSON line per connection), `send HOST PORT BYTES` and `recv HOST PORT` (clients, one JSON
 * line). JSON lines are `{"bytes":N,"sha256":"..."}`. Data is random, so a match proves the bytes crossed intact.
 */
export const TCP_PEER_SOURCE = String.raw`
const net = require('node:net');
const crypto = require('node:crypto');
const [mode, a, b, c] = process.argv.slice(2);
const report = (bytes, hash) => process.stdout.write(JSON.stringify({ bytes, sha256: hash.digest('hex') }) + '\n');
function sendRandom(sock, total) {
  const hash = crypto.createHash('sha256');
  let left = total;
  const pump = () => {
    while (left > 0) {
      const chunk = crypto.randomBytes(Math.min(left, 65536));
      left -= chunk.length;
      hash.update(chunk);
      if (!sock.write(chunk)) return sock.once('drain', pump);
    }
    sock.end();
    report(total, hash);
  };
  pump();
}
function sinkAll(sock, done) {
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  sock.on('data', (d) => { bytes += d.length; hash.update(d); });
  sock.on('end', () => { report(bytes, hash); sock.end(); done && done(); });
}
if (mode === 'sink' || mode === 'source') {
  const server = net.createServer((sock) => (mode === 'sink' ? sinkAll(sock) : sendRandom(sock, Number(b))));
  server.listen(Number(a), process.env.TCP_PEER_LISTEN || '0.0.0.0', () => process.stdout.write('listening\n'));
} else if (mode === 'send') {
  const sock = net.connect(Number(b), a, () => sendRandom(sock, Number(c)));
  sock.resume();
} else if (mode === 'recv') {
  const sock = net.connect(Number(b), a);
  sinkAll(sock);
} else {
  process.stderr.write('unknown mode ' + mode + '\n');
  process.exit(2);
}
`;

/** One end's view of a transfer. */
export interface TransferDigest {
  bytes: number;
  sha256: string;
}

/** Both ends' digests of a transfer in one direction. */
export interface TransferResult {
  sent: TransferDigest;
  received: TransferDigest;
}

function parseDigest(line: string | undefined, who: string): TransferDigest {
  if (!line) throw new Error(`no digest from ${who}`);
  return JSON.parse(line) as TransferDigest;
}

async function withServer<T>(ns: string, peer: string, args: string[], body: (lines: () => string[]) => Promise<T>, listen = '0.0.0.0'): Promise<T> {
  const server: ChildProcess = nsSpawn(ns, process.execPath, [peer, ...args], { env: { ...process.env, TCP_PEER_LISTEN: listen } });
  let out = '';
  server.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  server.stderr?.resume();
  const lines = (): string[] => out.split('\n').filter((l) => l.startsWith('{'));
  try {
    await waitFor('TCP peer listening', () => (out.includes('listening') ? true : undefined), 10_000);
    return await body(lines);
  } finally {
    await stopChild(server, 'SIGTERM', 2000);
  }
}

/**
 * Moves `bytes` random bytes from `clientNs` to `server`:`port` in `serverNs` (upload) and the same amount
 * back (download), each over its own TCP connection initiated by the client. Returns both ends' digests.
 */
export async function tcpTransferBothWays(
  clientNs: string,
  serverNs: string,
  server: string,
  bytes: number,
  port = 5201,
): Promise<{ upload: TransferResult; download: TransferResult }> {
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-tcp-'));
  const peer = join(dir, 'tcp-peer.cjs');
  writeFileSync(peer, TCP_PEER_SOURCE);
  // An IPv6 server address: the server listens on IPv6 (an IPv4 one keeps 0.0.0.0, IPv6 may be off there).
  const listen = server.includes(':') ? '::' : '0.0.0.0';
  try {
    const upload = await withServer(serverNs, peer, ['sink', String(port)], async (lines) => {
      const sent = parseDigest((await nsExec(clientNs, process.execPath, [peer, 'send', server, String(port), String(bytes)])).trim(), 'sender');
      const received = parseDigest(await waitFor('sink digest', () => lines()[0], 10_000), 'sink');
      return { sent, received };
    }, listen);
    const download = await withServer(serverNs, peer, ['source', String(port + 1), String(bytes)], async (lines) => {
      const received = parseDigest((await nsExec(clientNs, process.execPath, [peer, 'recv', server, String(port + 1)])).trim(), 'receiver');
      const sent = parseDigest(await waitFor('source digest', () => lines()[0], 10_000), 'source');
      return { sent, received };
    }, listen);
    return { upload, download };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A running tcpdump. */
export interface Capture {
  /** Stops tcpdump (SIGINT, by pid) and returns the packet lines it printed. */
  stop(): Promise<string[]>;
}

/** Starts `tcpdump -n -l` on `iface` inside `ns` with a BPF `filter`; resolves once it is listening. */
export async function startCapture(ns: string, iface: string, filter: string): Promise<Capture> {
  const child = nsSpawn(ns, 'tcpdump', ['-i', iface, '-n', '-l', '-U', filter]);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  await waitFor(`tcpdump on ${iface}`, () => {
    if (child.exitCode !== null) throw new Error(`tcpdump exited: ${err}`);
    return err.includes('listening on') ? true : undefined;
  }, 10_000);
  return {
    stop: async () => {
      await stopChild(child, 'SIGINT', 3000);
      return out.split('\n').filter(Boolean);
    },
  };
}
