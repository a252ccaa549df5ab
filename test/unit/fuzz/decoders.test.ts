/**
 * The plain decoders under fuzzing, and the codecs' round trips with arbitrary valid values: ISAKMP headers,
 * payload chains and data attributes; the bounded Reader; IPv4 and IPv6 text; the IPv4 header (io/ipv4.ts);
 * the packet descriptions of the debug log; a peer's Diffie-Hellman value. Decoding anything yields a value
 * or the project's typed error; decode(encode(x)) = x.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { checkPeerPublic, DH_GROUP_SPEC } from '../../../src/crypto/dh-groups.js';
import { VpncError } from '../../../src/errors.js';
import { decodeIpv4Header, encodeIpv4Header, ipv4Checksum, ipv4HeaderLength, Ipv4DecodeError } from '../../../src/io/ipv4.js';
import { decodeHeader, decodeMessage, decodePayloads, encodeMessage, encodePayloadChain, splitMessage } from '../../../src/ike/message.js';
import { attributeIpv4, attributeNumber, attributeString, attributeU16, attributeU32, decodeAttributes, encodeAttributes, ipv4Attribute, stringAttribute, tvAttribute, u32Attribute, encodePayloadBody } from '../../../src/ike/payloads/index.js';
import { describeEsp, describeIp, describeIsakmp } from '../../../src/session/trace/packet-log.js';
import { DecodeError } from '../../../src/wire/errors.js';
import { formatIpv4, maskToPrefix, prefixToMask, tryParseIpv4, tryParseIpv4Network, parseIpv4Cidr } from '../../../src/wire/ipv4-text.js';
import { formatIpv6, ipv6MaskToPrefix, bigIntToIpv6, ipv6PrefixMask, tryParseIpv6 } from '../../../src/wire/ipv6-text.js';
import { Reader } from '../../../src/wire/reader.js';
import { Writer } from '../../../src/wire/writer.js';
import { copyCookie } from '../../../src/wire/sa-ids.js';
import { anyPayload, attribute, bytes, mutated, withoutRaw } from './mutate.js';
import { outcome, same, target } from './runs.js';

const header = fc.record({
  initiatorCookie: bytes(8, 8).map(copyCookie), responderCookie: bytes(8, 8).map(copyCookie), exchangeType: fc.nat({ max: 255 }),
  flags: fc.nat({ max: 255 }).map((f) => f & ~1), messageId: fc.nat({ max: 0xffffffff }),
});
const payloadLists = fc.array(anyPayload, { maxLength: 6 });
const message = fc.tuple(header, payloadLists).map(([h, l]) => encodeMessage(h, l));

describe('fuzz: ISAKMP codecs', () => {
  target('decodeMessage: arbitrary bytes, mutated messages', [fc.oneof(bytes(300), message.chain((m) => mutated(m)))], (d) => {
    const got = outcome(() => decodeMessage(d, (body) => body));
    for (const f of [() => decodeHeader(d), () => splitMessage(d)]) outcome<unknown>(f);
    if (!got.ok) return got.error instanceof DecodeError ? 'DecodeError' : got.error.constructor.name;
    expect(got.value.header.length).toBeLessThanOrEqual(d.length);
    return 'decoded';
  });

  target('decodePayloads(encodePayloadChain(x)) = x for arbitrary payloads', [payloadLists], (list) => {
    const chain = encodePayloadChain(list);
    const back = decodePayloads(list[0]?.type ?? 0, chain);
    same(withoutRaw(back), list);
    for (const p of back) if ('raw' in p && p.raw) same(p.raw, encodePayloadBody(p));
    same(encodePayloadChain(back), chain);
  });

  target('decodeMessage(encodeMessage(h, x)) = h, x for arbitrary headers and payloads', [header, payloadLists], (h, list) => {
    const m = decodeMessage(encodeMessage(h, list));
    same(m.header, { ...h, version: 0x10, nextPayload: list[0]?.type ?? 0, length: m.header.length });
    same(withoutRaw(m.payloads), list);
  });

  target('data attributes: decode(encode(x)) = x, and the value readers type their refusals', [fc.array(attribute, { maxLength: 8 }), bytes(40)], (attrs, junk) => {
    const w = new Writer();
    encodeAttributes(w, attrs);
    const back = decodeAttributes(new Reader(w.finish(), { what: 'attributes', bound: 'attributes' }));
    same(back, attrs);
    outcome(() => decodeAttributes(new Reader(junk, { what: 'attributes', bound: 'attributes' })));
    for (const a of attrs) for (const read of [attributeNumber, attributeU16, attributeU32, attributeIpv4, attributeString]) outcome(() => read(a));
  });

  target('attribute builders and readers round-trip numbers, addresses and strings', [fc.nat({ max: 0x7fff }), fc.nat({ max: 0xffff }), fc.nat({ max: 0xffffffff }), fc.ipV4(), fc.string({ maxLength: 30 })], (type, n16, n32, ip, s) => {
    expect(attributeNumber(tvAttribute(type, n16))).toBe(n16);
    expect(attributeU32(u32Attribute(type, n32))).toBe(n32);
    expect(attributeNumber(u32Attribute(type, n32))).toBe(n32);
    expect(attributeIpv4(ipv4Attribute(type, ip))).toBe(ip);
    expect(attributeString(stringAttribute(type, s))).toBe(Buffer.from(s, 'utf8').toString('utf8'));
  });

  type Op = { kind: 'u8' | 'u16' | 'u32' | 'rest' | 'peek' } | { kind: 'bytes' | 'skip' | 'sub'; n: number };
  const op: fc.Arbitrary<Op> = fc.oneof(fc.record({ kind: fc.constantFrom('u8' as const, 'u16' as const, 'u32' as const, 'rest' as const, 'peek' as const) }), fc.record({ kind: fc.constantFrom('bytes' as const, 'skip' as const, 'sub' as const), n: fc.integer({ min: -2, max: 40 }) }));
  target('Reader: any sequence of reads on any bytes returns or throws DecodeError', [bytes(48), fc.array(op, { maxLength: 12 })], (buf, ops) => {
    let r = new Reader(buf, { what: 'fuzz', bound: 'fuzz' });
    for (const o of ops) {
      const before = r.remaining;
      const got = outcome(() => {
        switch (o.kind) {
          case 'u8': return r.u8('f');
          case 'u16': return r.u16('f');
          case 'u32': return r.u32('f');
          case 'rest': return r.rest();
          case 'peek': return r.peekRest();
          case 'bytes': return r.bytes(o.n, 'f');
          case 'skip': return r.skip(o.n, 'f');
          case 'sub': return (r = r.sub(o.n, 'f', { what: 'sub', bound: 'sub' }));
        }
      });
      if (!got.ok) {
        expect(got.error).toBeInstanceOf(DecodeError);
        expect(r.remaining).toBe(before);
      }
      expect(r.remaining).toBeGreaterThanOrEqual(0);
    }
  });
});

class Refused extends Error {}
const refuse = (m: string) => new Refused(m);

describe('fuzz: address text', () => {
  const text = fc.oneof(fc.string({ maxLength: 24 }), fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.tuple(fc.ipV4(), fc.nat({ max: 40 })).map(([a, n]) => `${a}/${n}`));
  target('IPv4 and IPv6 text: parsers return or refuse, formatters round-trip', [text], (s) => {
    const v4 = tryParseIpv4(s);
    if (v4 !== undefined) expect(formatIpv4(v4)).toBe(s);
    const net = tryParseIpv4Network(s);
    if (net !== undefined) expect(net.prefixLength).toBeLessThanOrEqual(32);
    const cidr = (() => { try { return parseIpv4Cidr(s, refuse); } catch (e) { if (e instanceof Refused) return undefined; throw e; } })();
    if (cidr) expect((cidr.address & ~cidr.mask) >>> 0).toBe(0);
    const v6 = tryParseIpv6(s);
    if (v6) expect(tryParseIpv6(formatIpv6(v6))).toEqual(v6);
    return [v4 !== undefined && 'v4', net && 'network', v6 && 'v6'].filter(Boolean).join('+') || 'neither';
  });

  target('every IPv4 and IPv6 address fast-check writes parses, and formatting is canonical', [fc.ipV4(), fc.ipV6(), bytes(16, 16), fc.nat({ max: 32 }), fc.nat({ max: 128 })], (a4, a6, raw6, p4, p6) => {
    expect(formatIpv4(tryParseIpv4(a4)!)).toBe(a4);
    const parsed = tryParseIpv6(a6);
    expect(parsed, a6).toBeDefined();
    expect(tryParseIpv6(formatIpv6(raw6))).toEqual(raw6);
    expect(formatIpv6(tryParseIpv6(formatIpv6(raw6))!)).toBe(formatIpv6(raw6));
    expect(maskToPrefix(prefixToMask(p4))).toBe(p4);
    expect(ipv6MaskToPrefix(bigIntToIpv6(ipv6PrefixMask(p6)))).toBe(p6);
  });
});

describe('fuzz: IPv4 headers and packet descriptions', () => {
  const fields = fc.record({
    totalLength: fc.integer({ min: 20, max: 0xffff }), protocol: fc.nat({ max: 255 }), source: fc.nat({ max: 0xffffffff }), destination: fc.nat({ max: 0xffffffff }),
    tos: fc.nat({ max: 255 }), identification: fc.nat({ max: 0xffff }), dontFragment: fc.boolean(), ttl: fc.nat({ max: 255 }),
  });
  target('encodeIpv4Header then decodeIpv4Header round-trips arbitrary fields', [fields, fc.nat({ max: 8 })], (f, at) => {
    const buf = Buffer.alloc(at + Math.max(f.totalLength, 20));
    expect(encodeIpv4Header(buf, at, f)).toBe(at + 20);
    expect(ipv4Checksum(buf, at, 20)).toBe(0);
    const h = decodeIpv4Header(buf, at, f.totalLength);
    expect(h).toMatchObject({ ...f, headerLength: 20, moreFragments: false, fragmentOffset: 0 });
    expect(ipv4HeaderLength(buf, at, f.totalLength)).toBe(20);
  });

  const packets = fc.oneof(bytes(80), fc.tuple(fields, bytes(40)).chain(([f, p]) => {
    const b = Buffer.alloc(20 + p.length);
    encodeIpv4Header(b, 0, { ...f, totalLength: b.length });
    p.copy(b, 20);
    return mutated(b, 0, 3);
  }));
  target('decodeIpv4Header, ipv4HeaderLength and the packet descriptions on arbitrary bytes', [packets, fc.nat({ max: 8 }), fc.nat({ max: 8 })], (p, lead, cut) => {
    const buf = Buffer.alloc(lead + p.length);
    p.copy(buf, lead);
    const len = Math.max(0, p.length - cut);
    const h = outcome(() => decodeIpv4Header(buf, lead, len, false));
    if (!h.ok) expect(h.error).toBeInstanceOf(Ipv4DecodeError);
    expect(ipv4HeaderLength(buf, lead, len)).toBe(h.ok ? h.value.headerLength : 0);
    outcome(() => decodeIpv4Header(buf, lead, len, true));
    for (const d of [describeIp, describeEsp, describeIsakmp]) expect(typeof d(buf, lead, len)).toBe('string');
    return h.ok ? 'header' : 'refused';
  });

  const groups = fc.constantFrom(...Object.keys(DH_GROUP_SPEC).map(Number));
  target('checkPeerPublic: any KE value is accepted or refused with a ProtocolError', [groups, fc.oneof(bytes(70), groups.chain((g) => bytes(DH_GROUP_SPEC[g as keyof typeof DH_GROUP_SPEC].publicLength, DH_GROUP_SPEC[g as keyof typeof DH_GROUP_SPEC].publicLength)))], (g, ke) => {
    const got = outcome(() => checkPeerPublic(g as keyof typeof DH_GROUP_SPEC, ke));
    if (!got.ok) expect(got.error).toBeInstanceOf(VpncError);
    return got.ok ? 'usable' : 'refused';
  });
});
