/**
 * Errors raised by the wire codecs. A `DecodeError` says which field was wrong and carries the ISAKMP
 * notify message type (RFC 2408 section 3.14.1) that a responder would answer with. The numbers are
 * repeated here (not imported from ike/) because wire/ sits below ike/ in the layering.
 */
import { VpncError } from '../errors.js';

/** The RFC 2408 error notify types that decoding can produce. */
export const DecodeNotify = {
  INVALID_PAYLOAD_TYPE: 1,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_FLAGS: 8,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
} as const;
/** One of the notify numbers in {@link DecodeNotify}. */
export type DecodeNotify = (typeof DecodeNotify)[keyof typeof DecodeNotify];

/** Bytes received from the peer could not be decoded. */
export class DecodeError extends VpncError {
  /** ISAKMP notify message type to answer with. */
  readonly notify: DecodeNotify;
  constructor(message: string, notify: DecodeNotify = DecodeNotify.PAYLOAD_MALFORMED) {
    super('VPNC_ERR_DECODE', message);
    this.notify = notify;
  }
}

/** A value handed to an encoder does not fit its wire field (a bug in the caller, not the peer). */
export class EncodeError extends VpncError {
  constructor(message: string) {
    super('VPNC_ERR_ENCODE', message);
  }
}
