/**
 * Floods: junk sent from the gateway's own address to our client's UDP port (runts, ESP with unknown SPIs, IKE
 * of strangers, IKE and ESP that carry our own cookies and SPI but garbage) and to its raw ESP socket, while a
 * ping crosses the tunnel. The tunnel keeps working, the client's CPU per junk packet stays small, its resident
 * memory does not grow, and its log stays short (no line per packet). Figures are printed and, when
 * $VPNC_FLOOD_FIGURES names a file, appended to it. Root; never skipped.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { openRawEsp, openUdp } from '../../src/io/index.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import type { TunnelStatus } from '../../src/session/status.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { procUsage, type ProcUsage } from '../helpers/proc-usage.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { envRecordingScript, startVpnc, VPNC_SCRIPT, type NattMode, type VpncRef } from '../helpers/vpnc-ref.js';
import { ipv4Packet } from '../unit/esp/fixtures.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const run = promisify(execFile);
/** Junk packets per kind and pass, sent in bursts of BURST every 2 ms: about 20,000 a second. */
const JUNK = 30_000;
/** Every kind is sent twice: memory must not grow in the second pass. */
const PASSES = 2;
const BURST = 40;

async function statusOf(v: VpncRef): Promise<TunnelStatus> {
  const r = await run('node', [join(ROOT, 'bin', 'vpnc.js'), '--status', '--json', '--pid-file', v.pidFile], { timeout: 15_000 });
  return JSON.parse(r.stdout) as TunnelStatus;
}

/** Deterministic junk bytes (xorshift32). */
function junkSource(seed: number): (n: number) => Buffer {
  let s = seed >>> 0 || 1;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      b[i] = s & 0xff;
    }
    return b;
  };
}

/** A kind of junk: its name and 300 samples of it. */
type JunkKind = [name: string, packets: Buffer[]];

const samples = (make: () => Buffer): Buffer[] => Array.from({ length: 300 }, make);

/** The junk for the UDP port after the float (RFC 3948 framing), by kind. */
function udpJunk(st: TunnelStatus, bytes: (n: number) => Buffer): JunkKind[] {
  const [cookieI, cookieR] = st.ikeSa!.cookies.split('/').map((h) => Buffer.from(h, 'hex'));
  const inSpi = Buffer.from(st.espSas.find((e) => e.direction === 'in' && e.inUse)!.spi, 'hex');
  const ike = (cookies: Buffer, exchange: number) => {
    const h = Buffer.concat([Buffer.alloc(4), cookies, Buffer.from([8, 0x10, exchange, 1]), bytes(4), Buffer.alloc(4), bytes(80)]);
    h.writeUInt32BE(h.length - 4, 4 + 24);
    return h;
  };
  const ours = Buffer.concat([cookieI!, cookieR!]);
  return [
    ['runts (1-7 bytes)', samples(() => bytes(1 + (bytes(1)[0]! % 7)))],
    ['ESP, unknown SPI', samples(() => Buffer.concat([Buffer.from([0xde, 0xad]), bytes(126)]))],
    ["ESP, our SPI, garbage (ICV fails)", samples(() => Buffer.concat([inSpi, bytes(124)]))],
    ["IKE of a stranger's cookies", samples(() => ike(bytes(16), 32))],
    ['IKE quick mode, our cookies, garbage', samples(() => ike(ours, 32))],
    ['IKE informational, our cookies, garbage', samples(() => ike(ours, 5))],
  ];
}

/** Raw ESP junk from the gateway's address, by kind. */
function rawJunk(st: TunnelStatus, bytes: (n: number) => Buffer, client: string): JunkKind[] {
  const inSpi = Buffer.from(st.espSas.find((e) => e.direction === 'in' && e.inUse)!.spi, 'hex');
  const esp = (body: () => Buffer) => samples(() => ipv4Packet(BED.gatewayOutside, client, 50, body()));
  return [
    ['ESP, unknown SPI', esp(() => Buffer.concat([Buffer.from([0xbe, 0xef]), bytes(126)]))],
    ['ESP, our SPI, garbage (ICV fails)', esp(() => Buffer.concat([inSpi, bytes(124)]))],
    ['ESP runts (1-7 bytes)', esp(() => bytes(1 + (bytes(1)[0]! % 7)))],
  ];
}

/** What one kind of junk cost the client in one pass. */
interface KindFigures {
  pass: number;
  kind: string;
  /** Packets the sender's kernel accepted. */
  junk: number;
  seconds: number;
  /** Client CPU less its idle share, per packet. */
  cpuUsPerJunk: number;
  /** RSS in kB after the kind. */
  rssKb: number;
}

interface FloodFigures {
  kinds: KindFigures[];
  rssBefore: number;
  /** RSS in kB after each pass over every kind. */
  rssAfterPass: number[];
  fds: [number, number];
  logLines: number;
  pings: string;
}

/** A sender that says whether its kernel took the packet. */
interface Sender {
  send(p: Buffer): boolean;
}

/** Sends JUNK packets (cycling through `packets`), bursts of BURST every 2 ms; returns how many were accepted. */
async function flood(packets: Buffer[], sender: Sender): Promise<number> {
  let accepted = 0;
  for (let sent = 0; sent < JUNK; ) {
    for (let i = 0; i < BURST && sent < JUNK; i++, sent++) if (sender.send(packets[sent % packets.length]!)) accepted++;
    await new Promise((r) => setTimeout(r, 2));
  }
  return accepted;
}

async function measure(v: VpncRef, bed: Testbed, kinds: JunkKind[], sender: Sender): Promise<FloodFigures> {
  const pid = v.pid;
  // Idle CPU is measured first and subtracted: what remains is the junk's cost.
  const idleStart = procUsage(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  const idleMsPerS = (procUsage(pid).cpuMs - idleStart.cpuMs) / ((Date.now() - t0) / 1000);
  const before: ProcUsage = procUsage(pid);
  const linesBefore = v.output().split('\n').length;
  const pinging = ping(bed.client, BED.innerHost, 10 * PASSES * kinds.length, 0.2);
  const out: KindFigures[] = [];
  const rssAfterPass: number[] = [];
  for (let pass = 1; pass <= PASSES; pass++) {
    for (const [kind, packets] of kinds) {
      const start = procUsage(pid);
      const started = Date.now();
      const junk = await flood(packets, sender);
      await new Promise((resolve) => setTimeout(resolve, 300)); // the last bursts are read
      const seconds = (Date.now() - started) / 1000;
      const end = procUsage(pid);
      out.push({ pass, kind, junk, seconds, cpuUsPerJunk: (Math.max(0, end.cpuMs - start.cpuMs - idleMsPerS * seconds) * 1000) / junk, rssKb: end.rssKb });
    }
    rssAfterPass.push(procUsage(pid).rssKb);
  }
  const p = await pinging;
  return {
    kinds: out,
    rssBefore: before.rssKb,
    rssAfterPass,
    fds: [before.fds, procUsage(pid).fds],
    logLines: v.output().split('\n').length - linesBefore,
    pings: `${p.received}/${p.transmitted}`,
  };
}

function report(name: string, f: FloodFigures, v: VpncRef, linesBefore: number): void {
  const text = [
    `${name}: RSS ${f.rssBefore} kB before, ${f.rssAfterPass.join(' kB, ')} kB after each pass; fds ${f.fds[0]} -> ${f.fds[1]}; log lines during the flood ${f.logLines}; pings answered ${f.pings}`,
    ...f.kinds.map((k) => `  pass ${k.pass}, ${k.kind}: ${k.junk} packets in ${k.seconds.toFixed(1)} s, ${k.cpuUsPerJunk.toFixed(2)} us client CPU each; RSS after ${k.rssKb} kB`),
  ].join('\n');
  console.log(`${text}\n${v.output().split('\n').slice(linesBefore).join('\n')}`);
  if (process.env.VPNC_FLOOD_FIGURES) appendFileSync(process.env.VPNC_FLOOD_FIGURES, `${new Date().toISOString()} ${text}\n`);
}

function expectSurvived(f: FloodFigures): void {
  for (const k of f.kinds) expect(k.junk, k.kind).toBeGreaterThan(JUNK * 0.9);
  expect(f.pings).toBe(`${10 * f.kinds.length}/${10 * f.kinds.length}`);
  // The first pass grows the heap to its working size; the second, as much junk again, may move RSS by what the
  // garbage not yet collected holds (measured +0.1 to +3.6 MB), not by what is kept per packet: under 6 MB for
  // its packets, so that 35 bytes kept a packet fails (UDP, 180,000 packets; raw ESP, 90,000: 70 bytes).
  expect(f.rssAfterPass[1]! - f.rssAfterPass[0]!).toBeLessThan(6144);
  expect(f.fds[1]).toBe(f.fds[0]);
  // At most a line per kind of drop and interval, not one per packet.
  expect(f.logLines).toBeLessThan(20);
}

describe.each<[string, NattMode]>([
  ['UDP 4500 (force-natt)', 'force-natt'],
  ['raw ESP (natt, no NAT)', 'natt'],
])('a flood of junk at the client: %s', (name, nattMode) => {
  let bed: Testbed;
  let gw: Gateway | undefined;
  let v: VpncRef | undefined;
  const script = envRecordingScript();

  beforeAll(async () => {
    requireRoot();
    requireBinaries([VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'nft', 'ping']);
    bed = createTestbed({ prefix: nattMode === 'natt' ? 'flr' : 'flu' });
    try {
      gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'Interface name gwf%d'], { name: 'flood.conf', log: [] });
      v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: script.path, command: OURS, nattMode });
      await v.waitForTunnel(30_000);
    } catch (err) {
      await v?.stop();
      gw?.close();
      destroyTestbed(bed);
      throw err;
    }
  });
  afterAll(async () => {
    if (v) expect(await v.stop()).toEqual({ code: 0, signal: null });
    gw?.close();
    rmSync(script.dir, { recursive: true, force: true });
    if (bed) destroyTestbed(bed);
  });

  it(`${JUNK} junk packets of each kind, twice: the tunnel keeps working, the cost per packet is small, memory, descriptors and the log stay flat`, async () => {
    const st = await statusOf(v!);
    const bytes = junkSource(20261201);
    const client = parseIpv4(BED.clientDirect);
    const linesBefore = v!.output().split('\n').length;
    let figures: FloodFigures;
    if (nattMode === 'force-natt') {
      expect(st.transport).toMatch(/udp/i);
      const kinds = udpJunk(st, bytes);
      const sock = openUdp({ localAddress: BED.gatewayOutside, localPort: 0, netns: bed.gateway });
      try {
        figures = await measure(v!, bed, kinds, { send: (p) => sock.send(p, 0, p.length, client, st.ports.local) });
      } finally {
        sock.close();
      }
    } else {
      expect(st.transport).toMatch(/raw|esp/i);
      const kinds = rawJunk(st, bytes, BED.clientDirect);
      const raw = openRawEsp({ netns: bed.gateway });
      try {
        figures = await measure(v!, bed, kinds, { send: (p) => raw.send(p, 0, p.length, client) });
      } finally {
        raw.close();
      }
    }
    report(name, figures, v!, linesBefore);
    const after = await statusOf(v!);
    // The junk reached the client's data path: it counted what it dropped.
    expect(after.traffic.drops.unknownSpi - st.traffic.drops.unknownSpi).toBeGreaterThan(PASSES * JUNK * 0.9);
    expectSurvived(figures);
  }, 180_000);
});
