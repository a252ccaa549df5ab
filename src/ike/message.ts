/**
 * ISAKMP messages (RFC 2408 3.1): the fixed header and the next-payload chain.
 *
 *   Initiator Cookie (8) | Responder Cookie (8) | Next Payload (1) | MjVer|MnVer (1) | Exchange Type (1)
 *   | Flags (1) | Message ID (4) | Length (4) | payloads...
 *
 * Encryption is done elsewhere: {@link encodePayloadChain} gives the plaintext chain, the caller
 * encrypts and pads it, and {@link encodeHeader} (or {@link encodeMessage} with an `encryptBody`
 * function) prepends a header carrying the final length.
 */
import { DecodeError, DecodeNotify, EncodeError } from '../wire/errors.js';
import { Reader } from '../wire/reader.js';
import { Writer } from '../wire/writer.js';
import { COOKIE_LENGTH, readCookie, type IkeCookie } from '../wire/sa-ids.js';
import { ISAKMP_HEADER_LENGTH, ISAKMP_VERSION, IsakmpFlag, PayloadType } from './constants.js';
import { readGenericHeader, writeGenericHeader } from './payloads/generic.js';
import { decodePayloadBody, encodePayloadBodyTo, payloadLabel, type Payload } from './payloads/payload.js';

/** A decoded ISAKMP header. */
export interface IsakmpHeader {
  /** Views of the datagram's bytes: copyCookie what is kept longer. */
  readonly initiatorCookie: IkeCookie;
  readonly responderCookie: IkeCookie;
  /** Type of the first payload. */
  readonly nextPayload: number;
  /** Version octet (0x10 for ISAKMP 1.0). */
  readonly version: number;
  /** ExchangeType. */
  readonly exchangeType: number;
  /** IsakmpFlag bits. */
  readonly flags: number;
  readonly messageId: number;
  /** Total message length including the header. */
  readonly length: number;
}

/** The header fields a sender chooses; next payload and length follow from the payloads. */
export type HeaderFields = Omit<IsakmpHeader, 'nextPayload' | 'length' | 'version'> & { readonly version?: number };

/** A datagram split into its header and the body the header's length covers. */
export interface SplitMessage {
  readonly header: IsakmpHeader;
  /** Bytes 28..length: the payload chain, encrypted when the E flag is set. */
  readonly body: Buffer;
}

/** A decoded plaintext message. */
export interface DecodedMessage {
  readonly header: IsakmpHeader;
  readonly payloads: Payload[];
}

const HDR = 'ISAKMP header';

/**
 * Decodes the 28-byte header at the start of `buf`. Throws DecodeError: UNEQUAL_PAYLOAD_LENGTHS when
 * `buf` is shorter than a header or the length field is below 28, INVALID_MAJOR_VERSION unless the
 * major version is 1, INVALID_MINOR_VERSION unless the minor version is 0. The length field is not
 * compared with `buf` here (see {@link splitMessage}).
 */
export function decodeHeader(buf: Buffer): IsakmpHeader {
  if (buf.length < ISAKMP_HEADER_LENGTH) {
    throw new DecodeError(`${HDR}: datagram of ${buf.length} bytes is shorter than a header (28)`, DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS);
  }
  const r = new Reader(buf.subarray(0, ISAKMP_HEADER_LENGTH), { what: HDR, bound: 'header' });
  r.skip(2 * COOKIE_LENGTH, 'cookies');
  const initiatorCookie = readCookie(buf, 0);
  const responderCookie = readCookie(buf, COOKIE_LENGTH);
  const nextPayload = r.u8('next payload');
  const version = r.u8('version');
  if (version >> 4 !== ISAKMP_VERSION >> 4) {
    r.fail(`major version ${version >> 4} not supported (only 1)`, DecodeNotify.INVALID_MAJOR_VERSION);
  }
  if ((version & 0x0f) !== 0) r.fail(`minor version ${version & 0x0f} not supported (only 0)`, DecodeNotify.INVALID_MINOR_VERSION);
  const exchangeType = r.u8('exchange type');
  const flags = r.u8('flags');
  const messageId = r.u32('message id');
  const length = r.u32('length');
  if (length < ISAKMP_HEADER_LENGTH) r.fail(`length ${length} is shorter than the header`, DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS);
  return { initiatorCookie, responderCookie, nextPayload, version, exchangeType, flags, messageId, length };
}

/**
 * Decodes the header and cuts the body to the header's length. A length field larger than the datagram
 * throws UNEQUAL_PAYLOAD_LENGTHS; a smaller one leaves the trailing bytes ignored, as real
 * implementations do.
 */
export function splitMessage(datagram: Buffer): SplitMessage {
  const header = decodeHeader(datagram);
  if (header.length > datagram.length) {
    throw new DecodeError(
      `${HDR}: length ${header.length} exceeds datagram (${datagram.length} bytes)`,
      DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS,
    );
  }
  return { header, body: datagram.subarray(ISAKMP_HEADER_LENGTH, header.length) };
}

/**
 * Walks the next-payload chain starting with `firstType` and decodes each payload. Stops at next
 * payload 0 and ignores what follows (IKEv1 encrypted bodies end in padding). A payload length below 4
 * or beyond the body throws PAYLOAD_MALFORMED.
 */
export function decodePayloads(firstType: number, body: Buffer): Payload[] {
  const r = new Reader(body, { what: 'message', bound: 'message' });
  const payloads: Payload[] = [];
  for (let type = firstType; type !== PayloadType.NONE; ) {
    const label = payloadLabel(type);
    const h = readGenericHeader(r, label, { what: label, bound: 'payload' });
    payloads.push(decodePayloadBody(type, h.body));
    type = h.next;
  }
  return payloads;
}

/**
 * Decodes a whole datagram. When the E flag is set the body is first passed to `decryptBody` (which
 * returns the plaintext chain, padding included); without one an encrypted message throws INVALID_FLAGS.
 */
export function decodeMessage(datagram: Buffer, decryptBody?: (body: Buffer, header: IsakmpHeader) => Buffer): DecodedMessage {
  const { header, body } = splitMessage(datagram);
  let plain = body;
  if (header.flags & IsakmpFlag.ENCRYPTION) {
    if (!decryptBody) throw new DecodeError(`${HDR}: encrypted message where a plaintext one was expected`, DecodeNotify.INVALID_FLAGS);
    plain = decryptBody(body, header);
  }
  return { header, payloads: decodePayloads(header.nextPayload, plain) };
}

/** Encodes payloads as a chain, each generic header pointing to the next payload's type. */
export function encodePayloadChain(payloads: readonly Payload[]): Buffer {
  const w = new Writer(512);
  payloads.forEach((p, i) => {
    const next = payloads[i + 1]?.type ?? PayloadType.NONE;
    writeGenericHeader(w, next, () => encodePayloadBodyTo(w, p));
  });
  return w.finish();
}

/** Encodes a 28-byte header with every field given explicitly. */
export function encodeHeader(h: IsakmpHeader): Buffer {
  if (h.initiatorCookie.length !== COOKIE_LENGTH || h.responderCookie.length !== COOKIE_LENGTH) {
    throw new EncodeError('ISAKMP cookies must be 8 bytes each');
  }
  return new Writer(ISAKMP_HEADER_LENGTH)
    .bytes(h.initiatorCookie)
    .bytes(h.responderCookie)
    .u8(h.nextPayload)
    .u8(h.version)
    .u8(h.exchangeType)
    .u8(h.flags)
    .u32(h.messageId)
    .u32(h.length)
    .finish();
}

/**
 * Encodes a whole message. With `encryptBody` the plaintext chain is handed to it, its result becomes
 * the body, and the E flag is set; the length field always covers the body actually sent.
 */
export function encodeMessage(fields: HeaderFields, payloads: readonly Payload[], encryptBody?: (chain: Buffer) => Buffer): Buffer {
  const chain = encodePayloadChain(payloads);
  const body = encryptBody ? encryptBody(chain) : chain;
  const header = encodeHeader({
    ...fields,
    version: fields.version ?? ISAKMP_VERSION,
    flags: encryptBody ? fields.flags | IsakmpFlag.ENCRYPTION : fields.flags,
    nextPayload: payloads[0]?.type ?? PayloadType.NONE,
    length: ISAKMP_HEADER_LENGTH + body.length,
  });
  return Buffer.concat([header, body]);
}
