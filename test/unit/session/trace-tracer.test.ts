/**
 * The session tracer driven as the session drives it (IKE datagrams, then the data path's taps around
 * real ESP from src/esp), read back by tshark with the keys file it wrote: ESP decrypts to the ICMP echo
 * on the outer interface for every cipher/integrity pair we negotiate, the same echo is on the inner
 * interface in clear, drops carry comments, and the summary counts per SA. Needs tshark; no root.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ESP_HEADROOM, EspStatus, espStatusName } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import type { EspSa } from '../../../src/esp/sa.js';
import { AuthAlgorithm, EspTransformId } from '../../../src/esp/transforms.js';
import { Logger } from '../../../src/log.js';
import { TraceInterface, SessionTracer } from '../../../src/session/trace/tracer.js';
import { bufferWith, icmpEcho, ipv4Packet, saPair, type Combo } from '../esp/fixtures.js';

const LOCAL = '198.51.100.2';
const GATEWAY = '198.51.100.1';
const INNER_LOCAL = '192.0.2.10';
const INNER_REMOTE = '203.0.113.5';
const SPI_OUT = 0xc0ffee01;
const SPI_IN = 0x5eed0002;
const am1 = Buffer.from(readFileSync(new URL('../../vectors/vpnc-am1.hex', import.meta.url), 'utf8').trim(), 'hex');
const NAT_T = { localPort: 4500, remotePort: 4500, floated: true };

const dir = mkdtempSync(join(tmpdir(), 'tracer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function echo(type: 0 | 8, src: string, dst: string, seq: number): Buffer {
  const m = icmpEcho(0x77, seq, Buffer.alloc(48, 0x5a));
  if (type === 0) {
    m[0] = 0;
    m.writeUInt16BE(m.readUInt16BE(2) + 0x0800, 2); // checksum for type 8 -> 0
  }
  return ipv4Packet(src, dst, 1, m);
}

/** ESP bytes for `inner` under `sa`, in a buffer with headroom (as the data path holds them). */
function seal(sa: EspSa, inner: Buffer): { buf: Buffer; off: number; len: number } {
  const buf = bufferWith(inner);
  const span = createPacketSpan();
  expect(encapsulate(sa, buf, ESP_HEADROOM, inner.length, span)).toBe(EspStatus.OK);
  return { buf, off: span.offset, len: span.length };
}

interface Run {
  tracePath: string;
  keysPath: string;
  lines: string[];
  ours: { out: EspSa; in: EspSa };
}

/** One session: AM1 out, an IKE reply in after the float, ESP before the SA, ping, and four kinds of drops. */
function runSession(name: string, combo: Combo, level: number, keysAsDirectory = false): Run {
  const tracePath = join(dir, `${name}.pcapng`);
  const keysPath = join(dir, `${name}.keys${keysAsDirectory ? '.d' : ''}`);
  if (keysAsDirectory) mkdirSync(keysPath);
  const lines: string[] = [];
  let clock = 1_700_000_000_000_000;
  const tracer = new SessionTracer({ log: new Logger({ level, sink: (l) => lines.push(l) }), traceFile: tracePath, keysFile: keysPath, now: () => (clock += 1000) });
  const outPair = saPair(combo, SPI_OUT, `${name}-out`);
  const inPair = saPair(combo, SPI_IN, `${name}-in`);
  const ours = { out: outPair.tx, in: inPair.rx };
  const gateway = { tx: inPair.tx };

  tracer.start(LOCAL, GATEWAY);
  tracer.datagram('out', am1, 0, am1.length, { localPort: 500, remotePort: 500, floated: false });
  const reply = Buffer.concat([Buffer.alloc(4), am1]);
  tracer.datagram('in', reply, 0, reply.length, NAT_T);
  const early = seal(gateway.tx, echo(0, INNER_REMOTE, INNER_LOCAL, 99));
  tracer.datagram('in', early.buf, early.off, early.len, NAT_T); // ESP before quick mode finished
  tracer.espSas({ inbound: ours.in, outbound: ours.out }, { kind: 'udp', localPort: 4500, remotePort: 4500 });

  const span = createPacketSpan();
  // Out: the echo request enters the tunnel and leaves as ESP.
  const request = echo(8, INNER_LOCAL, INNER_REMOTE, 1);
  tracer.inner('out', request, 0, request.length);
  const sent = seal(ours.out, request);
  tracer.outerEsp('out', sent.buf, sent.off, sent.len);
  // In: the echo reply arrives as ESP, is decrypted in place and leaves the tunnel.
  const got = seal(gateway.tx, echo(0, INNER_REMOTE, INNER_LOCAL, 1));
  const wire = Buffer.from(got.buf.subarray(got.off, got.off + got.len));
  tracer.outerEsp('in', got.buf, got.off, got.len);
  expect(decapsulate(ours.in, got.buf, got.off, got.len, span)).toBe(EspStatus.OK);
  tracer.inner('in', got.buf, span.offset, span.length);
  // Drops: a replay of that packet, a bad ICV, an unknown SPI, a routing loop.
  const replay = bufferWith(wire).subarray(ESP_HEADROOM, ESP_HEADROOM + wire.length);
  tracer.outerEsp('in', replay, 0, replay.length);
  const replayStatus = decapsulate(ours.in, replay, 0, replay.length, span);
  expect(replayStatus).toBe(EspStatus.REPLAY);
  tracer.drop('in', espStatusName(replayStatus), replay, 0, replay.length);
  const bad = seal(gateway.tx, echo(0, INNER_REMOTE, INNER_LOCAL, 2));
  bad.buf[bad.off + bad.len - 1] ^= 1;
  tracer.outerEsp('in', bad.buf, bad.off, bad.len);
  const badStatus = decapsulate(ours.in, bad.buf, bad.off, bad.len, span);
  expect(badStatus).toBe(EspStatus.BAD_ICV);
  tracer.drop('in', espStatusName(badStatus), bad.buf, bad.off, bad.len);
  const stranger = Buffer.from(wire);
  stranger.writeUInt32BE(0xdeadbeef, 0);
  tracer.outerEsp('in', stranger, 0, stranger.length);
  tracer.drop('in', 'unknown SPI 0xdeadbeef', stranger, 0, stranger.length);
  // A finding of the session goes on the next packet, before any drop reason of its own.
  tracer.note('ESP black hole: test finding');
  const loop = echo(8, INNER_LOCAL, GATEWAY, 5);
  tracer.drop('out', 'routing loop: packet to the gateway itself', loop, 0, loop.length);
  tracer.close();
  return { tracePath, keysPath, lines, ours };
}

/** tshark over the trace with the keys file's lines as -o arguments (or the directory as config dir). */
function tshark(run: Run, fields: string[], filter: string, keysAsDirectory = false): string[][] {
  const options = keysAsDirectory
    ? []
    : readFileSync(run.keysPath, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).flatMap((l) => ['-o', l]);
  const env = { ...process.env, WIRESHARK_CONFIG_DIR: keysAsDirectory ? run.keysPath : join(dir, 'empty-config') };
  const args = ['-n', '-r', run.tracePath, ...options, '-Y', filter, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])];
  const out = execFileSync('tshark', args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split('|'));
}

const COMBOS: ReadonlyArray<[string, Combo]> = [
  ['aes256-sha1', { transformId: EspTransformId.AES, keyBits: 256, auth: AuthAlgorithm.HMAC_SHA }],
  ['aes128-sha256', { transformId: EspTransformId.AES, keyBits: 128, auth: AuthAlgorithm.HMAC_SHA2_256 }],
  ['3des-md5', { transformId: EspTransformId['3DES'], keyBits: undefined, auth: AuthAlgorithm.HMAC_MD5 }],
  ['aesgcm128', { transformId: EspTransformId.AES_GCM_16, keyBits: 128, auth: AuthAlgorithm.NONE }],
  ['null-sha1', { transformId: EspTransformId.NULL, keyBits: undefined, auth: AuthAlgorithm.HMAC_SHA }],
];

describe('session tracer: pcapng with two interfaces, readable by tshark with the keys file', () => {
  mkdirSync(join(dir, 'empty-config'));
  const main = runSession('main', COMBOS[0]![1], 1);

  it('records IKE as on the wire: port 500, then NAT-T on 4500 with the non-ESP marker', () => {
    const rows = tshark(main, ['frame.interface_id', 'ip.src', 'udp.srcport', 'udp.dstport', 'isakmp.exchangetype', 'frame.packet_flags_direction'], 'isakmp');
    expect(rows).toEqual([
      ['0', LOCAL, '500', '500', '4', '0x00000002'],
      ['0', GATEWAY, '4500', '4500', '4', '0x00000001'],
    ]);
  });

  it('decrypts the ESP on the outer interface to the echo request and reply; the inner interface has them in clear', () => {
    const outer = tshark(main, ['esp.spi', 'ip.src', 'ip.dst', 'icmp.type', 'icmp.seq'], `frame.interface_id == ${TraceInterface.OUTER} && icmp && !frame.comment`);
    expect(outer).toEqual([
      [`0x${SPI_OUT.toString(16)}`, `${LOCAL},${INNER_LOCAL}`, `${GATEWAY},${INNER_REMOTE}`, '8', '1'],
      [`0x${SPI_IN.toString(16)}`, `${GATEWAY},${INNER_REMOTE}`, `${LOCAL},${INNER_LOCAL}`, '0', '1'],
    ]);
    const inner = tshark(main, ['ip.src', 'ip.dst', 'icmp.type', 'icmp.seq', 'frame.packet_flags_direction'], `frame.interface_id == ${TraceInterface.INNER} && !frame.comment`);
    expect(inner).toEqual([
      [INNER_LOCAL, INNER_REMOTE, '8', '1', '0x00000002'],
      [INNER_REMOTE, INNER_LOCAL, '0', '1', '0x00000001'],
    ]);
  });

  it('puts a comment on every dropped packet saying why', () => {
    const rows = tshark(main, ['frame.interface_id', 'frame.comment', 'esp.spi'], 'frame.comment');
    expect(rows).toEqual([
      ['0', 'dropped: no SA yet: ESP before quick mode completed', `0x${SPI_IN.toString(16)}`],
      ['0', 'dropped: replay', `0x${SPI_IN.toString(16)}`],
      ['0', 'dropped: bad ICV', `0x${SPI_IN.toString(16)}`],
      ['0', 'dropped: unknown SPI 0xdeadbeef', '0xdeadbeef'],
      ['1', 'ESP black hole: test finding; dropped: routing loop: packet to the gateway itself', ''],
    ]);
  });

  it('logs the summary per SA at exit, and the first drop of each kind at level 1', () => {
    const summary = main.lines.filter((l) => l.startsWith('trace: '));
    expect(summary).toEqual([
      'trace: 11 packets written; IKE datagrams: 1 sent, 1 received',
      expect.stringMatching(new RegExp(`^trace: ESP SA 0x${SPI_IN.toString(16)} inbound  \\(AES-CBC-256/HMAC-SHA1-96\\): 1 packets, \\d+ bytes; dropped: replay 1, bad ICV 1$`)),
      expect.stringMatching(new RegExp(`^trace: ESP SA 0x${SPI_OUT.toString(16)} outbound \\(AES-CBC-256/HMAC-SHA1-96\\): 1 packets, \\d+ bytes; dropped: routing loop: packet to the gateway itself 1$`)),
      'trace: outside our SAs: dropped: in: no SA yet: ESP before quick mode completed 1, in: unknown SPI 0xdeadbeef 1',
      'trace: 1 finding(s) of the session written as packet comments',
    ]);
    expect(main.lines.filter((l) => l.startsWith('dropped '))).toHaveLength(5);
  });

  it('writes the keys file private (0600) in tshark -o form', () => {
    expect(statSync(main.keysPath).mode & 0o777).toBe(0o600);
    const text = readFileSync(main.keysPath, 'utf8');
    expect(text).toMatch(/^uat:esp_sa:"IPv4","198\.51\.100\.2","198\.51\.100\.1","0xc0ffee01","AES-CBC \[RFC3602\]","0x[0-9a-f]{64}","HMAC-SHA-1-96 \[RFC2404\]","0x[0-9a-f]{40}"$/m);
    expect(text).toMatch(/^esp\.enable_encryption_decode:TRUE$/m);
  });

  for (const [name, combo] of COMBOS.slice(1)) {
    it(`tshark decrypts ${name} with the keys file`, () => {
      const run = runSession(name, combo, 0);
      expect(tshark(run, ['icmp.type'], `frame.interface_id == 0 && icmp && !frame.comment`)).toEqual([['8'], ['0']]);
    });
  }

  it('a directory as --trace-keys becomes a Wireshark configuration directory', () => {
    const run = runSession('dir', COMBOS[0]![1], 0, true);
    expect(readFileSync(join(run.keysPath, 'preferences'), 'utf8')).toContain('esp.enable_encryption_decode: TRUE');
    expect(tshark(run, ['icmp.type'], 'frame.interface_id == 0 && icmp && !frame.comment', true)).toEqual([['8'], ['0']]);
  });
});

describe('session tracer: debug levels', () => {
  const keyHex = (r: Run) => [r.ours.out.keys.encryption, r.ours.out.keys.integrity, r.ours.in.keys.encryption].map((k) => k.toString('hex'));

  it('level 3 describes every packet but never prints key material', () => {
    const r = runSession('level3', COMBOS[0]![1], 3);
    const log = r.lines.join('\n');
    expect(log).toMatch(/sent ISAKMP to 198\.51\.100\.1:500: AGGRESSIVE\(4\) msgid 0x00000000 flags 0x00 cookies 0182665aef063836\/0000000000000000 \[SA KE NONCE ID VENDOR_ID/);
    expect(log).toMatch(/received ISAKMP from 198\.51\.100\.1:4500: AGGRESSIVE\(4\)/);
    expect(log).toMatch(/ {2}0000: 01 82 66 5a ef 06 38 36 00 00 00 00 00 00 00 00/);
    expect(log).toContain('to tunnel: IPv4 ICMP 192.0.2.10 > 203.0.113.5, 76 bytes echo request id 119 seq 1');
    expect(log).toContain('from tunnel: IPv4 ICMP 203.0.113.5 > 192.0.2.10, 76 bytes echo reply id 119 seq 1');
    expect(log).toMatch(/ESP sent: SPI 0xc0ffee01 seq 1, \d+ bytes/);
    for (const k of keyHex(r)) expect(log).not.toContain(k);
  });

  it('level 99 prints the ESP key material', () => {
    const r = runSession('level99', COMBOS[0]![1], 99);
    const log = r.lines.join('\n');
    for (const k of keyHex(r)) expect(log).toContain(k);
  });

  it('level 0 prints nothing but the summary', () => {
    const r = runSession('level0', COMBOS[0]![1], 0);
    expect(r.lines.every((l) => l.startsWith('trace: '))).toBe(true);
  });
});

describe('session tracer: files', () => {
  it('fails with a clear error when the trace file cannot be created', () => {
    expect(() => new SessionTracer({ log: new Logger(), traceFile: join(dir, 'no', 'such', 'dir.pcapng') })).toThrow(/cannot open trace file .*ENOENT/);
  });

  it('without a trace file writes nothing and wants no packets at level 0', () => {
    const t = new SessionTracer({ log: new Logger({ level: 0 }) });
    expect(t.wantsPackets).toBe(false);
    t.close();
  });
});
