/**
 * The hostile mode holds the real keys: it opens a message the gateway has just sealed (finding the IV it was
 * encrypted with by the RFC 2409 appendix B rules, checked against the message's own HASH), and seals a changed
 * payload chain under the same header and IV with HASH(1) or HASH(2) recomputed over what the client will
 * hash, so the result is authentic. `followIv` keeps the gateway's IV chain on what was really sent.
 */
import { cbcDecrypt, cbcEncrypt } from '../../crypto/cipher.js';
import { ExchangeType, ISAKMP_HEADER_LENGTH, IsakmpFlag, PayloadType } from '../../ike/constants.js';
import { phase2InitialIv } from '../../ike/crypt.js';
import { chainLength, type IkeSa } from '../../ike/ike-sa.js';
import { hash1, hash2 } from '../../ike/keys.js';
import { encodeHeader, splitMessage, type IsakmpHeader } from '../../ike/message.js';
import { sameCookie } from '../../wire/sa-ids.js';
import { joinChain, splitChain, type RawPayload } from './chain.js';

/**
 * How a message's leading HASH is computed: HASH(1) = prf(SKEYID_a, M-ID | rest) (transactions,
 * informational, our own QM1), HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest) (QM2), or over nothing the chain
 * holds (QM3, whose HASH(3) covers only the nonces; `unknown`: a QM2 whose Ni_b we do not have).
 */
export type HashRule = { readonly kind: 'hash1' } | { readonly kind: 'hash2'; readonly nonceI: Buffer } | { readonly kind: 'fixed' } | { readonly kind: 'unknown' };

/** A message of ours, decrypted. */
export interface OpenedOut {
  readonly header: IsakmpHeader;
  readonly iv: Buffer;
  readonly payloads: RawPayload[];
  readonly hash: HashRule;
}

function split(datagram: Buffer): ReturnType<typeof splitMessage> | undefined {
  try {
    return splitMessage(datagram);
  } catch {
    return undefined;
  }
}

function pad(data: Buffer, size: number): Buffer {
  const rest = data.length % size;
  if (rest === 0 && data.length > 0) return Buffer.from(data);
  return Buffer.concat([data, Buffer.alloc(size - rest)]);
}

/** The HASH the client computes for a padded plaintext chain, or undefined when its chain walk fails. */
function expectedHash(sa: IkeSa, header: IsakmpHeader, padded: Buffer, rule: HashRule): Buffer | undefined {
  if (rule.kind === 'fixed' || rule.kind === 'unknown') return undefined;
  let len: number;
  try {
    len = chainLength(padded);
  } catch {
    return undefined;
  }
  const hashLen = padded.readUInt16BE(2);
  if (hashLen > len) return undefined;
  const rest = padded.subarray(hashLen, len);
  if (rule.kind === 'hash2') return hash2(sa.prf, sa.keys.skeyidA, header.messageId, rule.nonceI, rest);
  return hash1(sa.prf, sa.keys.skeyidA, header.messageId, rest);
}

/** The first IV of message id `msgId` (rule 2 / rule 3). */
function freshIv(sa: IkeSa, msgId: number): Buffer {
  return phase2InitialIv(sa.ivs.hash, sa.ivs.phase1Iv, msgId, sa.ivs.blockSize);
}

/**
 * Decrypts an encrypted message of ours after phase 1. `trigger` is the client's datagram it answers (its last
 * block is the IV of a reply under the same message id); `nonceI` authenticates a QM2. Undefined when no IV
 * candidate gives an authentic-looking message.
 */
export function openOutgoing(sa: IkeSa, datagram: Buffer, trigger: Buffer | undefined, hash: HashRule = { kind: 'hash1' }): OpenedOut | undefined {
  const m = split(datagram);
  if (!m || !(m.header.flags & IsakmpFlag.ENCRYPTION)) return undefined;
  const bs = sa.ivs.blockSize;
  if (m.body.length === 0 || m.body.length % bs !== 0) return undefined;
  const candidates: Buffer[] = [];
  const t = trigger ? split(trigger) : undefined;
  if (t && m.header.exchangeType !== ExchangeType.INFORMATIONAL && t.header.messageId === m.header.messageId && t.body.length >= bs && t.body.length % bs === 0) {
    candidates.push(t.body.subarray(t.body.length - bs));
  }
  candidates.push(freshIv(sa, m.header.messageId));
  for (const iv of candidates) {
    const plain = cbcDecrypt(sa.ivs.cipher, sa.ivs.key, iv, m.body).data;
    const payloads = splitChain(m.header.nextPayload, plain);
    if (!payloads || payloads[0]?.type !== PayloadType.HASH) continue;
    const expected = expectedHash(sa, m.header, plain, hash);
    if (expected && !expected.equals(payloads[0].body)) continue;
    return { header: m.header, iv: Buffer.from(iv), payloads, hash };
  }
  return undefined;
}

/**
 * Seals `chain` (a plaintext payload chain, possibly malformed on purpose) under `header` and `iv`. When it
 * starts with a HASH of the prf's size that the client's chain walk gets past, the HASH is recomputed.
 */
export function sealOutgoing(sa: IkeSa, o: { header: IsakmpHeader; iv: Buffer; chain: Buffer; firstType: number; hash: HashRule }): Buffer {
  const padded = pad(o.chain, sa.ivs.blockSize);
  if (o.firstType === PayloadType.HASH && padded.length >= 4 && padded.readUInt16BE(2) === 4 + sa.prf.length) {
    expectedHash(sa, o.header, padded, o.hash)?.copy(padded, 4);
  }
  const { data } = cbcEncrypt(sa.ivs.cipher, sa.ivs.key, o.iv, padded);
  return Buffer.concat([encodeHeader({ ...o.header, flags: o.header.flags | IsakmpFlag.ENCRYPTION, nextPayload: o.firstType, length: ISAKMP_HEADER_LENGTH + data.length }), data]);
}

/** A message of the client's quick mode QM1: its nonce Ni_b (for HASH(2)), or undefined. */
export function quickModeNonce(sa: IkeSa, qm1: Buffer): Buffer | undefined {
  const m = split(qm1);
  if (!m || m.header.exchangeType !== ExchangeType.QUICK || m.body.length === 0 || m.body.length % sa.ivs.blockSize !== 0) return undefined;
  const plain = cbcDecrypt(sa.ivs.cipher, sa.ivs.key, freshIv(sa, m.header.messageId), m.body).data;
  return splitChain(m.header.nextPayload, plain)?.find((p) => p.type === PayloadType.NONCE)?.body;
}

/** An unencrypted message (AM2, a plain notify) with its chain replaced. */
export function rebuildPlain(header: IsakmpHeader, chain: Buffer, firstType: number): Buffer {
  return Buffer.concat([encodeHeader({ ...header, nextPayload: firstType, length: ISAKMP_HEADER_LENGTH + chain.length }), chain]);
}

/**
 * After `datagram` went to the client: the gateway's chain for its message id (when it keeps one) moves to its
 * last block, since that is what the client's next message under that id is encrypted from.
 */
export function followIv(sa: IkeSa, datagram: Buffer): void {
  const m = split(datagram);
  const bs = sa.ivs.blockSize;
  if (!m || !(m.header.flags & IsakmpFlag.ENCRYPTION) || m.header.exchangeType === ExchangeType.INFORMATIONAL) return;
  if (!sameCookie(m.header.initiatorCookie, sa.cookieI) || !sameCookie(m.header.responderCookie, sa.cookieR)) return;
  const id = m.header.messageId;
  if (id === 0 || !sa.ivs.has(id) || m.body.length === 0 || m.body.length % bs !== 0) return;
  sa.ivs.advance(id, m.body.subarray(m.body.length - bs));
}

/** A new message of ours under a fresh message id: HASH(1) | `payloads`, encrypted, the SA's IV chains untouched. */
export function sealFresh(sa: IkeSa, exchangeType: number, msgId: number, payloads: readonly RawPayload[]): Buffer {
  const header: IsakmpHeader = { initiatorCookie: sa.cookieI, responderCookie: sa.cookieR, nextPayload: PayloadType.HASH, version: 0x10, exchangeType, flags: IsakmpFlag.ENCRYPTION, messageId: msgId, length: 0 };
  const { chain } = joinChain([{ type: PayloadType.HASH, body: Buffer.alloc(sa.prf.length) }, ...payloads]);
  return sealOutgoing(sa, { header, iv: freshIv(sa, msgId), chain, firstType: PayloadType.HASH, hash: { kind: 'hash1' } });
}
