/**
 * Data attributes (RFC 2408 3.3), shared by SA transforms, RESPONDER-LIFETIME notifies and mode config
 * attribute payloads:
 *
 *   !A!       Attribute Type        !    AF=0  Attribute Length     !
 *   !F!                             !    AF=1  Attribute Value      !
 *   .                   AF=0  Attribute Value                       .
 *
 * With the AF bit set the attribute is TV (a 2-byte value), otherwise TLV. The value is always kept as
 * the bytes on the wire; helpers read it as a number, an IPv4 address or a string.
 */
import { DecodeError, DecodeNotify, EncodeError } from '../../wire/errors.js';
import { formatIpv4Bytes, ipv4TextToBytes } from '../../wire/ipv4-text.js';
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';

/** One data attribute. */
export interface DataAttribute {
  /** Attribute type without the AF bit (0..0x7fff). */
  readonly type: number;
  /** True for the TV form (AF bit set, value exactly 2 bytes). */
  readonly tv: boolean;
  /** The value bytes as on the wire. */
  readonly value: Buffer;
}

const AF_BIT = 0x8000;

/** Decodes attributes until the reader is empty. */
export function decodeAttributes(r: Reader): DataAttribute[] {
  const attrs: DataAttribute[] = [];
  while (r.remaining > 0) attrs.push(decodeAttribute(r));
  return attrs;
}

function decodeAttribute(r: Reader): DataAttribute {
  const raw = r.u16('attribute type');
  const type = raw & ~AF_BIT;
  if (raw & AF_BIT) return { type, tv: true, value: r.bytes(2, `attribute ${type} value`) };
  const left = r.remaining;
  const length = r.u16(`attribute ${type} length`);
  if (length > left - 2) r.fail(`attribute ${type} length ${length} exceeds ${r.bound} (${left - 2} bytes left)`);
  return { type, tv: false, value: r.bytes(length, `attribute ${type} value`) };
}

/** Encodes attributes in order. Throws EncodeError for a TV value that is not 2 bytes or a type > 0x7fff. */
export function encodeAttributes(w: Writer, attrs: readonly DataAttribute[]): void {
  for (const a of attrs) {
    if (a.type > 0x7fff) throw new EncodeError(`attribute type ${a.type} exceeds 15 bits`);
    if (a.tv) {
      if (a.value.length !== 2) throw new EncodeError(`TV attribute ${a.type} needs a 2-byte value, got ${a.value.length}`);
      w.u16(a.type | AF_BIT).bytes(a.value);
    } else {
      w.u16(a.type).u16(a.value.length).bytes(a.value);
    }
  }
}

/** A TV (basic) attribute with a 16-bit value. */
export function tvAttribute(type: number, value: number): DataAttribute {
  const v = Buffer.alloc(2);
  v.writeUInt16BE(value);
  return { type, tv: true, value: v };
}

/** A TLV (variable) attribute; the value is not copied. */
export function tlvAttribute(type: number, value: Buffer = Buffer.alloc(0)): DataAttribute {
  return { type, tv: false, value };
}

/** A TLV attribute holding a 32-bit number (e.g. LIFE_DURATION, as vpnc sends it). */
export function u32Attribute(type: number, value: number): DataAttribute {
  const v = Buffer.alloc(4);
  v.writeUInt32BE(value);
  return { type, tv: false, value: v };
}

/** A TLV attribute holding a UTF-8 string. */
export function stringAttribute(type: number, value: string): DataAttribute {
  return { type, tv: false, value: Buffer.from(value, 'utf8') };
}

/** A TLV attribute holding a dotted-quad IPv4 address; EncodeError when `address` is not one. */
export function ipv4Attribute(type: number, address: string): DataAttribute {
  return { type, tv: false, value: ipv4TextToBytes(address, (m) => new EncodeError(m)) };
}

/**
 * The attribute's value as an unsigned number: TV values, and TLV values of 1..6 bytes (big-endian,
 * as RFC 2408 allows variable-length durations). Longer or empty values throw DecodeError.
 */
export function attributeNumber(a: DataAttribute): number {
  if (a.value.length === 0 || a.value.length > 6) {
    throw new DecodeError(`attribute ${a.type}: ${a.value.length}-byte value is not a number`, DecodeNotify.PAYLOAD_MALFORMED);
  }
  return a.value.readUIntBE(0, a.value.length);
}

/** The value as a 16-bit number; it must be exactly 2 bytes. */
export function attributeU16(a: DataAttribute): number {
  return fixed(a, 2).readUInt16BE(0);
}

/** The value as a 32-bit number; it must be exactly 4 bytes. */
export function attributeU32(a: DataAttribute): number {
  return fixed(a, 4).readUInt32BE(0);
}

/** The value as a dotted-quad IPv4 address; it must be exactly 4 bytes. */
export function attributeIpv4(a: DataAttribute): string {
  return formatIpv4Bytes(fixed(a, 4));
}

/** The value as a string (UTF-8; Cisco banners and domains are ASCII). */
export function attributeString(a: DataAttribute): string {
  return a.value.toString('utf8');
}

/** The first attribute of a type, if any. */
export function findAttribute(attrs: readonly DataAttribute[], type: number): DataAttribute | undefined {
  return attrs.find((a) => a.type === type);
}

function fixed(a: DataAttribute, n: number): Buffer {
  if (a.value.length !== n) {
    throw new DecodeError(`attribute ${a.type}: expected ${n}-byte value, got ${a.value.length}`, DecodeNotify.PAYLOAD_MALFORMED);
  }
  return a.value;
}
