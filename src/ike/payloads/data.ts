/**
 * Payloads whose body is one opaque byte string: KE (RFC 2408 3.7), HASH (3.11), SIG (3.12),
 * Nonce (3.13), Vendor ID (3.16) and NAT-D (RFC 3947 3.2, also under the draft number 130).
 */
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';

/** KE payload: the Diffie-Hellman public value. */
export interface KePayload {
  readonly type: typeof PayloadType.KE;
  readonly data: Buffer;
}

/** HASH payload. */
export interface HashPayload {
  readonly type: typeof PayloadType.HASH;
  readonly data: Buffer;
}

/** SIG payload. */
export interface SigPayload {
  readonly type: typeof PayloadType.SIG;
  readonly data: Buffer;
}

/** Nonce payload. */
export interface NoncePayload {
  readonly type: typeof PayloadType.NONCE;
  readonly data: Buffer;
}

/** Vendor ID payload. */
export interface VendorIdPayload {
  readonly type: typeof PayloadType.VENDOR_ID;
  readonly data: Buffer;
}

/** NAT-D payload (RFC 3947 number 20, or draft number 130; a reply uses the peer's number). */
export interface NatDPayload {
  readonly type: typeof PayloadType.NAT_D | typeof PayloadType.NAT_D_DRAFT;
  readonly hash: Buffer;
}

/** A payload made of one byte string. */
export type DataPayload = KePayload | HashPayload | SigPayload | NoncePayload | VendorIdPayload;

/** Decodes a KE/HASH/SIG/Nonce/VID body: all of it is the data. */
export function decodeData<T extends DataPayload['type']>(type: T, r: Reader): Extract<DataPayload, { type: T }> {
  return { type, data: r.rest() } as Extract<DataPayload, { type: T }>;
}

/** Encodes a KE/HASH/SIG/Nonce/VID body. */
export function encodeData(w: Writer, p: DataPayload): void {
  w.bytes(p.data);
}

/** Decodes a NAT-D body. */
export function decodeNatD(type: NatDPayload['type'], r: Reader): NatDPayload {
  return { type, hash: r.rest() };
}

/** Encodes a NAT-D body. */
export function encodeNatD(w: Writer, p: NatDPayload): void {
  w.bytes(p.hash);
}
