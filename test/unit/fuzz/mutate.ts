/**
 * Input generators shared by the fuzz targets: byte-level edits of a valid message (bit flips, set bytes,
 * length-field values, truncation, insertion, deletion, duplication), arbitrary well-formed payloads of every
 * ISAKMP type, and structural edits of a payload list (drop, duplicate, swap, insert, replace). Well-formed
 * but arbitrary inputs get past the codecs into the exchanges; byte edits exercise the codecs themselves.
 */
import fc from 'fast-check';
import { CfgAttribute } from '../../../src/ike/mode-cfg-constants.js';
import { NotifyType, PayloadType } from '../../../src/ike/constants.js';
import { IkeAttribute } from '../../../src/ike/ike-attributes.js';
import { IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { VendorId } from '../../../src/ike/vendor-ids.js';
import type { DataAttribute, Payload, Proposal, Transform, UnknownPayloadType } from '../../../src/ike/payloads/index.js';
import { isKnown } from '../../../src/ike/payloads/payload.js';

/** Byte strings up to `max` bytes, as Buffers. */
export const bytes = (max = 48, min = 0) => fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));

/** Values that length and count fields are worth trying. */
const INTERESTING_U16 = [0, 1, 2, 3, 4, 5, 7, 8, 12, 16, 20, 28, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];

type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; data: Buffer }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'dup'; at: number; n: number };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...INTERESTING_U16), fc.nat({ max: 0xffff })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), data: bytes(12, 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 24 }) }) },
);

function apply(base: Buffer, edits: readonly Edit[], keep: number): Buffer {
  let b = Buffer.from(base);
  for (const e of edits) {
    const span = b.length - keep;
    if (span <= 0 && e.kind !== 'insert') continue;
    const at = keep + (span > 0 ? e.at % span : 0);
    switch (e.kind) {
      case 'flip':
        b[at] = b[at]! ^ (1 << e.bit);
        break;
      case 'set':
        b[at] = e.value;
        break;
      case 'u16':
        if (at + 2 <= b.length) b.writeUInt16BE(e.value, at);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), e.data, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.n)]);
        break;
      case 'dup':
        b = Buffer.concat([b.subarray(0, at + e.n), b.subarray(at, at + e.n), b.subarray(at + e.n)]);
        break;
    }
  }
  return Buffer.from(b);
}

/** Copies of `base` with 1..`max` byte edits, the first `keep` bytes left alone. */
export function mutated(base: Buffer, keep = 0, max = 6): fc.Arbitrary<Buffer> {
  return fc.array(edit, { minLength: 1, maxLength: max }).map((edits) => apply(base, edits, keep));
}

/** Attribute types worth trying: every known IKE, IPsec and mode-config type, and any 15-bit number. */
const ATTRIBUTE_TYPES = [...new Set([...Object.values(IkeAttribute), ...Object.values(IpsecAttribute), ...Object.values(CfgAttribute)])];
export const attributeType = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ATTRIBUTE_TYPES) }, { weight: 1, arbitrary: fc.nat({ max: 0x7fff }) });

/** A value a numeric attribute might carry: small numbers in 1..4 bytes, or any bytes. */
const attributeValue = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 4 }), fc.oneof(fc.nat({ max: 20 }), fc.nat())).map(([n, v]) => {
    const b = Buffer.alloc(n);
    b.writeUIntBE(v % 2 ** (8 * n), 0, n);
    return b;
  }),
  bytes(20),
  fc.constantFrom(4, 14, 16, 17, 28, 32).chain((n) => bytes(n, n)),
);

export const attribute: fc.Arbitrary<DataAttribute> = fc.oneof(
  fc.record({ type: attributeType, tv: fc.constant(true), value: fc.oneof(fc.nat({ max: 20 }), fc.nat({ max: 0xffff })).map((v) => Buffer.from([v >> 8, v & 0xff])) }),
  fc.record({ type: attributeType, tv: fc.constant(false), value: attributeValue }),
);
export const attributes = (max = 8) => fc.array(attribute, { maxLength: max });

const u8 = fc.nat({ max: 255 });
const u16 = fc.nat({ max: 0xffff });
const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 3), fc.nat({ max: 0xffffffff }).map((n) => n >>> 0));
/** A small enum value: mostly the low numbers a field defines, sometimes anything. */
const small = (max: number) => fc.oneof({ weight: 4, arbitrary: fc.nat({ max }) }, { weight: 1, arbitrary: u8 });
const spi = fc.oneof({ weight: 3, arbitrary: bytes(4, 4) }, { weight: 1, arbitrary: bytes(16, 16) }, { weight: 1, arbitrary: bytes(9) });

const transform: fc.Arbitrary<Transform> = fc.record({ number: u8, id: small(20), attributes: attributes(10) });
const proposal: fc.Arbitrary<Proposal> = fc.record({ number: u8, protocol: small(4), spi: fc.oneof(fc.constant(Buffer.alloc(0)), spi), transforms: fc.array(transform, { minLength: 1, maxLength: 3 }) });
const idData = fc.oneof(fc.constantFrom(4, 8, 16, 32).chain((n) => bytes(n, n)), bytes(40));
const vendorId = fc.oneof(fc.constantFrom(...Object.values(VendorId)), bytes(20));
const notifyType = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...Object.values(NotifyType)) }, { weight: 1, arbitrary: u16 });
const hashData = fc.constantFrom(16, 20, 32, 48, 64).chain((n) => bytes(n, n));
const UNKNOWN_TYPES = Array.from({ length: 256 }, (_, t) => t).filter((t) => t > 3 && !isKnown({ type: t, body: Buffer.alloc(0) } as Payload)) as UnknownPayloadType[];

/** One arbitrary well-formed payload of `type` (an unknown type keeps a raw body). */
export function payloadOf(type: number): fc.Arbitrary<Payload> {
  switch (type) {
    case PayloadType.SA:
      // RFC 2407 4.2: an IPsec SA with the secrecy or integrity situation is not decodable (SITUATION_NOT_SUPPORTED).
      return fc
        .record({ type: fc.constant(PayloadType.SA), doi: small(2), situation: small(2), proposals: fc.array(proposal, { minLength: 1, maxLength: 3 }) })
        .map((sa) => (sa.doi === 1 ? { ...sa, situation: sa.situation & ~6 } : sa));
    case PayloadType.KE:
    case PayloadType.NONCE:
    case PayloadType.SIG:
      return fc.record({ type: fc.constant(type), data: fc.oneof(bytes(40), fc.constantFrom(128, 256).chain((n) => bytes(n, n))) }) as fc.Arbitrary<Payload>;
    case PayloadType.HASH:
      return fc.record({ type: fc.constant(PayloadType.HASH), data: fc.oneof(hashData, bytes(24)) });
    case PayloadType.VENDOR_ID:
      return fc.record({ type: fc.constant(PayloadType.VENDOR_ID), data: vendorId });
    case PayloadType.ID:
      return fc.record({ type: fc.constant(PayloadType.ID), idType: small(12), protocol: fc.oneof(fc.constantFrom(0, 17), u8), port: fc.oneof(fc.constantFrom(0, 500, 4500), u16), data: idData });
    case PayloadType.CERT:
      return fc.record({ type: fc.constant(PayloadType.CERT), encoding: small(12), data: bytes(64) });
    case PayloadType.CR:
      return fc.record({ type: fc.constant(PayloadType.CR), encoding: small(12), authority: bytes(32) });
    case PayloadType.NOTIFICATION:
      return fc.record({
        type: fc.constant(PayloadType.NOTIFICATION),
        doi: small(2),
        protocol: small(4),
        messageType: notifyType,
        spi: fc.oneof(fc.constant(Buffer.alloc(0)), spi),
        data: fc.oneof(bytes(24), attributes(4).map(encodeAttributeList)),
      });
    case PayloadType.DELETE:
      return fc
        .record({ doi: small(2), protocol: small(4), spiSize: fc.oneof(fc.constantFrom(4, 16), fc.nat({ max: 20 })), count: fc.nat({ max: 3 }), seed: bytes(64, 64) })
        .map(({ doi, protocol, spiSize, count, seed }) => ({
          type: PayloadType.DELETE,
          doi,
          protocol,
          spiSize,
          spis: Array.from({ length: count }, (_, i) => Buffer.from(Buffer.concat([seed, seed]).subarray(i * spiSize, (i + 1) * spiSize))),
        }));
    case PayloadType.ATTRIBUTE:
      return fc.record({ type: fc.constant(PayloadType.ATTRIBUTE), cfgType: small(5), identifier: u16, attributes: attributes(12) });
    case PayloadType.NAT_D:
    case PayloadType.NAT_D_DRAFT:
      return fc.record({ type: fc.constant(type), hash: fc.oneof(hashData, bytes(24)) }) as fc.Arbitrary<Payload>;
    case PayloadType.NAT_OA:
    case PayloadType.NAT_OA_DRAFT:
      return fc.record({ type: fc.constant(type), idType: small(8), address: idData }) as fc.Arbitrary<Payload>;
    default:
      return fc.record({ type: fc.constant(type as UnknownPayloadType), body: bytes(24) });
  }
}

const KNOWN = [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 20, 21, 130, 131];
/** Any arbitrary well-formed payload (known types mostly). */
export const anyPayload: fc.Arbitrary<Payload> = fc
  .oneof({ weight: 6, arbitrary: fc.constantFrom(...KNOWN) }, { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_TYPES) })
  .chain(payloadOf);

function encodeAttributeList(list: readonly DataAttribute[]): Buffer {
  return Buffer.concat(
    list.map((a) => {
      const h = Buffer.alloc(a.tv ? 2 : 4);
      h.writeUInt16BE(a.tv ? a.type | 0x8000 : a.type, 0);
      if (!a.tv) h.writeUInt16BE(a.value.length, 2);
      return Buffer.concat([h, a.value]);
    }),
  );
}

type ListEdit =
  | { kind: 'drop' | 'dup'; at: number }
  | { kind: 'swap'; at: number; to: number }
  | { kind: 'insert'; at: number; p: Payload }
  | { kind: 'same-type'; at: number; seed: number }
  | { kind: 'replace'; at: number; p: Payload };

/**
 * Structural edits of `base`: drop, duplicate, swap, insert an arbitrary payload, or replace one by an
 * arbitrary payload of its own type (so an exchange sees a plausible message with one field wrong).
 */
export function mutatedList(base: readonly Payload[], extra: fc.Arbitrary<Payload> = anyPayload, max = 4): fc.Arbitrary<Payload[]> {
  const listEdit: fc.Arbitrary<ListEdit> = fc.oneof(
    fc.record({ kind: fc.constantFrom('drop' as const, 'dup' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), p: extra }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('same-type' as const), at: fc.nat(), seed: fc.nat() }) },
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), p: extra }),
  );
  // Same-type replacements need the type before drawing: draw one candidate per base position up front.
  const sameType = fc.tuple(...base.map((p) => payloadOf(p.type)));
  return fc.tuple(fc.array(listEdit, { minLength: 1, maxLength: max }), base.length ? sameType : fc.constant([] as Payload[])).map(([edits, fresh]) => {
    const list = [...base];
    for (const e of edits) {
      const n = list.length;
      const at = n === 0 ? 0 : e.at % n;
      if (e.kind === 'insert') list.splice(e.at % (n + 1), 0, e.p);
      else if (n === 0) continue;
      else if (e.kind === 'drop') list.splice(at, 1);
      else if (e.kind === 'dup') list.splice(at, 0, list[at]!);
      else if (e.kind === 'swap') [list[at], list[e.to % n]] = [list[e.to % n]!, list[at]!];
      else if (e.kind === 'replace') list[at] = e.p;
      else {
        const i = base.indexOf(list[at]!);
        if (i >= 0) list[at] = (fresh as Payload[])[i]!;
      }
    }
    return list;
  });
}

/** A payload list without the `raw` bytes decoders add, for comparing with what was encoded. */
export function withoutRaw(list: readonly Payload[]): Payload[] {
  return list.map((p) => {
    if (!('raw' in p)) return p;
    const { raw: _raw, ...rest } = p as Payload & { raw?: Buffer };
    return rest as Payload;
  });
}

type AttrEdit =
  | { kind: 'drop' | 'dup'; at: number }
  | { kind: 'value'; at: number; value: DataAttribute }
  | { kind: 'insert'; at: number; a: DataAttribute };

/** Edits of an attribute list: drop, duplicate, another value for the same type, or an inserted attribute. */
export function mutatedAttributes(base: readonly DataAttribute[], max = 3): fc.Arbitrary<DataAttribute[]> {
  const e: fc.Arbitrary<AttrEdit> = fc.oneof(
    fc.record({ kind: fc.constantFrom('drop' as const, 'dup' as const), at: fc.nat() }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('value' as const), at: fc.nat(), value: attribute }) },
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), a: attribute }),
  );
  return fc.array(e, { minLength: 1, maxLength: max }).map((edits) => {
    const list = [...base];
    for (const x of edits) {
      const n = list.length;
      if (x.kind === 'insert') list.splice(x.at % (n + 1), 0, x.a);
      else if (n === 0) continue;
      else if (x.kind === 'drop') list.splice(x.at % n, 1);
      else if (x.kind === 'dup') list.splice(x.at % n, 0, list[x.at % n]!);
      else if (x.kind === 'value') list[x.at % n] = { type: list[x.at % n]!.type, tv: x.value.tv, value: x.value.value };
    }
    return list;
  });
}
