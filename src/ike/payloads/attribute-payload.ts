/**
 * Attribute payload of mode config and XAUTH (draft-ietf-ipsec-isakmp-mode-cfg-05 3.2):
 *
 *   Type (1) | RESERVED (1) | Identifier (2) | Attributes (TV or TLV)
 */
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';
import { decodeAttributes, encodeAttributes, type DataAttribute } from './attributes.js';

/** Attribute payload. */
export interface AttributePayload {
  readonly type: typeof PayloadType.ATTRIBUTE;
  /** CfgType: REQUEST, REPLY, SET or ACK. */
  readonly cfgType: number;
  readonly identifier: number;
  readonly attributes: readonly DataAttribute[];
}

/** Decodes an Attribute payload body. */
export function decodeAttributePayload(r: Reader): AttributePayload {
  const cfgType = r.u8('type');
  r.skip(1, 'RESERVED');
  const identifier = r.u16('identifier');
  return { type: PayloadType.ATTRIBUTE, cfgType, identifier, attributes: decodeAttributes(r) };
}

/** Encodes an Attribute payload body. */
export function encodeAttributePayload(w: Writer, p: AttributePayload): void {
  w.u8(p.cfgType).u8(0).u16(p.identifier);
  encodeAttributes(w, p.attributes);
}
