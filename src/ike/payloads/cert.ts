/**
 * Certificate (RFC 2408 3.9) and Certificate Request (3.10) payloads:
 *
 *   CERT: Cert Encoding (1) | Certificate Data
 *   CR:   Cert Type (1)     | Certificate Authority
 */
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';

/** CERT payload. */
export interface CertPayload {
  readonly type: typeof PayloadType.CERT;
  /** CertEncoding. */
  readonly encoding: number;
  readonly data: Buffer;
}

/** CR payload. */
export interface CrPayload {
  readonly type: typeof PayloadType.CR;
  /** CertEncoding requested. */
  readonly encoding: number;
  /** DER distinguished name of an acceptable CA, or empty. */
  readonly authority: Buffer;
}

/** Decodes a CERT body. */
export function decodeCert(r: Reader): CertPayload {
  const encoding = r.u8('cert encoding');
  return { type: PayloadType.CERT, encoding, data: r.rest() };
}

/** Encodes a CERT body. */
export function encodeCert(w: Writer, p: CertPayload): void {
  w.u8(p.encoding).bytes(p.data);
}

/** Decodes a CR body. */
export function decodeCr(r: Reader): CrPayload {
  const encoding = r.u8('cert type');
  return { type: PayloadType.CR, encoding, authority: r.rest() };
}

/** Encodes a CR body. */
export function encodeCr(w: Writer, p: CrPayload): void {
  w.u8(p.encoding).bytes(p.authority);
}
