/**
 * Benchmark (not a test): packets per second through a TUN read -> write loop, through the addon
 * (one readiness event, a batch of reads, one sendBatch) against a loop on `fs.read`/`fs.writeSync`
 * (one thread-pool read per packet, the way a pure-Node TUN client would work).
 *
 * A generator in a private namespace floods small UDP datagrams to 192.0.2.2 (routed into the TUN device);
 * the loop under test swaps source and destination (address and port; checksums stay valid) and writes
 * each packet back, so the kernel delivers it to 192.0.2.1. We count packets written back per second and
 * CPU time of this process per packet.
 *
 * Plain JavaScript importing the compiled wrapper, because Node 20 cannot run TypeScript directly:
 *   npx tsc -p tsconfig.json && sudo node bench/tun-io.bench.mjs [seconds=5] [payloadBytes=64]
 * Needs root (namespace, TUN device).
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openTun } from '../dist/io/index.js';

const SECONDS = Number(process.argv[2] ?? 5);
const PAYLOAD = Number(process.argv[3] ?? 64);
const WARMUP_MS = 1000;
const NS = `bench-tun-${process.pid}`;
const ADDON = fileURLToPath(new URL('../build/Release/packet_io.node', import.meta.url));
const LOCAL = 0xc0000201; // 192.0.2.1
const PEER = 0xc0000202; // 192.0.2.2

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function setupNetns() {
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
  sh('ip', ['netns', 'exec', NS, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
  sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
}

function configureTun(name) {
  sh('ip', ['-n', NS, 'addr', 'add', '192.0.2.1', 'peer', '192.0.2.2', 'dev', name]);
  sh('ip', ['-n', NS, 'link', 'set', name, 'up', 'txqueuelen', '1000']);
}

/** Packets the kernel handed to the TUN device's queue (taken by the reader or dropped when full). */
function offered(name) {
  const [link] = JSON.parse(sh('ip', ['-n', NS, '-s', '-j', 'link', 'show', 'dev', name]));
  return link.stats64.tx.packets + link.stats64.tx.dropped;
}

/** A child in the namespace sending 64-datagram sendmmsg bursts to 192.0.2.2:9 as fast as it can. */
function startGenerator() {
  const script = `const a = require(${JSON.stringify(ADDON)});
const { endpoint } = a.openUdp({ address: ${LOCAL}, port: 0, sendBufferSize: 1 << 20 });
const size = ${PAYLOAD};
const data = Buffer.alloc(64 * size, 0x61);
const meta = new Uint32Array(64 * 4);
for (let i = 0; i < 64; i++) meta.set([i * size, size, ${PEER}, 9], i * 4);
const burst = () => { for (let k = 0; k < 32; k++) endpoint.sendBatch(data, meta, 64); setImmediate(burst); };
burst();`;
  return spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { stdio: 'ignore' });
}

/** Swaps IPv4 source/destination and UDP ports of the packet at `off` in place; false if not IPv4/UDP. */
function turnAround(buf, off, len) {
  if (len < 28 || buf[off] !== 0x45 || buf[off + 9] !== 17) return false;
  const src = buf.readUInt32BE(off + 12);
  buf.writeUInt32BE(buf.readUInt32BE(off + 16), off + 12);
  buf.writeUInt32BE(src, off + 16);
  const sport = buf.readUInt16BE(off + 20);
  buf.writeUInt16BE(buf.readUInt16BE(off + 22), off + 20);
  buf.writeUInt16BE(sport, off + 22);
  return true;
}

/** Measures `loop` (which returns a stop function and a forwarded-packets getter) after a warm-up. */
async function measure(name, blocking, loop) {
  const tun = openTun({ name: 'benchtun0', netns: NS, blocking, receive: { batchSize: 64, slotSize: 2048 } });
  configureTun(tun.name);
  const generator = startGenerator();
  const handle = loop(tun);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const startCount = handle.forwarded();
  const startOffered = offered(tun.name);
  const startCpu = process.cpuUsage();
  const startTime = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const packets = handle.forwarded() - startCount;
  const offeredPackets = offered(tun.name) - startOffered;
  const cpu = process.cpuUsage(startCpu);
  const seconds = Number(process.hrtime.bigint() - startTime) / 1e9;
  await handle.stop();
  generator.kill('SIGKILL');
  tun.close();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    loop: name,
    'offered/s': Math.round(offeredPackets / seconds),
    'packets/s': Math.round(packets / seconds),
    'forwarded %': Math.round((100 * packets) / offeredPackets),
    'CPU %': Math.round((100 * cpuSeconds) / seconds),
    'CPU µs/packet': Number(((cpuSeconds * 1e6) / packets).toFixed(2)),
  };
}

/** The addon: one callback per readiness event, packets turned in place, one sendBatch for the batch. */
function addonBatchLoop(tun) {
  let forwarded = 0;
  tun.start((batch) => {
    for (let i = 0; i < batch.count; i++) turnAround(batch.buffer, batch.offset(i), batch.length(i));
    forwarded += tun.sendBatch(batch.buffer, batch.meta, batch.count);
  });
  return { forwarded: () => forwarded, stop: async () => tun.stop() };
}

/** The addon with one send() per packet instead of sendBatch. */
function addonSendLoop(tun) {
  let forwarded = 0;
  tun.start((batch) => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const len = batch.length(i);
      turnAround(batch.buffer, off, len);
      if (tun.send(batch.buffer, off, len)) forwarded++;
    }
  });
  return { forwarded: () => forwarded, stop: async () => tun.stop() };
}

/** fs.read on the blocking descriptor (one thread-pool job per packet), fs.writeSync back. */
function fsReadLoop(tun) {
  let forwarded = 0;
  let running = true;
  let finished;
  const done = new Promise((r) => (finished = r));
  const buf = Buffer.alloc(2048);
  const next = () => {
    fs.read(tun.fd, buf, 0, buf.length, null, (err, n) => {
      if (err || !running) return finished();
      turnAround(buf, 0, n);
      fs.writeSync(tun.fd, buf, 0, n);
      forwarded++;
      next();
    });
  };
  next();
  // The pending read returns with the next generated packet; the generator is still running here.
  return { forwarded: () => forwarded, stop: () => ((running = false), done) };
}

async function main() {
  if (process.getuid() !== 0) throw new Error('the benchmark needs root (namespace, TUN device)');
  setupNetns();
  try {
    const results = [];
    results.push(await measure('addon: batch read + sendBatch', false, addonBatchLoop));
    results.push(await measure('addon: batch read + send() each', false, addonSendLoop));
    results.push(await measure('fs.read + fs.writeSync', true, fsReadLoop));
    console.log(`TUN read -> write loop, ${PAYLOAD}-byte UDP payloads (${PAYLOAD + 28}-byte IPv4 packets), ${SECONDS} s each, node ${process.version}`);
    console.table(results);
    const base = results[2];
    for (const r of results.slice(0, 2)) {
      const speed = (r['packets/s'] / base['packets/s']).toFixed(1);
      const cost = (base['CPU µs/packet'] / r['CPU µs/packet']).toFixed(1);
      console.log(`${r.loop}: ${speed}x the packets/s, ${cost}x less CPU per packet than the fs.read loop`);
    }
  } finally {
    sh('ip', ['netns', 'delete', NS]);
  }
}

await main();
