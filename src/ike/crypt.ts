/**
 * Encryption of ISAKMP message bodies (everything after the 28-byte header) and the IKEv1 IV rules
 * (RFC 2409 appendix B, as vpnc's isakmp_crypt() applies them).
 *
 * The rules, which {@link IvChain} implements:
 * 1. Phase 1 (message id 0): the first encrypted message uses IV0 = hash(g^xi | g^xr) truncated to the
 *    cipher's block size. Every later phase-1 message, sent or received, uses the last ciphertext block of
 *    the previous encrypted phase-1 message. There is one phase-1 chain, shared by both directions.
 * 2. Phase 2, XAUTH / mode-config transactions (message id M != 0): the first message under M uses
 *    hash(P | M-ID) truncated, where P is the phase-1 chain's value at that moment, i.e. the last CBC block
 *    of the last encrypted phase-1 message (aggressive mode: AM3; main mode: MM6) and M-ID the 4-byte
 *    big-endian message id. Each later message under M, in either direction, uses the last ciphertext
 *    block of the previous message under M. Chains of different message ids are independent (vpnc keeps
 *    only one, re-derived whenever the id changes: the same IVs unless exchanges interleave, where only
 *    per-id chains stay correct, e.g. a transaction arriving during quick mode).
 * 3. Informational exchanges: every message gets a fresh IV hash(P | M-ID) truncated, computed as in rule
 *    2, and records nothing: neither the phase-1 chain nor any message id's chain moves (vpnc behaves so,
 *    and RFC 2408 informational exchanges are a single message anyway).
 *
 * The chain advances as soon as a message is encrypted or decrypted. So a retransmitted copy of a message
 * already decrypted must be recognised and dropped before decryption (vpnc compares a hash of the raw
 * datagram), and our own retransmissions must resend the same bytes rather than encrypt again.
 */
import { blockSize as cipherBlockSize, cbcDecrypt, cbcEncrypt, keyLength, type CipherName } from '../crypto/cipher.js';
import { hash, hashLength, type HashName } from '../crypto/hash.js';
import { ProtocolError } from '../errors.js';

/** ISAKMP notify PAYLOAD-MALFORMED (RFC 2408 section 3.14.1). */
const PAYLOAD_MALFORMED = 16;

/** How a message's IV is chosen: per rule 1/2 (`chained`) or per rule 3 (`informational`). */
export type IvMode = 'chained' | 'informational';

/** What an {@link IvChain} is built from: the negotiated phase-1 cipher and hash and the derived key and IV0. */
export interface IvChainParams {
  readonly cipher: CipherName;
  /** The negotiated hash (plain, not HMAC), used to derive phase-2 IVs. */
  readonly hash: HashName;
  /** The phase-1 encryption key (keys.ts `encKey`). */
  readonly key: Uint8Array;
  /** The phase-1 initial IV (keys.ts `iv0`, see {@link phase1InitialIv}). */
  readonly iv0: Uint8Array;
  /** Message-id chains kept at most; the least recently used is dropped beyond it. Default 64. */
  readonly maxMessageIds?: number;
}

/** IV0 = hash(g^xi | g^xr) truncated to the block size (RFC 2409 appendix B). */
export function phase1InitialIv(hashName: HashName, gxi: Uint8Array, gxr: Uint8Array, blockSize: number): Buffer {
  return truncate(hash(hashName, gxi, gxr), blockSize, hashName);
}

/** The first IV of message id `msgId`: hash(lastPhase1Block | M-ID) truncated to the block size. */
export function phase2InitialIv(hashName: HashName, lastPhase1Block: Uint8Array, msgId: number, blockSize: number): Buffer {
  return truncate(hash(hashName, lastPhase1Block, messageIdBytes(msgId)), blockSize, hashName);
}

/** M-ID as the 4 big-endian bytes the hashes use. */
export function messageIdBytes(msgId: number): Buffer {
  if (!Number.isInteger(msgId) || msgId < 0 || msgId > 0xffffffff) {
    throw new RangeError(`message id ${msgId} is not a 32-bit unsigned integer`);
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE(msgId);
  return out;
}

/**
 * The IV state of one ISAKMP SA (with the key it is used with), keyed by message id. The chain only
 * changes through {@link advance}; {@link ivFor} is a pure read. See the module comment for the rules.
 */
export class IvChain {
  readonly cipher: CipherName;
  readonly hash: HashName;
  readonly blockSize: number;
  readonly key: Buffer;
  private phase1: Buffer;
  private readonly phase2 = new Map<number, Buffer>();
  private readonly maxMessageIds: number;

  constructor(params: IvChainParams) {
    this.cipher = params.cipher;
    this.hash = params.hash;
    this.blockSize = cipherBlockSize(params.cipher);
    if (params.key.length !== keyLength(params.cipher)) {
      throw new RangeError(`${params.cipher} key is ${params.key.length} bytes, expected ${keyLength(params.cipher)}`);
    }
    if (params.iv0.length !== this.blockSize) {
      throw new RangeError(`IV0 is ${params.iv0.length} bytes, expected the block size ${this.blockSize}`);
    }
    this.key = Buffer.from(params.key);
    this.phase1 = Buffer.from(params.iv0);
    this.maxMessageIds = params.maxMessageIds ?? 64;
  }

  /** The phase-1 chain's current value: IV0, then the last CBC block of the last phase-1 message. */
  get phase1Iv(): Buffer {
    return Buffer.from(this.phase1);
  }

  /** The IV the next message under `msgId` uses (a copy; nothing changes). */
  ivFor(msgId: number, mode: IvMode = 'chained'): Buffer {
    if (mode === 'informational') return phase2InitialIv(this.hash, this.phase1, msgId, this.blockSize);
    if (msgId === 0) return Buffer.from(this.phase1);
    const current = this.phase2.get(msgId);
    return current === undefined ? phase2InitialIv(this.hash, this.phase1, msgId, this.blockSize) : Buffer.from(current);
  }

  /**
   * Records that a message under `msgId` was encrypted or decrypted with {@link ivFor}(msgId, mode) and
   * ended with ciphertext block `lastBlock`. Informational messages record nothing.
   */
  advance(msgId: number, lastBlock: Uint8Array, mode: IvMode = 'chained'): void {
    messageIdBytes(msgId);
    if (lastBlock.length !== this.blockSize) {
      throw new RangeError(`last block is ${lastBlock.length} bytes, expected ${this.blockSize}`);
    }
    if (mode === 'informational') return;
    if (msgId === 0) {
      this.phase1 = Buffer.from(lastBlock);
      return;
    }
    this.phase2.delete(msgId);
    this.phase2.set(msgId, Buffer.from(lastBlock));
    if (this.phase2.size > this.maxMessageIds) {
      const oldest = this.phase2.keys().next();
      if (oldest.done !== true) this.phase2.delete(oldest.value);
    }
  }

  /** Drops the chain of a finished exchange; a later message under `msgId` starts again from rule 2. */
  forget(msgId: number): void {
    this.phase2.delete(msgId);
  }

  /** True when a chain is being kept for `msgId` (0 is always true: the phase-1 chain). */
  has(msgId: number): boolean {
    return msgId === 0 || this.phase2.has(msgId);
  }
}

/**
 * Encrypts the payload chain of a message under `msgId` and advances the chain. The plaintext is padded
 * with zero bytes to a whole number of blocks (no padding when it already is one; an empty plaintext
 * becomes one zero block); the ISAKMP header's
 * length, written by the caller, must count the returned ciphertext, padding included.
 */
export function encryptBody(chain: IvChain, msgId: number, plaintext: Uint8Array, mode: IvMode = 'chained'): Buffer {
  const iv = chain.ivFor(msgId, mode);
  const { data, lastBlock } = cbcEncrypt(chain.cipher, chain.key, iv, padToBlock(plaintext, chain.blockSize));
  chain.advance(msgId, lastBlock, mode);
  return data;
}

/**
 * Decrypts the body of a received message under `msgId` and advances the chain. The result keeps the
 * padding: the payload chain's own lengths say where it ends. A body that is empty or not a whole number
 * of blocks throws ProtocolError with notify PAYLOAD-MALFORMED (16), and the chain is left untouched.
 */
export function decryptBody(chain: IvChain, msgId: number, ciphertext: Uint8Array, mode: IvMode = 'chained'): Buffer {
  if (ciphertext.length === 0 || ciphertext.length % chain.blockSize !== 0) {
    throw new ProtocolError(
      `encrypted ISAKMP body of ${ciphertext.length} bytes is not a positive multiple of the ${chain.cipher} block size ${chain.blockSize}`,
      PAYLOAD_MALFORMED,
    );
  }
  const iv = chain.ivFor(msgId, mode);
  const { data, lastBlock } = cbcDecrypt(chain.cipher, chain.key, iv, ciphertext);
  chain.advance(msgId, lastBlock, mode);
  return data;
}

function padToBlock(data: Uint8Array, size: number): Uint8Array {
  const rest = data.length % size;
  if (rest === 0 && data.length > 0) return data;
  const out = Buffer.alloc(data.length + (size - rest));
  out.set(data);
  return out;
}

function truncate(digest: Buffer, size: number, hashName: HashName): Buffer {
  if (hashLength(hashName) < size) throw new RangeError(`${hashName} output is shorter than the block size ${size}`);
  return digest.subarray(0, size);
}
