/**
 * The payload union (discriminated on `type`, the wire payload type) and the per-type body codecs.
 * Types without a codec here (RFC 3547 GDOI payloads, Cisco fragments, anything new) decode as an
 * {@link UnknownPayload} that keeps its body, so the exchange layer decides what to do with them.
 */
import { DecodeNotify } from '../../wire/errors.js';
import type { Reader } from '../../wire/reader.js';
import { Writer } from '../../wire/writer.js';
import { PayloadType, payloadTypeName } from '../constants.js';
import { decodeAttributePayload, encodeAttributePayload, type AttributePayload } from './attribute-payload.js';
import { decodeCert, decodeCr, encodeCert, encodeCr, type CertPayload, type CrPayload } from './cert.js';
import {
  decodeData,
  decodeNatD,
  encodeData,
  encodeNatD,
  type HashPayload,
  type KePayload,
  type NatDPayload,
  type NoncePayload,
  type SigPayload,
  type VendorIdPayload,
} from './data.js';
import { decodeId, encodeId, type IdPayload } from './id.js';
import { decodeNatOa, encodeNatOa, type NatOaPayload } from './nat-oa.js';
import { decodeDelete, decodeNotify, encodeDelete, encodeNotify, type DeletePayload, type NotifyPayload } from './notify.js';
import { decodeSa, encodeSa, type SaPayload } from './sa.js';

/** Every payload that has its own codec. */
export type KnownPayload =
  | SaPayload
  | KePayload
  | IdPayload
  | CertPayload
  | CrPayload
  | HashPayload
  | SigPayload
  | NoncePayload
  | NotifyPayload
  | DeletePayload
  | VendorIdPayload
  | AttributePayload
  | NatDPayload
  | NatOaPayload;

type ByteTuple<N extends number, Acc extends number[] = []> = Acc['length'] extends N
  ? Acc
  : ByteTuple<N, [...Acc, Acc['length']]>;
/** 0..255 as a union of literals. */
type Byte = ByteTuple<256>[number];

/** Payload type numbers that decode as {@link UnknownPayload}. */
export type UnknownPayloadType = Exclude<
  Byte,
  KnownPayload['type'] | typeof PayloadType.NONE | typeof PayloadType.PROPOSAL | typeof PayloadType.TRANSFORM
>;

/** A payload kept as raw bytes (no codec for its type). */
export interface UnknownPayload {
  readonly type: UnknownPayloadType;
  readonly body: Buffer;
}

/** Any top-level payload. */
export type Payload = KnownPayload | UnknownPayload;

/** Log name of a payload type, e.g. "KE payload". */
export function payloadLabel(type: number): string {
  const name = payloadTypeName(type);
  return `${name.startsWith('UNKNOWN') ? `payload type ${type}` : name} payload`;
}

/**
 * Decodes one payload body of the given type. PROPOSAL and TRANSFORM outside an SA payload, and NONE,
 * throw INVALID_PAYLOAD_TYPE.
 */
export function decodePayloadBody(type: number, r: Reader): Payload {
  switch (type) {
    case PayloadType.SA:
      return decodeSa(r);
    case PayloadType.KE:
    case PayloadType.HASH:
    case PayloadType.SIG:
    case PayloadType.NONCE:
    case PayloadType.VENDOR_ID:
      return decodeData(type, r);
    case PayloadType.ID:
      return decodeId(r);
    case PayloadType.CERT:
      return decodeCert(r);
    case PayloadType.CR:
      return decodeCr(r);
    case PayloadType.NOTIFICATION:
      return decodeNotify(r);
    case PayloadType.DELETE:
      return decodeDelete(r);
    case PayloadType.ATTRIBUTE:
      return decodeAttributePayload(r);
    case PayloadType.NAT_D:
    case PayloadType.NAT_D_DRAFT:
      return decodeNatD(type, r);
    case PayloadType.NAT_OA:
    case PayloadType.NAT_OA_DRAFT:
      return decodeNatOa(type, r);
    case PayloadType.PROPOSAL:
    case PayloadType.TRANSFORM:
      return r.fail('only allowed inside an SA payload', DecodeNotify.INVALID_PAYLOAD_TYPE);
    case PayloadType.NONE:
      return r.fail('type 0 (NONE) ends the chain, it has no body', DecodeNotify.INVALID_PAYLOAD_TYPE);
    default:
      return { type: type as UnknownPayloadType, body: r.rest() };
  }
}

/** Writes one payload body (without its generic header). */
export function encodePayloadBodyTo(w: Writer, p: Payload): void {
  if (!isKnown(p)) {
    w.bytes(p.body);
    return;
  }
  switch (p.type) {
    case PayloadType.SA:
      return encodeSa(w, p);
    case PayloadType.KE:
    case PayloadType.HASH:
    case PayloadType.SIG:
    case PayloadType.NONCE:
    case PayloadType.VENDOR_ID:
      return encodeData(w, p);
    case PayloadType.ID:
      return encodeId(w, p);
    case PayloadType.CERT:
      return encodeCert(w, p);
    case PayloadType.CR:
      return encodeCr(w, p);
    case PayloadType.NOTIFICATION:
      return encodeNotify(w, p);
    case PayloadType.DELETE:
      return encodeDelete(w, p);
    case PayloadType.ATTRIBUTE:
      return encodeAttributePayload(w, p);
    case PayloadType.NAT_D:
    case PayloadType.NAT_D_DRAFT:
      return encodeNatD(w, p);
    case PayloadType.NAT_OA:
    case PayloadType.NAT_OA_DRAFT:
      return encodeNatOa(w, p);
    default:
      return assertNever(p);
  }
}

/**
 * One payload's body bytes, e.g. SAi_b or IDii_b for HASH_I when the payload was built locally
 * (decoded SA and ID payloads carry them in `raw`).
 */
export function encodePayloadBody(p: Payload): Buffer {
  const w = new Writer();
  encodePayloadBodyTo(w, p);
  return w.finish();
}

const KNOWN_TYPES: ReadonlySet<number> = new Set<number>([
  PayloadType.SA,
  PayloadType.KE,
  PayloadType.ID,
  PayloadType.CERT,
  PayloadType.CR,
  PayloadType.HASH,
  PayloadType.SIG,
  PayloadType.NONCE,
  PayloadType.NOTIFICATION,
  PayloadType.DELETE,
  PayloadType.VENDOR_ID,
  PayloadType.ATTRIBUTE,
  PayloadType.NAT_D,
  PayloadType.NAT_D_DRAFT,
  PayloadType.NAT_OA,
  PayloadType.NAT_OA_DRAFT,
]);

/** True when the payload has its own codec (narrows away {@link UnknownPayload}). */
export function isKnown(p: Payload): p is KnownPayload {
  return KNOWN_TYPES.has(p.type);
}

function assertNever(x: never): never {
  throw new Error(`unhandled payload ${JSON.stringify(x)}`);
}
