/**
 * An established ISAKMP SA: cookies, suite, RFC 2409 keys and the IV chains, with the operations every
 * later exchange needs: seal a hashed message (HASH(1) style: prf(SKEYID_a, M-ID | rest)), open and
 * authenticate a received one. Pure: no sockets, no timers.
 */
import { randomBytes } from 'node:crypto';
import { cbcDecrypt } from '../crypto/cipher.js';
import { hmacPrf, type Prf } from '../crypto/prf.js';
import { ProtocolError } from '../errors.js';
import { cookiePairBytes, sameCookie, type IkeCookie } from '../wire/sa-ids.js';
import { ExchangeType, IsakmpFlag, NotifyType, PayloadType } from './constants.js';
import { encryptBody, IvChain, type IvMode } from './crypt.js';
import { hash1 } from './keys.js';
import type { Phase1Keys } from './keys.js';
import { decodePayloads, encodeMessage, encodePayloadChain, splitMessage, type IsakmpHeader } from './message.js';
import type { Payload } from './payloads/payload.js';
import type { IkeSuite } from './proposals.js';

/** A decrypted message with the bytes its hash covers. */
export interface OpenedMessage {
  readonly header: IsakmpHeader;
  readonly payloads: Payload[];
  /** The plaintext payload chain without padding. */
  readonly chain: Buffer;
}

/** Length of a payload chain in `plain` (walks the generic headers; the padding after it is not counted). */
export function chainLength(plain: Buffer): number {
  let off = 0;
  for (;;) {
    if (off + 4 > plain.length) throw new ProtocolError('payload chain runs past the message', NotifyType.PAYLOAD_MALFORMED);
    const next = plain[off]!;
    const len = plain.readUInt16BE(off + 2);
    if (len < 4) throw new ProtocolError(`payload length ${len} below 4`, NotifyType.PAYLOAD_MALFORMED);
    off += len;
    if (off > plain.length) throw new ProtocolError('payload chain runs past the message', NotifyType.PAYLOAD_MALFORMED);
    if (next === PayloadType.NONE) return off;
  }
}

export function randomMessageId(random: (n: number) => Buffer = randomBytes): number {
  for (;;) {
    const id = random(4).readUInt32BE(0);
    if (id !== 0) return id;
  }
}

export class IkeSa {
  readonly prf: Prf;
  readonly ivs: IvChain;

  constructor(
    readonly cookieI: IkeCookie,
    readonly cookieR: IkeCookie,
    readonly suite: IkeSuite,
    readonly keys: Phase1Keys,
  ) {
    this.prf = hmacPrf(suite.hash);
    this.ivs = new IvChain({ cipher: suite.cipher, hash: suite.hash, key: keys.encKey, iv0: keys.iv0 });
  }

  /** Both cookies, the SPI of ISAKMP notifies and deletes. */
  get spi(): Buffer {
    return cookiePairBytes(this.cookieI, this.cookieR);
  }

  private ivMode(exchangeType: number): IvMode {
    return exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
  }

  /** Encrypts `payloads` under `msgId` (phase 1 when 0) without adding a hash. */
  seal(exchangeType: number, msgId: number, payloads: readonly Payload[]): Buffer {
    const mode = this.ivMode(exchangeType);
    return encodeMessage(
      { initiatorCookie: this.cookieI, responderCookie: this.cookieR, exchangeType, flags: 0, messageId: msgId },
      payloads,
      (chain) => encryptBody(this.ivs, msgId, chain, mode),
    );
  }

  /**
   * Seals HASH(1) | payloads, with HASH(1) = prf(SKEYID_a, M-ID | payloads) (informational, transaction).
   * `extra` is inserted between M-ID and the payloads (Ni_b for quick mode HASH(2)).
   */
  sealHashed(exchangeType: number, msgId: number, payloads: readonly Payload[], extra?: Buffer): Buffer {
    const rest = encodePayloadChain(payloads);
    const h = extra ? hash1(this.prf, this.keys.skeyidA, msgId, Buffer.concat([extra, rest])) : hash1(this.prf, this.keys.skeyidA, msgId, rest);
    return this.seal(exchangeType, msgId, [{ type: PayloadType.HASH, data: h }, ...payloads]);
  }

  /**
   * Decrypts a datagram of this SA. The IV chain advances only when the payloads decode, so a corrupt or
   * forged message does not derail later ones.
   */
  open(datagram: Buffer): OpenedMessage {
    const { msg, lastBlock, mode } = this.decrypt(datagram);
    this.ivs.advance(msg.header.messageId, lastBlock, mode);
    return msg;
  }

  /**
   * Whether `datagram` decrypts, decodes and starts with a HASH that verifies (prf(SKEYID_a, M-ID | [extra |]
   * rest)): a message the gateway really sent. Moves nothing (the IV chain is read, not advanced), so an
   * exchange can pass over a forged or mangled datagram and wait for the real one.
   */
  isAuthentic(datagram: Buffer, extra?: Buffer): boolean {
    try {
      this.verifyHash(this.decrypt(datagram).msg, extra);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether `datagram` is encrypted under this SA and its payloads decode (no hash to check: MM6). Moves nothing. */
  decodes(datagram: Buffer): boolean {
    try {
      this.decrypt(datagram);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Decrypts a datagram and hands it to `use` (which checks its hash and acts on it); the IV chain advances only
   * when `use` returns. A forged message that merely decodes, refused by `use`, moves nothing: the real one that
   * follows under the same message ID still decrypts.
   */
  openWith<T>(datagram: Buffer, use: (msg: OpenedMessage) => T): T {
    const { msg, lastBlock, mode } = this.decrypt(datagram);
    const result = use(msg);
    this.ivs.advance(msg.header.messageId, lastBlock, mode);
    return result;
  }

  private decrypt(datagram: Buffer): { msg: OpenedMessage; lastBlock: Buffer; mode: IvMode } {
    const { header, body } = splitMessage(datagram);
    if (!sameCookie(header.initiatorCookie, this.cookieI) || !sameCookie(header.responderCookie, this.cookieR)) {
      throw new ProtocolError('message for another ISAKMP SA (cookies differ)', NotifyType.INVALID_COOKIE);
    }
    if (!(header.flags & IsakmpFlag.ENCRYPTION)) {
      throw new ProtocolError(`unencrypted ${header.exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'exchange'} message after phase 1`, NotifyType.INVALID_FLAGS);
    }
    const bs = this.ivs.blockSize;
    if (body.length === 0 || body.length % bs !== 0) {
      throw new ProtocolError(`encrypted body of ${body.length} bytes is not a multiple of ${bs}`, NotifyType.PAYLOAD_MALFORMED);
    }
    const mode = this.ivMode(header.exchangeType);
    const iv = this.ivs.ivFor(header.messageId, mode);
    const { data, lastBlock } = cbcDecrypt(this.ivs.cipher, this.ivs.key, iv, body);
    const len = chainLength(data);
    const payloads = decodePayloads(header.nextPayload, data.subarray(0, len));
    return { msg: { header, payloads, chain: data.subarray(0, len) }, lastBlock: Buffer.from(lastBlock), mode };
  }

  /**
   * Checks that the message starts with HASH = prf(SKEYID_a, M-ID | [extra |] rest of the chain).
   * Throws ProtocolError (INVALID_HASH_INFORMATION) otherwise.
   */
  verifyHash(msg: OpenedMessage, extra?: Buffer): void {
    const first = msg.payloads[0];
    if (!first || first.type !== PayloadType.HASH) {
      throw new ProtocolError('message does not start with a HASH payload', NotifyType.INVALID_HASH_INFORMATION);
    }
    const hashLen = msg.chain.readUInt16BE(2);
    const rest = msg.chain.subarray(hashLen);
    const expected = hash1(this.prf, this.keys.skeyidA, msg.header.messageId, extra ? Buffer.concat([extra, rest]) : rest);
    if (!expected.equals(first.data)) {
      throw new ProtocolError('HASH payload does not match: message not authentic', NotifyType.INVALID_HASH_INFORMATION);
    }
  }
}
