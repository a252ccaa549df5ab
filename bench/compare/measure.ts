/**
 * Measurements for the vpnc comparison (BENCHMARKS.md, "Against Debian's vpnc"): the CPU time and peak RSS of
 * a client pid from /proc, iperf3 runs through the tunnel, and a UDP probe that times launch -> first packet.
 * Every process is started here and ended by its pid.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nsRun, nsSpawn, stopChild, waitFor } from '../../test/helpers/netns.js';
import { nsExec } from '../../test/helpers/traffic.js';

let ticks: number | undefined;

/** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ), as `getconf CLK_TCK` says. */
export function clockTicks(): number {
  if (ticks === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(value) || value <= 0) throw new Error(`getconf CLK_TCK gave ${JSON.stringify(value)}`);
    ticks = value;
  }
  return ticks;
}

/** utime + stime of one /proc stat file, in ticks. */
function statTicks(path: string): number {
  const stat = readFileSync(path, 'utf8');
  // Fields after the parenthesised command name, which may itself contain spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * User + system CPU seconds of a process so far, every thread of it counted: /proc/PID/stat of a thread-group
 * leader sums the times of all its threads, the ended ones included (the addon's and libuv's threads too).
 */
export function cpuSeconds(pid: number): number {
  return statTicks(`/proc/${pid}/stat`) / clockTicks();
}

/** The same sum over the threads alive now (/proc/PID/task/TID/stat): a cross-check of cpuSeconds. */
export function liveThreadCpuSeconds(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + statTicks(`/proc/${pid}/task/${tid}/stat`), 0) / clockTicks();
}

/** Peak resident set size (VmHWM) of a process in bytes. */
export function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** One iperf3 run as seen by its receiver. */
export interface IperfResult {
  /** Bytes that reached the receiver. */
  bytes: number;
  /** Receiver's rate in bits per second. */
  bitsPerSecond: number;
  /** TCP retransmissions counted by the sender. */
  retransmits: number;
}

interface IperfJson {
  end?: { sum_received?: { bytes: number; bits_per_second: number }; sum_sent?: { retransmits?: number } };
  error?: string;
}

/** Runs an iperf3 client in `ns` against `server` for `seconds` (`reverse`: the server sends). */
export async function iperf(ns: string, server: string, port: number, seconds: number, reverse: boolean): Promise<IperfResult> {
  const args = ['-c', server, '-p', String(port), '-t', String(seconds), '-J', ...(reverse ? ['-R'] : [])];
  const out = await nsExec(ns, 'iperf3', args, (seconds + 30) * 1000);
  const j = JSON.parse(out) as IperfJson;
  const r = j.end?.sum_received;
  if (j.error || !r) throw new Error(`iperf3 ${args.join(' ')}: ${j.error ?? 'no summary'}`);
  return { bytes: r.bytes, bitsPerSecond: r.bits_per_second, retransmits: j.end?.sum_sent?.retransmits ?? 0 };
}

/** A UDP iperf3 run of small datagrams: what was offered and what reached the receiver. */
export interface UdpResult {
  /** Datagrams per second the sender sent. */
  offeredPps: number;
  /** Datagrams per second that reached the receiver. */
  deliveredPps: number;
  /** Datagrams that reached the receiver. */
  delivered: number;
}

interface IperfUdpJson {
  end?: { sum_sent?: { packets: number; seconds: number }; sum_received?: { bytes: number; seconds: number } };
  error?: string;
}

/** Runs `iperf3 -u -l LENGTH -b 0` (as fast as the sender can) from `ns` to `server` for `seconds`. */
export async function iperfUdp(ns: string, server: string, port: number, seconds: number, length: number): Promise<UdpResult> {
  const args = ['-c', server, '-p', String(port), '-t', String(seconds), '-u', '-l', String(length), '-b', '0', '-J'];
  const out = await nsExec(ns, 'iperf3', args, (seconds + 30) * 1000);
  const j = JSON.parse(out) as IperfUdpJson;
  const sent = j.end?.sum_sent;
  const received = j.end?.sum_received;
  if (j.error || !sent || !received) throw new Error(`iperf3 ${args.join(' ')}: ${j.error ?? 'no summary'}`);
  const delivered = Math.round(received.bytes / length);
  return { offeredPps: sent.packets / sent.seconds, deliveredPps: delivered / received.seconds, delivered };
}

/** A background server process in a namespace, ended by its pid. */
export interface Server {
  stop(): Promise<void>;
}

/** Starts `iperf3 -s` in `ns`; resolves once it listens. */
export async function startIperfServer(ns: string, port: number): Promise<Server> {
  const child = nsSpawn(ns, 'iperf3', ['-s', '-p', String(port)], { stdio: 'ignore' });
  // iperf3 block-buffers its banner when stdout is a pipe: look for the listening socket instead.
  const listening = () => nsRun(ns, 'ss', ['-Hltn', `sport = :${port}`]).trim() !== '';
  await waitFor('iperf3 server', () => (listening() ? true : undefined), 10_000);
  return { stop: async () => void (await stopChild(child)) };
}

/**
 * UDP echo server for the probe: it answers only datagrams from `fromPrefix` (the VPN address pool), so a
 * reply proves the probe went through the tunnel, not around it.
 */
const ECHO_SOURCE = String.raw`
const dgram = require('node:dgram');
const [port, prefix] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => { if (r.address.startsWith(prefix)) s.send(m, r.port, r.address); });
s.bind(Number(port), '0.0.0.0', () => process.stdout.write('listening\n'));
`;

/**
 * The probe: sends a datagram to HOST:PORT every INTERVAL ms (send errors, e.g. no route yet, are ignored) and
 * prints the wall-clock time (ms since the epoch) of the first answer, then exits.
 */
const PROBE_SOURCE = String.raw`
const dgram = require('node:dgram');
const [host, port, interval] = process.argv.slice(2);
const s = dgram.createSocket('udp4');
const msg = Buffer.from('probe');
s.on('error', () => {});
s.on('message', () => { process.stdout.write('first ' + Date.now() + '\n'); process.exit(0); });
s.bind(0, () => {
  process.stdout.write('ready\n');
  setInterval(() => s.send(msg, Number(port), host, () => {}), Number(interval));
});
`;

/** Writes the echo and probe scripts into `dir`. */
export function writeProbeScripts(dir: string): { echo: string; probe: string } {
  const echo = join(dir, 'echo.cjs');
  const probe = join(dir, 'probe.cjs');
  writeFileSync(echo, ECHO_SOURCE);
  writeFileSync(probe, PROBE_SOURCE);
  return { echo, probe };
}

/** Starts the echo server in `ns`. */
export async function startEcho(ns: string, script: string, port: number, fromPrefix: string): Promise<Server> {
  const child = nsSpawn(ns, process.execPath, [script, String(port), fromPrefix]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('echo server', () => (out.includes('listening') ? true : undefined), 10_000);
  return { stop: async () => void (await stopChild(child)) };
}

/** A running probe. */
export interface Probe {
  /** Resolves with the epoch-ms time of the first reply; rejects after `timeoutMs`. */
  firstReply(timeoutMs: number): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the probe in `ns` and resolves once it sends (so its own start-up is not timed). */
export async function startProbe(ns: string, script: string, host: string, port: number, intervalMs: number): Promise<Probe> {
  const child: ChildProcess = nsSpawn(ns, process.execPath, [script, host, String(port), String(intervalMs)]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('probe', () => (out.includes('ready') ? true : undefined), 10_000);
  return {
    firstReply: (timeoutMs) =>
      waitFor('first probe reply', () => {
        const m = /first (\d+)/.exec(out);
        return m ? Number(m[1]) : undefined;
      }, timeoutMs, 10),
    stop: async () => void (await stopChild(child)),
  };
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
