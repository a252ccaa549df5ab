/**
 * The addon's UDP endpoint on 127.0.0.1: needs the built addon but no root. Covers batched receive with
 * source address and port, send and sendBatch, truncation, close, and event-loop liveness (ref/unref).
 */
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { META_STRIDE, setBatchEntry, type PacketBatch } from '../../../src/io/endpoint.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';
import { openUdp, type UdpEndpoint } from '../../../src/io/udp.js';

const LOOPBACK = parseIpv4('127.0.0.1');
const ADDON = fileURLToPath(new URL('../../../build/Release/packet_io.node', import.meta.url));
const open: UdpEndpoint[] = [];

function udp(options: Parameters<typeof openUdp>[0] = {}): UdpEndpoint {
  const endpoint = openUdp({ localAddress: '127.0.0.1', ...options });
  open.push(endpoint);
  return endpoint;
}

afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

function nextBatches(endpoint: UdpEndpoint, total: number): Promise<Array<Array<{ text: string; address: number; port: number }>>> {
  return new Promise((resolve) => {
    const batches: Array<Array<{ text: string; address: number; port: number }>> = [];
    let seen = 0;
    endpoint.start((batch: PacketBatch) => {
      const list = [];
      for (let i = 0; i < batch.count; i++) list.push({ text: batch.packet(i).toString(), address: batch.address(i), port: batch.port(i) });
      batches.push(list);
      seen += batch.count;
      if (seen >= total) resolve(batches);
    });
  });
}

describe('addon UDP endpoint on loopback', () => {
  it('binds to a kernel-chosen port and reports it', () => {
    const a = udp();
    expect(a.kind).toBe('udp');
    expect(a.localAddress).toBe(LOOPBACK);
    expect(a.localPort).toBeGreaterThan(0);
    expect(a.fd).toBeGreaterThan(2);
  });

  it('delivers everything queued in one readiness event as one batch, with source address and port', async () => {
    const a = udp();
    const b = udp();
    const data = Buffer.alloc(40 * 8);
    const meta = new Uint32Array(40 * META_STRIDE);
    for (let i = 0; i < 40; i++) {
      data.write(`pkt-${String(i).padStart(3, '0')}`, i * 8);
      setBatchEntry(meta, i, i * 8, 7, LOOPBACK, b.localPort);
    }
    expect(a.sendBatch(data, meta, 40)).toBe(40);
    expect(a.stats.txPackets).toBe(40);
    expect(a.stats.txBytes).toBe(280);
    const batches = await nextBatches(b, 40);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(40);
    expect(batches[0][0]).toEqual({ text: 'pkt-000', address: LOOPBACK, port: a.localPort });
    expect(batches[0][39].text).toBe('pkt-039');
    expect(b.stats.rxPackets).toBe(40);
    expect(b.stats.rxBytes).toBe(280);
  });

  it('splits a backlog larger than the batch size over several callbacks', async () => {
    const a = udp();
    const b = udp({ receive: { batchSize: 8, slotSize: 64 } });
    for (let i = 0; i < 20; i++) expect(a.send(Buffer.from(`m${i}`), 0, `m${i}`.length, LOOPBACK, b.localPort)).toBe(true);
    const batches = await nextBatches(b, 20);
    expect(batches.map((x) => x.length)).toEqual([8, 8, 4]);
    expect(batches.flat().map((p) => p.text)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  it('answers the sender both ways with send()', async () => {
    const a = udp();
    const b = udp();
    const atB = nextBatches(b, 1);
    a.send(Buffer.from('ping'), 0, 4, LOOPBACK, b.localPort);
    const [[ping]] = await atB;
    const atA = nextBatches(a, 1);
    expect(b.send(Buffer.from('pong'), 0, 4, ping.address, ping.port)).toBe(true);
    expect((await atA)[0][0]).toEqual({ text: 'pong', address: LOOPBACK, port: b.localPort });
  });

  it('drops and counts datagrams longer than a slot', async () => {
    const a = udp();
    const b = udp({ receive: { batchSize: 4, slotSize: 32 } });
    a.send(Buffer.alloc(33, 0x41), 0, 33, LOOPBACK, b.localPort);
    a.send(Buffer.from('fits'), 0, 4, LOOPBACK, b.localPort);
    const batches = await nextBatches(b, 1);
    expect(batches[0].map((p) => p.text)).toEqual(['fits']);
    expect(b.stats.rxTruncated).toBe(1);
  });

  it('counts a refused send (EMSGSIZE) as an error, never throws, and goes on with the batch', () => {
    const a = udp();
    const big = Buffer.alloc(70000);
    expect(a.send(big, 0, 65508, LOOPBACK, a.localPort)).toBe(false);
    expect(a.stats.txErrors).toBe(1);
    expect(a.stats.lastErrno).toBe(90); // EMSGSIZE
    const meta = new Uint32Array(3 * META_STRIDE);
    setBatchEntry(meta, 0, 0, 10, LOOPBACK, a.localPort);
    setBatchEntry(meta, 1, 0, 65508, LOOPBACK, a.localPort);
    setBatchEntry(meta, 2, 0, 10, LOOPBACK, a.localPort);
    expect(a.sendBatch(big, meta, 3)).toBe(2);
    expect(a.stats.txErrors).toBe(2);
  });

  it('rejects argument errors as exceptions (programming errors, not drops)', () => {
    const a = udp();
    expect(() => a.send(Buffer.alloc(4), 2, 3, LOOPBACK, 9)).toThrow(RangeError);
    expect(() => a.send(Buffer.alloc(4), 0, 4, LOOPBACK, 65536)).toThrow(RangeError);
    const meta = new Uint32Array(META_STRIDE);
    setBatchEntry(meta, 0, 0, 5, LOOPBACK, 9);
    expect(() => a.sendBatch(Buffer.alloc(4), meta, 1)).toThrow(RangeError);
    expect(() => a.sendBatch(Buffer.alloc(4), meta, 2)).toThrow(RangeError);
    expect(() => a.setTos(256)).toThrow(RangeError);
    a.setTos(0x28);
  });

  it('closes cleanly: twice is harmless, later sends fail and count, start throws', () => {
    const a = udp();
    a.start(() => {});
    expect(() => a.start(() => {})).toThrow(/already started/);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(a.fd).toBe(-1);
    expect(a.send(Buffer.from('x'), 0, 1, LOOPBACK, 9)).toBe(false);
    expect(a.stats.txErrors).toBe(1);
    expect(() => a.start(() => {})).toThrow(/after close/);
  });

  it('can stop and start again', async () => {
    const a = udp();
    const b = udp();
    b.start(() => {});
    b.stop();
    a.send(Buffer.from('later'), 0, 5, LOOPBACK, b.localPort);
    const batches = await nextBatches(b, 1);
    expect(batches[0][0].text).toBe('later');
  });
});

/** Runs a small script against the addon in a child process; resolves with whether it exited by itself. */
function exitsByItself(body: string): Promise<boolean> {
  const script = `const a = require(${JSON.stringify(ADDON)});
const { endpoint } = a.openUdp({ address: 0x7f000001, port: 0 });
endpoint.start(Buffer.alloc(4096), new Uint32Array(4), 4096, () => {});
${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 1500);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(true);
      else if (code !== null) reject(new Error(`child failed (${code}): ${stderr}`));
    });
  });
}

describe('event-loop liveness', () => {
  it('a started endpoint keeps the process alive', async () => {
    expect(await exitsByItself('')).toBe(false);
  });
  it('an unref()ed endpoint does not', async () => {
    expect(await exitsByItself('endpoint.unref();')).toBe(true);
  });
  it('unref() before start() holds too, and ref() undoes it', async () => {
    expect(await exitsByItself('endpoint.stop(); endpoint.unref(); endpoint.start(Buffer.alloc(4096), new Uint32Array(4), 4096, () => {});')).toBe(true);
    expect(await exitsByItself('endpoint.unref(); endpoint.ref();')).toBe(false);
  });
  it('a closed endpoint does not', async () => {
    expect(await exitsByItself('endpoint.close(); endpoint.close();')).toBe(true);
  });
  it('a stopped endpoint does not', async () => {
    expect(await exitsByItself('endpoint.stop();')).toBe(true);
  });
});

describe('exceptions from the batch callback', () => {
  it('surface as an uncaught exception in the process, not swallowed by the addon', () => {
    const script = `const a = require(${JSON.stringify(ADDON)});
const { endpoint, port } = a.openUdp({ address: 0x7f000001, port: 0 });
process.on('uncaughtException', (e) => { console.log('uncaught: ' + e.message); endpoint.close(); });
endpoint.start(Buffer.alloc(4096), new Uint32Array(4), 4096, (count) => { throw new Error('from callback ' + count); });
endpoint.send(Buffer.from('x'), 0, 1, 0x7f000001, port);`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 5000 });
    expect(out.trim()).toBe('uncaught: from callback 1');
  });
});
