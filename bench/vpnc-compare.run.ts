/**
 * `npm run bench`: our client against Debian's vpnc, on one test bed, against one strongSwan gateway, in one
 * run (BENCHMARKS.md, "Against Debian's vpnc"). Each client is launched BENCH_RUNS times (default 5),
 * alternating vpnc / ours so that drift in the machine's load hits both alike, and each launch measures:
 *
 * - time to the first packet: from spawning the client to the first answer to a UDP probe sent every 20 ms
 *   from the client namespace to an echo server on the inner host (which answers only pool addresses);
 * - throughput up and down: iperf3 for BENCH_SECONDS (default 10) each way, server on the inner host;
 * - client CPU seconds per GB: utime + stime of the client pid (/proc/PID/stat) around each iperf3 run,
 *   divided by the bytes the iperf3 receiver got (10^9 B/GB); the gateway's (charon's) CPU is shown as context;
 * - small packets: iperf3 UDP with 64-byte datagrams, as fast as the sender can, BENCH_SMALL_SECONDS (default 5)
 *   up through the tunnel: datagrams per second offered and delivered, and client CPU microseconds per delivered one;
 * - peak RSS: VmHWM of the client pid after the transfers.
 *
 * BENCH_GATEWAY=project runs the project's own gateway (vpnc-gateway, a process of its own) instead of strongSwan:
 * the client's ceiling, where strongSwan's userspace ESP (kernel-libipsec) is not the limit.
 * Medians are reported with their spread (lowest and highest launch) and the ratios ours/vpnc; the markdown
 * table goes to stdout and to bench/results/vpnc-compare-ESP-NATT.md, every launch's raw figures to
 * bench/results/vpnc-compare-ESP-NATT.json; both are committed beside BENCHMARKS.md's tables. CPU is read in
 * clock ticks of `getconf CLK_TCK`, every thread of the client counted (measure.ts).
 * Environment: BENCH_RUNS, BENCH_SECONDS, BENCH_SMALL_SECONDS, BENCH_ESP (ESP proposal, default aes256-sha1; with
 * the project's gateway its `ESP proposals`), BENCH_NATT (natt or force-natt), BENCH_GATEWAY (strongswan or project),
 * BENCH_ONLY (vpnc or ours), BENCH_NODE_ARGS (extra node flags for ours, e.g. --cpu-prof), BENCH_WRAP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { nsRun, requireBinaries, requireRoot, stopChild, waitFor } from '../test/helpers/netns.js';
import { projectGatewayConf } from '../test/helpers/project-gateway.js';
import { CHARON, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../test/helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../test/helpers/testbed.js';
import { startVpnc, VPNC, VPNC_SCRIPT, type NattMode } from '../test/helpers/vpnc-ref.js';
import {
  clockTicks, cpuSeconds, iperf, iperfUdp, median, peakRss, startEcho, startIperfServer, startProbe, writeProbeScripts, type Server,
} from './compare/measure.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ESP = process.env.BENCH_ESP ?? 'aes256-sha1';
const NATT = (process.env.BENCH_NATT ?? 'natt') as NattMode;
const SMALL_SECONDS = Number(process.env.BENCH_SMALL_SECONDS ?? 5);
const GATEWAY = process.env.BENCH_GATEWAY ?? 'strongswan';
if (GATEWAY !== 'strongswan' && GATEWAY !== 'project') throw new Error(`BENCH_GATEWAY=${GATEWAY}: strongswan or project`);
const ONLY = process.env.BENCH_ONLY;
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** A command our client runs under, for diagnosis only (e.g. `strace -f -ttt -o FILE`): its pid is measured. */
const WRAP = (process.env.BENCH_WRAP ?? '').split(' ').filter(Boolean);
const IPERF_PORT = 5201;
const ECHO_PORT = 7777;
const PROBE_INTERVAL_MS = 20;
const GB = 1e9;
const MIB = 1 << 20;

type ClientName = 'vpnc' | 'ours';
const COMMANDS: Record<ClientName, readonly string[]> = {
  vpnc: [VPNC],
  ours: [...WRAP, 'node', ...NODE_ARGS, join(ROOT, 'bin', 'vpnc.js')],
};

/** What one launch of one client measured. */
interface Sample {
  client: ClientName;
  firstPacketMs: number;
  upMbps: number;
  downMbps: number;
  cpuPerGbUp: number;
  cpuPerGbDown: number;
  cpuPerGb: number;
  gatewayCpuPerGb: number;
  peakRssMiB: number;
  /** 64-byte UDP datagrams per second offered and delivered up through the tunnel, client CPU us per delivered one. */
  smallOfferedPps: number;
  smallDeliveredPps: number;
  smallCpuUsPerPacket: number;
  mtu: number;
  retransmits: number;
}

let bed: Testbed;
/** The gateway under test: its pid (CPU context) and the account the clients use. */
let gw: { pid: number; group: string; groupSecret: string; user: string; password: string; stop(): Promise<void> };
let work: string;
let probeScript = '';
const servers: Server[] = [];
const samples: Sample[] = [];

beforeAll(async () => {
  requireRoot();
  requireBinaries([CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'iperf3']);
  work = mkdtempSync(join(tmpdir(), 'vpnc-bench-'));
  bed = createTestbed({ prefix: 'bn' });
  gw = GATEWAY === 'project' ? await startOurGateway() : strongSwan(await startStrongSwan({ netns: bed.gateway, espProposals: ESP, dpdDelaySeconds: 0, logLevel: 1 }));
  const scripts = writeProbeScripts(work);
  servers.push(await startIperfServer(bed.inner, IPERF_PORT));
  servers.push(await startEcho(bed.inner, scripts.echo, ECHO_PORT, '192.0.2.'));
  probeScript = scripts.probe;
});

afterAll(async () => {
  for (const s of servers) await s.stop();
  await gw?.stop();
  if (bed) destroyTestbed(bed);
  rmSync(work, { recursive: true, force: true });
});

function strongSwan(s: StrongSwanGateway): typeof gw {
  const user = s.options.users[0]!;
  return { pid: s.pid, group: s.options.group, groupSecret: s.options.groupSecret, user: user.name, password: user.password, stop: async () => void (await s.stop()) };
}

/** vpnc-gateway as a process of its own in the gateway namespace, with the test account and `ESP proposals` = BENCH_ESP. */
async function startOurGateway(): Promise<typeof gw> {
  const conf = join(work, 'gateway.conf');
  writeFileSync(conf, projectGatewayConf(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'DPD 0', `ESP proposals ${ESP}`]));
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin', 'vpnc-gateway.js'), '--debug', '1', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('vpnc-gateway listening', () => (/listening|ready|started/.test(out) ? true : undefined), 10_000);
  return { pid: child.pid!, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', stop: async () => void (await stopChild(child)) };
}

/** The MTU of the client namespace's device that carries a pool address (the clients pick their own MTU). */
function tunnelMtu(): number {
  const line = nsRun(bed.client, 'ip', ['-o', '-4', 'addr', 'show']).split('\n').find((l) => l.includes(' 192.0.2.'));
  const device = line?.split(/\s+/)[1];
  if (!device) throw new Error('no device with a pool address in the client namespace');
  return Number(/mtu (\d+)/.exec(nsRun(bed.client, 'ip', ['-o', 'link', 'show', device]))?.[1] ?? 0);
}

/** One launch: connect, time the first packet, iperf3 both ways, read CPU and RSS, disconnect. */
async function measure(client: ClientName): Promise<Sample> {
  const probe = await startProbe(bed.client, probeScript, BED.innerHost, ECHO_PORT, PROBE_INTERVAL_MS);
  const launched = Date.now();
  const v = startVpnc({
    netns: bed.client, gateway: BED.gatewayOutside, group: gw.group, groupSecret: gw.groupSecret,
    user: gw.user, password: gw.password, nattMode: NATT, debug: 0, command: COMMANDS[client],
  });
  try {
    // Debug 0 for both (no per-packet logging or tracing); the probe's answer is the proof the tunnel is up.
    const first = await probe.firstReply(30_000).finally(() => probe.stop());
    const c0 = cpuSeconds(v.pid);
    const g0 = cpuSeconds(gw.pid);
    const up = await iperf(bed.client, BED.innerHost, IPERF_PORT, SECONDS, false);
    const c1 = cpuSeconds(v.pid);
    const down = await iperf(bed.client, BED.innerHost, IPERF_PORT, SECONDS, true);
    const c2 = cpuSeconds(v.pid);
    const g2 = cpuSeconds(gw.pid);
    const small = await iperfUdp(bed.client, BED.innerHost, IPERF_PORT, SMALL_SECONDS, 64);
    const c3 = cpuSeconds(v.pid);
    const moved = (up.bytes + down.bytes) / GB;
    return {
      client,
      firstPacketMs: first - launched,
      upMbps: up.bitsPerSecond / 1e6,
      downMbps: down.bitsPerSecond / 1e6,
      cpuPerGbUp: (c1 - c0) / (up.bytes / GB),
      cpuPerGbDown: (c2 - c1) / (down.bytes / GB),
      cpuPerGb: (c2 - c0) / moved,
      gatewayCpuPerGb: (g2 - g0) / moved,
      peakRssMiB: peakRss(v.pid) / MIB,
      smallOfferedPps: small.offeredPps,
      smallDeliveredPps: small.deliveredPps,
      smallCpuUsPerPacket: ((c3 - c2) * 1e6) / Math.max(small.delivered, 1),
      mtu: tunnelMtu(),
      retransmits: up.retransmits + down.retransmits,
    };
  } finally {
    const status = await v.stop();
    if (status.code !== 0) throw new Error(`${client} ended with ${JSON.stringify(status)}:\n${v.output().slice(-2000)}`);
  }
}

const COLUMNS: readonly [string, (s: Sample) => number, number][] = [
  ['up Mbit/s', (s) => s.upMbps, 0],
  ['down Mbit/s', (s) => s.downMbps, 0],
  ['CPU s/GB up', (s) => s.cpuPerGbUp, 2],
  ['CPU s/GB down', (s) => s.cpuPerGbDown, 2],
  ['CPU s/GB both', (s) => s.cpuPerGb, 2],
  ['first packet ms', (s) => s.firstPacketMs, 0],
  ['peak RSS MiB', (s) => s.peakRssMiB, 1],
  ['64 B UDP delivered pkt/s', (s) => s.smallDeliveredPps, 0],
  ['64 B UDP CPU us/pkt', (s) => s.smallCpuUsPerPacket, 1],
];

/** Markdown table of medians per client with their spread (lowest-highest launch), and the ratio row. */
function table(): string {
  const of = (c: ClientName, f: (s: Sample) => number) => samples.filter((s) => s.client === c).map(f);
  const med = (c: ClientName, f: (s: Sample) => number) => median(of(c, f));
  const cell = (c: ClientName, f: (s: Sample) => number, d: number) => {
    const v = of(c, f);
    return `${median(v).toFixed(d)} (${Math.min(...v).toFixed(d)}-${Math.max(...v).toFixed(d)})`;
  };
  const head = `| client | ${COLUMNS.map(([n]) => n).join(' | ')} | gateway CPU s/GB | TUN MTU |`;
  const rule = `|---|${COLUMNS.map(() => '---:').join('|')}|---:|---:|`;
  const present = (['vpnc', 'ours'] as const).filter((c) => samples.some((s) => s.client === c));
  const rows = present.map(
    (c) => `| ${c} | ${COLUMNS.map(([, f, d]) => cell(c, f, d)).join(' | ')} | ${med(c, (s) => s.gatewayCpuPerGb).toFixed(2)} | ${med(c, (s) => s.mtu)} |`,
  );
  if (present.length === 2) {
    rows.push(`| **ours/vpnc** | ${COLUMNS.map(([, f]) => (med('ours', f) / med('vpnc', f)).toFixed(2)).join(' | ')} | | |`);
  }
  return [head, rule, ...rows].join('\n');
}

function header(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return (
    `${new Date().toISOString()}, Node ${process.version}, ${cpus().length} x ${cpu}; gateway ${GATEWAY}, ESP ${ESP}, ${NATT}, ` +
    `${RUNS} launches per client (medians, lowest-highest in brackets), iperf3 ${SECONDS} s each way, CLK_TCK ${clockTicks()}`
  );
}

it(`vpnc and ours, ${RUNS} launches each, ${ESP} ${NATT}`, async () => {
  const order: ClientName[] = ONLY === 'vpnc' || ONLY === 'ours' ? [ONLY] : ['vpnc', 'ours'];
  for (let run = 0; run < RUNS; run++) {
    for (const client of order) {
      const s = await measure(client);
      samples.push(s);
      console.log(JSON.stringify(s));
    }
  }
  const report = `${header()}\n\n${table()}\n`;
  const out = join(ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  const name = `vpnc-compare-${GATEWAY === 'project' ? 'project-gateway-' : ''}${ESP}-${NATT}`;
  writeFileSync(join(out, `${name}.md`), report);
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ header: header(), samples }, null, 1)}\n`);
  console.log(`\n${report}`);
  expect(samples.length).toBe(RUNS * order.length);
}, 3_600_000);
