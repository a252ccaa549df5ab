import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IPV4_HEADER_LENGTH,
  IpProtocol,
  Ipv4DecodeError,
  decodeIpv4Header,
  encodeIpv4Header,
  ipv4Checksum,
  ipv4HeaderLength,
} from '../../../src/io/ipv4.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';

// RFC 1071 section 3 worked example: words 0001 f203 f4f5 f6f7 sum to 0xddf2 (checksum is its complement).
const RFC1071_BYTES = Buffer.from('0001f203f4f5f6f7', 'hex');

// A real header (ICMP echo 192.168.0.1 -> 192.168.0.199, from a capture often used as the textbook example).
const KNOWN_HEADER = Buffer.from('450000730000400040110000c0a80001c0a800c7', 'hex');
const KNOWN_CHECKSUM = 0xb861;

function validHeader(): Buffer {
  const buf = Buffer.alloc(40);
  encodeIpv4Header(buf, 0, {
    totalLength: 40,
    protocol: IpProtocol.ESP,
    source: parseIpv4('198.51.100.1'),
    destination: parseIpv4('198.51.100.2'),
    identification: 0x1234,
    tos: 0x10,
  });
  return buf;
}

describe('ipv4Checksum', () => {
  it('matches the RFC 1071 example', () => {
    expect(ipv4Checksum(RFC1071_BYTES, 0, RFC1071_BYTES.length)).toBe(~0xddf2 & 0xffff);
  });

  it('matches a known header and verifies to zero once filled in', () => {
    expect(ipv4Checksum(KNOWN_HEADER, 0, 20)).toBe(KNOWN_CHECKSUM);
    const filled = Buffer.from(KNOWN_HEADER);
    filled.writeUInt16BE(KNOWN_CHECKSUM, 10);
    expect(ipv4Checksum(filled, 0, 20)).toBe(0);
  });

  it('pads an odd length with a zero byte', () => {
    expect(ipv4Checksum(Buffer.from([0x12, 0x34, 0x56]), 0, 3)).toBe(ipv4Checksum(Buffer.from([0x12, 0x34, 0x56, 0]), 0, 4));
  });
});

describe('encodeIpv4Header / decodeIpv4Header', () => {
  it('writes the known header byte for byte', () => {
    const buf = Buffer.alloc(20);
    const end = encodeIpv4Header(buf, 0, {
      totalLength: 0x73,
      protocol: IpProtocol.UDP,
      source: parseIpv4('192.168.0.1'),
      destination: parseIpv4('192.168.0.199'),
      dontFragment: true,
    });
    expect(end).toBe(20);
    const expected = Buffer.from(KNOWN_HEADER);
    expected.writeUInt16BE(KNOWN_CHECKSUM, 10);
    expect(buf.toString('hex')).toBe(expected.toString('hex'));
  });

  it('round-trips at an offset inside a larger buffer', () => {
    const buf = Buffer.alloc(64, 0xee);
    expect(
      encodeIpv4Header(buf, 10, { totalLength: 28, protocol: 50, source: 0xc6336401, destination: 0xcb007101, ttl: 7, identification: 65535 }),
    ).toBe(30);
    expect(buf[9]).toBe(0xee);
    expect(decodeIpv4Header(buf, 10, 28)).toEqual({
      headerLength: 20,
      tos: 0,
      totalLength: 28,
      identification: 65535,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 7,
      protocol: 50,
      checksum: buf.readUInt16BE(20),
      source: 0xc6336401,
      destination: 0xcb007101,
    });
  });

  it('round-trips arbitrary fields (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          totalLength: fc.integer({ min: 20, max: 60 }),
          protocol: fc.integer({ min: 0, max: 255 }),
          source: fc.integer({ min: 0, max: 0xffffffff }),
          destination: fc.integer({ min: 0, max: 0xffffffff }),
          tos: fc.integer({ min: 0, max: 255 }),
          identification: fc.integer({ min: 0, max: 0xffff }),
          dontFragment: fc.boolean(),
          ttl: fc.integer({ min: 0, max: 255 }),
        }),
        (fields) => {
          const buf = Buffer.alloc(60);
          encodeIpv4Header(buf, 0, fields);
          const h = decodeIpv4Header(buf, 0, fields.totalLength);
          expect(h).toMatchObject({ ...fields, headerLength: 20, moreFragments: false, fragmentOffset: 0 });
          expect(ipv4HeaderLength(buf, 0, fields.totalLength)).toBe(20);
        },
      ),
    );
  });

  it('decodes options, flags and fragment offset', () => {
    const buf = Buffer.alloc(28);
    encodeIpv4Header(buf, 0, { totalLength: 28, protocol: 1, source: 1, destination: 2 });
    buf[0] = 0x46; // IHL 6: one word of options
    buf.writeUInt16BE(0x2000 | 185, 6); // MF, offset 185 * 8
    buf.writeUInt16BE(0, 10);
    buf.writeUInt16BE(ipv4Checksum(buf, 0, 24), 10);
    const h = decodeIpv4Header(buf, 0, 28);
    expect(h.headerLength).toBe(24);
    expect(h.moreFragments).toBe(true);
    expect(h.dontFragment).toBe(false);
    expect(h.fragmentOffset).toBe(185);
    expect(ipv4HeaderLength(buf, 0, 28)).toBe(24);
  });

  it('rejects out-of-range fields when encoding', () => {
    const base = { totalLength: 20, protocol: 50, source: 1, destination: 2 };
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, totalLength: 19 })).toThrow(RangeError);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, totalLength: 65536 })).toThrow(/total length/);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, ttl: 256 })).toThrow(/TTL/);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, source: -1 })).toThrow(/source/);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, destination: 2 ** 32 })).toThrow(/destination/);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 0, { ...base, protocol: 1.5 })).toThrow(/protocol/);
    expect(() => encodeIpv4Header(Buffer.alloc(20), 1, base)).toThrow(/does not fit/);
  });
});

describe('malformed headers', () => {
  const cases: Array<[string, (b: Buffer) => number, RegExp]> = [
    ['too short', () => 19, /19 bytes, a header needs at least 20/],
    ['version 6', (b) => ((b[0] = 0x65), 40), /version 6, expected 4/],
    ['IHL below 5', (b) => ((b[0] = 0x44), 40), /header length 16 below 20/],
    ['IHL beyond the bytes', (b) => ((b[0] = 0x4f), 40), /header length 60 exceeds the 40 bytes/],
    ['total length below IHL', (b) => (b.writeUInt16BE(19, 2), 40), /total length 19 below header length 20/],
    ['total length beyond the bytes', (b) => (b.writeUInt16BE(41, 2), 40), /total length 41 exceeds the 40 bytes/],
    ['bad checksum', (b) => ((b[8] ^= 1), 40), /bad header checksum/],
  ];
  for (const [name, spoil, message] of cases) {
    it(`rejects ${name}`, () => {
      const buf = validHeader();
      const length = spoil(buf);
      let caught: unknown;
      try {
        decodeIpv4Header(buf, 0, length);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(Ipv4DecodeError);
      expect((caught as Ipv4DecodeError).code).toBe('VPNC_ERR_IPV4_DECODE');
      expect((caught as Error).message).toMatch(message);
      if (name !== 'bad checksum') expect(ipv4HeaderLength(buf, 0, length)).toBe(0);
    });
  }

  it('accepts a bad checksum when asked not to verify it', () => {
    const buf = validHeader();
    buf[8] ^= 1;
    expect(decodeIpv4Header(buf, 0, 40, false).ttl).toBe(65);
  });

  it('throws RangeError for a range outside the buffer', () => {
    expect(() => decodeIpv4Header(Buffer.alloc(20), 1, 20)).toThrow(RangeError);
    expect(ipv4HeaderLength(Buffer.alloc(20), 1, 20)).toBe(0);
  });

  it('never throws anything but Ipv4DecodeError for arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const buf = Buffer.from(bytes);
        try {
          const h = decodeIpv4Header(buf, 0, buf.length);
          expect(ipv4HeaderLength(buf, 0, buf.length)).toBe(h.headerLength);
        } catch (err) {
          expect(err).toBeInstanceOf(Ipv4DecodeError);
        }
      }),
    );
  });
});

describe('IPV4_HEADER_LENGTH', () => {
  it('has a 20-byte minimum header', () => expect(IPV4_HEADER_LENGTH).toBe(20));
});
