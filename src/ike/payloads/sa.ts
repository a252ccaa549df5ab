/**
 * Security Association payload (RFC 2408 3.4) with its proposal (3.5) and transform (3.6) substructures.
 *
 *   SA body:        DOI (4) | Situation (4) | Proposals
 *   Proposal:       generic header (next 2 or 0) | Proposal # | Protocol-Id | SPI Size | # of Transforms
 *                   | SPI | Transforms
 *   Transform:      generic header (next 3 or 0) | Transform # | Transform-Id | RESERVED2 (2) | Attributes
 *
 * The decoded payload keeps its body bytes in `raw`: HASH_I/HASH_R are computed over SAi_b as received.
 */
import { DecodeNotify, EncodeError } from '../../wire/errors.js';
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { Doi, IpsecSituation, PayloadType } from '../constants.js';
import { decodeAttributes, encodeAttributes, type DataAttribute } from './attributes.js';
import { readGenericHeader, writeGenericHeader } from './generic.js';

/** One transform of a proposal. */
export interface Transform {
  /** Transform # (vpnc counts from 0 in phase 1). */
  readonly number: number;
  /** Transform-Id: KEY_IKE for phase 1, an ESP transform id for ESP. */
  readonly id: number;
  readonly attributes: readonly DataAttribute[];
}

/** One proposal of an SA payload. */
export interface Proposal {
  /** Proposal #. */
  readonly number: number;
  /** Protocol-Id (ProtocolId). */
  readonly protocol: number;
  /** SPI; its length is the SPI Size. Empty in phase 1. */
  readonly spi: Buffer;
  readonly transforms: readonly Transform[];
}

/** SA payload. */
export interface SaPayload {
  readonly type: typeof PayloadType.SA;
  readonly doi: number;
  readonly situation: number;
  readonly proposals: readonly Proposal[];
  /** The body as received (set by the decoder, ignored by the encoder). */
  readonly raw?: Buffer;
}

const SA = 'SA payload';
const BAD = DecodeNotify.BAD_PROPOSAL_SYNTAX;

/** Decodes an SA payload body. Bytes after the last proposal are ignored. */
export function decodeSa(r: Reader): SaPayload {
  const raw = r.peekRest();
  const doi = r.u32('DOI');
  const situation = r.u32('situation');
  if (doi === Doi.IPSEC && situation & (IpsecSituation.SECRECY | IpsecSituation.INTEGRITY)) {
    r.fail(`situation 0x${situation.toString(16)} (secrecy/integrity) not supported`, DecodeNotify.SITUATION_NOT_SUPPORTED);
  }
  if (r.remaining === 0) r.fail('no proposal', BAD);
  const proposals: Proposal[] = [];
  for (;;) {
    const h = readGenericHeader(r, 'proposal', { what: `${SA} proposal ${proposals.length + 1}`, bound: 'proposal' }, 8, BAD);
    proposals.push(decodeProposal(h.body));
    if (h.next === PayloadType.NONE) break;
    if (h.next !== PayloadType.PROPOSAL) r.fail(`proposal next payload ${h.next} is neither 0 nor 2`, BAD);
  }
  return { type: PayloadType.SA, doi, situation, proposals, raw };
}

function decodeProposal(r: Reader): Proposal {
  const number = r.u8('proposal #');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const count = r.u8('# of transforms');
  if (spiSize > r.remaining) r.fail(`SPI size ${spiSize} exceeds proposal (${r.remaining} bytes left)`, BAD);
  const spi = r.bytes(spiSize, 'SPI');
  const transforms: Transform[] = [];
  for (;;) {
    const scope = { what: `${r.what} transform ${transforms.length + 1}`, bound: 'transform' };
    const h = readGenericHeader(r, 'transform', scope, 8, BAD);
    transforms.push(decodeTransform(h.body));
    if (h.next === PayloadType.NONE) break;
    if (h.next !== PayloadType.TRANSFORM) r.fail(`transform next payload ${h.next} is neither 0 nor 3`, BAD);
  }
  if (transforms.length !== count) r.fail(`# of transforms ${count} but ${transforms.length} present`, BAD);
  return { number, protocol, spi, transforms };
}

function decodeTransform(r: Reader): Transform {
  const number = r.u8('transform #');
  const id = r.u8('transform id');
  r.skip(2, 'RESERVED2');
  return { number, id, attributes: decodeAttributes(r) };
}

/** Encodes an SA payload body from its fields (`raw` is ignored). */
export function encodeSa(w: Writer, sa: SaPayload): void {
  if (sa.proposals.length === 0) throw new EncodeError('SA payload needs at least one proposal');
  w.u32(sa.doi).u32(sa.situation);
  sa.proposals.forEach((p, i) => {
    const next = i === sa.proposals.length - 1 ? PayloadType.NONE : PayloadType.PROPOSAL;
    writeGenericHeader(w, next, () => encodeProposal(w, p));
  });
}

function encodeProposal(w: Writer, p: Proposal): void {
  if (p.transforms.length === 0 || p.transforms.length > 255) {
    throw new EncodeError(`proposal ${p.number} needs 1..255 transforms, has ${p.transforms.length}`);
  }
  if (p.spi.length > 255) throw new EncodeError(`proposal ${p.number} SPI of ${p.spi.length} bytes is too long`);
  w.u8(p.number).u8(p.protocol).u8(p.spi.length).u8(p.transforms.length).bytes(p.spi);
  p.transforms.forEach((t, i) => {
    const next = i === p.transforms.length - 1 ? PayloadType.NONE : PayloadType.TRANSFORM;
    writeGenericHeader(w, next, () => {
      w.u8(t.number).u8(t.id).u16(0);
      encodeAttributes(w, t.attributes);
    });
  });
}
