/**
 * The pcapng writer, read back by the real readers (capinfos and tshark, Debian package tshark; no root):
 * interfaces with names and link types, timestamps, directions, comments, truncation to the snap length;
 * and the block framing itself; negative cases: undeclared interface, bad timestamps, oversized comments.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BlockType,
  encodeEnhancedPacket,
  encodeInterfaceDescription,
  encodeSectionHeader,
  LinkType,
  PcapngWriter,
  type EnhancedPacket,
} from '../../../src/session/trace/pcapng.js';
import { icmpEcho, ipv4Packet, udpIpv4 } from '../esp/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'pcapng-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTrace(name: string, packets: readonly EnhancedPacket[], snapLength?: number): string {
  const chunks: Buffer[] = [];
  const w = new PcapngWriter((c) => chunks.push(c), [
    { linkType: LinkType.RAW, name: 'outer', description: 'on the wire' },
    { linkType: LinkType.RAW, name: 'inner', ...(snapLength ? { snapLength } : {}) },
  ], { application: 'test' }, 64);
  for (const p of packets) w.packet(p);
  w.flush();
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(chunks));
  return path;
}

function tshark(path: string, fields: string[], filter?: string): string[][] {
  const args = ['-n', '-r', path, '-T', 'fields', '-E', 'separator=|', ...(filter ? ['-Y', filter] : []), ...fields.flatMap((f) => ['-e', f])];
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split('|'));
}

/** Walks the blocks of a file: [type, total length] each, checking both length fields agree. */
function blocks(file: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p < file.length; ) {
    const type = file.readUInt32LE(p);
    const len = file.readUInt32LE(p + 4);
    expect(len % 4).toBe(0);
    expect(file.readUInt32LE(p + len - 4)).toBe(len);
    out.push([type, len]);
    p += len;
  }
  return out;
}

const echo = ipv4Packet('192.0.2.1', '203.0.113.1', 1, icmpEcho(7, 3, Buffer.alloc(56, 0x61)));
const ike = udpIpv4('198.51.100.2', '198.51.100.1', 500, 500, Buffer.alloc(28));

describe('pcapng writer', () => {
  it('capinfos lists both interfaces with their names and link type, and counts the packets', () => {
    const path = writeTrace('two.pcapng', [
      { interfaceId: 0, timestampUs: 1_700_000_000_000_000, data: ike, direction: 'out' },
      { interfaceId: 1, timestampUs: 1_700_000_000_000_500, data: echo, direction: 'out' },
    ]);
    expect(execFileSync('capinfos', ['-t', path], { encoding: 'utf8' })).toMatch(/File type:\s+Wireshark\/\.\.\. - pcapng/);
    const info = execFileSync('capinfos', ['-I', '-c', path], { encoding: 'utf8' });
    expect(info).toMatch(/Number of packets:\s+2/);
    expect(info).toMatch(/Number of interfaces in file: 2/);
    expect(info).toMatch(/Name = outer/);
    expect(info).toMatch(/Description = on the wire/);
    expect(info).toMatch(/Name = inner/);
    expect(info).toMatch(/Encapsulation = Raw IP/);
  });

  it('tshark reads interface, timestamp, direction, comment and the packet itself', () => {
    const head = echo.subarray(0, 20);
    const path = writeTrace('fields.pcapng', [
      { interfaceId: 1, timestampUs: 1_700_000_001_234_567, data: echo, direction: 'in' },
      { interfaceId: 0, timestampUs: 1_700_000_002_000_001, head, data: echo.subarray(20), direction: 'out', comment: 'dropped: routing loop – ünïcode' },
      { interfaceId: 1, timestampUs: 1_700_000_003_000_000, data: ike },
    ]);
    const rows = tshark(path, ['frame.interface_id', 'frame.time_epoch', 'frame.packet_flags_direction', 'frame.comment', 'icmp.seq', 'udp.dstport']);
    expect(rows).toEqual([
      ['1', '1700000001.234567000', '0x00000001', '', '3', ''],
      ['0', '1700000002.000001000', '0x00000002', 'dropped: routing loop – ünïcode', '3', ''],
      ['1', '1700000003.000000000', '', '', '', '500'],
    ]);
  });

  it('cuts packets to the interface snap length and keeps the original length', () => {
    const path = writeTrace('snap.pcapng', [{ interfaceId: 1, timestampUs: 1, data: echo }], 40);
    expect(tshark(path, ['frame.cap_len', 'frame.len'])).toEqual([['40', String(echo.length)]]);
  });

  it('frames every block with matching lengths, 4-byte aligned, SHB then IDBs then EPBs', () => {
    const file = Buffer.concat([
      encodeSectionHeader({ application: 'x', comment: 'odd' }),
      encodeInterfaceDescription({ linkType: LinkType.IPV4, name: 'abc' }),
      encodeEnhancedPacket({ interfaceId: 0, timestampUs: 2 ** 40 + 5, data: Buffer.alloc(5), comment: 'c' }),
    ]);
    expect(blocks(file).map(([t]) => t)).toEqual([BlockType.SECTION_HEADER, BlockType.INTERFACE_DESCRIPTION, BlockType.ENHANCED_PACKET]);
    const epbAt = blocks(file)[0]![1] + blocks(file)[1]![1];
    expect(file.readUInt32LE(epbAt + 12)).toBe(2 ** 8); // timestamp high word
    expect(file.readUInt32LE(epbAt + 16)).toBe(5);
    expect(file.readUInt32LE(epbAt + 20)).toBe(5); // captured length
  });

  it('hands blocks to the sink only on flush or once enough are pending', () => {
    const chunks: Buffer[] = [];
    const w = new PcapngWriter((c) => chunks.push(c), [{ linkType: LinkType.RAW, name: 'x' }], {}, 1 << 20);
    w.packet({ interfaceId: 0, timestampUs: 0, data: echo });
    expect(chunks).toHaveLength(0);
    w.flush();
    expect(chunks).toHaveLength(1);
    w.flush();
    expect(chunks).toHaveLength(1);
  });
});

describe('pcapng writer refuses what it cannot write', () => {
  const w = () => new PcapngWriter(() => {}, [{ linkType: LinkType.RAW, name: 'only' }]);

  it('an undeclared interface id', () => {
    expect(() => w().packet({ interfaceId: 1, timestampUs: 0, data: echo })).toThrow(/interface 1 not declared/);
    expect(() => w().packet({ interfaceId: -1, timestampUs: 0, data: echo })).toThrow(RangeError);
  });

  it('negative, fractional or unsafe timestamps', () => {
    for (const t of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, NaN]) {
      expect(() => w().packet({ interfaceId: 0, timestampUs: t, data: echo })).toThrow(/timestamp/);
    }
  });

  it('a comment longer than an option can hold', () => {
    expect(() => w().packet({ interfaceId: 0, timestampUs: 0, data: echo, comment: 'x'.repeat(70_000) })).toThrow(/longer than 65535/);
  });

  it('a section without interfaces, and a bad snap length', () => {
    expect(() => new PcapngWriter(() => {}, [])).toThrow(/at least one interface/);
    expect(() => encodeInterfaceDescription({ linkType: LinkType.RAW, name: 'x', snapLength: -1 })).toThrow(/snap length/);
  });
});
