/**
 * NAT Original Address payload (RFC 3947 5.2, also under the draft number 131):
 *
 *   ID Type (1) | RESERVED (3) | IPv4 (4) or IPv6 (16) address
 */
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';

/** NAT-OA payload. */
export interface NatOaPayload {
  readonly type: typeof PayloadType.NAT_OA | typeof PayloadType.NAT_OA_DRAFT;
  /** IdType: IPV4_ADDR or IPV6_ADDR. */
  readonly idType: number;
  readonly address: Buffer;
}

/** Decodes a NAT-OA body. */
export function decodeNatOa(type: NatOaPayload['type'], r: Reader): NatOaPayload {
  const idType = r.u8('ID type');
  r.skip(3, 'RESERVED');
  return { type, idType, address: r.rest() };
}

/** Encodes a NAT-OA body. */
export function encodeNatOa(w: Writer, p: NatOaPayload): void {
  w.u8(p.idType).zeros(3).bytes(p.address);
}
