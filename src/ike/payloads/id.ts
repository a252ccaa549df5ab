/**
 * Identification payload (RFC 2408 3.8 with the IPsec DOI layout of RFC 2407 4.6.2):
 *
 *   ID Type (1) | Protocol ID (1) | Port (2) | Identification Data
 *
 * The decoded payload keeps its body in `raw`: HASH_I/HASH_R are computed over IDii_b / IDir_b.
 */
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';

/** ID payload. */
export interface IdPayload {
  readonly type: typeof PayloadType.ID;
  /** IdType. */
  readonly idType: number;
  /** IP protocol (17 for UDP in phase 1, 0 for any). */
  readonly protocol: number;
  readonly port: number;
  readonly data: Buffer;
  /** The body as received (set by the decoder, ignored by the encoder). */
  readonly raw?: Buffer;
}

/** Decodes an ID payload body. */
export function decodeId(r: Reader): IdPayload {
  const raw = r.peekRest();
  const idType = r.u8('ID type');
  const protocol = r.u8('protocol id');
  const port = r.u16('port');
  return { type: PayloadType.ID, idType, protocol, port, data: r.rest(), raw };
}

/** Encodes an ID payload body from its fields. */
export function encodeId(w: Writer, p: IdPayload): void {
  w.u8(p.idType).u8(p.protocol).u16(p.port).bytes(p.data);
}
