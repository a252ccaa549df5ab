/** Nonce payloads (RFC 2409 5): between 8 and 256 bytes; an empty or huge one is refused, not keyed from. */
import { ProtocolError } from '../../errors.js';
import { NotifyType } from '../constants.js';

export const NONCE_MIN = 8;
export const NONCE_MAX = 256;

/** `nonce` if its length is allowed; throws ProtocolError (PAYLOAD-MALFORMED) naming `where` otherwise. */
export function checkedNonce(nonce: Buffer, where: string): Buffer {
  if (nonce.length < NONCE_MIN || nonce.length > NONCE_MAX) {
    throw new ProtocolError(`${where}: a nonce of ${nonce.length} bytes (RFC 2409: ${NONCE_MIN} to ${NONCE_MAX})`, NotifyType.PAYLOAD_MALFORMED);
  }
  return nonce;
}
