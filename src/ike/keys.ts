/**
 * The IKEv1 key schedule with RFC 2409's names (sections 5, 5.5 and appendix B). All functions are pure;
 * byte strings are concatenated in the order the RFC writes them. "_b" values (Ni_b, SAi_b, IDii_b) are
 * payload bodies without the generic payload header; message ids are 32-bit numbers, hashed big-endian.
 */
import { CIPHER_SPEC, type CipherName } from '../crypto/cipher.js';
import type { HashName } from '../crypto/hash.js';
import { hmacPrf, type Prf } from '../crypto/prf.js';
import { messageIdBytes, phase1InitialIv } from './crypt.js';

const ZERO = Buffer.from([0]);
const ONE = Buffer.from([1]);
const TWO = Buffer.from([2]);

/** SKEYID for pre-shared keys (also XAUTH-PSK): prf(pre-shared-key, Ni_b | Nr_b). */
export function skeyidPsk(prf: Prf, psk: Uint8Array, nonceI: Uint8Array, nonceR: Uint8Array): Buffer {
  return prf.compute(psk, nonceI, nonceR);
}

/** SKEYID for signatures (also hybrid auth): prf(Ni_b | Nr_b, g^xy). */
export function skeyidSig(prf: Prf, nonceI: Uint8Array, nonceR: Uint8Array, gxy: Uint8Array): Buffer {
  return prf.compute(Buffer.concat([nonceI, nonceR]), gxy);
}

/** SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0). */
export function skeyidD(prf: Prf, skeyid: Uint8Array, gxy: Uint8Array, ckyI: Uint8Array, ckyR: Uint8Array): Buffer {
  return prf.compute(skeyid, gxy, ckyI, ckyR, ZERO);
}

/** SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1). */
export function skeyidA(
  prf: Prf,
  skeyid: Uint8Array,
  skeyidDValue: Uint8Array,
  gxy: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
): Buffer {
  return prf.compute(skeyid, skeyidDValue, gxy, ckyI, ckyR, ONE);
}

/** SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2). */
export function skeyidE(
  prf: Prf,
  skeyid: Uint8Array,
  skeyidAValue: Uint8Array,
  gxy: Uint8Array,
  ckyI: Uint8Array,
  ckyR: Uint8Array,
): Buffer {
  return prf.compute(skeyid, skeyidAValue, gxy, ckyI, ckyR, TWO);
}

/**
 * The phase-1 encryption key of `length` bytes (RFC 2409 appendix B): the leading bytes of SKEYID_e when it
 * is long enough, else of Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1), with 0 a
 * single zero byte. (E.g. 3DES or AES-256 with SHA-1 or MD5 needs the expansion.)
 */
export function encryptionKey(prf: Prf, skeyidEValue: Uint8Array, length: number): Buffer {
  if (skeyidEValue.length >= length) return Buffer.from(skeyidEValue.subarray(0, length));
  const blocks: Buffer[] = [];
  let previous: Buffer = ZERO;
  for (let have = 0; have < length; have += prf.length) {
    previous = prf.compute(skeyidEValue, previous);
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** How SKEYID is made: from the pre-shared key, or (signature and hybrid methods) from the nonces. */
export type SkeyidSource = { readonly method: 'psk'; readonly psk: Uint8Array } | { readonly method: 'signature' };

/** Everything the phase-1 key schedule needs. */
export interface Phase1KeyInput {
  /** The negotiated hash; its HMAC is the prf (no PRF attribute is ever negotiated with these peers). */
  readonly hash: HashName;
  readonly cipher: CipherName;
  readonly auth: SkeyidSource;
  /** Ni_b, Nr_b: nonce payload bodies. */
  readonly nonceI: Uint8Array;
  readonly nonceR: Uint8Array;
  /** g^xi, g^xr: KE payload bodies; g^xy: the shared secret (dh-groups.ts forms). */
  readonly gxi: Uint8Array;
  readonly gxr: Uint8Array;
  readonly gxy: Uint8Array;
  /** CKY-I, CKY-R: the 8-byte cookies. */
  readonly ckyI: Uint8Array;
  readonly ckyR: Uint8Array;
}

/** The phase-1 key material, RFC 2409 names. */
export interface Phase1Keys {
  readonly skeyid: Buffer;
  readonly skeyidD: Buffer;
  readonly skeyidA: Buffer;
  readonly skeyidE: Buffer;
  /** The cipher key (appendix B expansion applied). */
  readonly encKey: Buffer;
  /** The initial phase-1 IV, hash(g^xi | g^xr) truncated to the block size. */
  readonly iv0: Buffer;
}

/** Runs the whole phase-1 key schedule. */
export function derivePhase1Keys(input: Phase1KeyInput): Phase1Keys {
  const prf = hmacPrf(input.hash);
  const { gxy, ckyI, ckyR } = input;
  const skeyid =
    input.auth.method === 'psk'
      ? skeyidPsk(prf, input.auth.psk, input.nonceI, input.nonceR)
      : skeyidSig(prf, input.nonceI, input.nonceR, gxy);
  const d = skeyidD(prf, skeyid, gxy, ckyI, ckyR);
  const a = skeyidA(prf, skeyid, d, gxy, ckyI, ckyR);
  const e = skeyidE(prf, skeyid, a, gxy, ckyI, ckyR);
  const spec = CIPHER_SPEC[input.cipher];
  return {
    skeyid,
    skeyidD: d,
    skeyidA: a,
    skeyidE: e,
    encKey: encryptionKey(prf, e, spec.keyLength),
    iv0: phase1InitialIv(input.hash, input.gxi, input.gxr, spec.blockSize),
  };
}

/** The exchange values HASH_I and HASH_R cover. */
export interface Phase1HashInput {
  readonly gxi: Uint8Array;
  readonly gxr: Uint8Array;
  readonly ckyI: Uint8Array;
  readonly ckyR: Uint8Array;
  /** SAi_b: the initiator's whole SA payload body, exactly as sent. */
  readonly saIb: Uint8Array;
}

/** HASH_I = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b). */
export function hashI(prf: Prf, skeyid: Uint8Array, input: Phase1HashInput, idIib: Uint8Array): Buffer {
  return prf.compute(skeyid, input.gxi, input.gxr, input.ckyI, input.ckyR, input.saIb, idIib);
}

/** HASH_R = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b). */
export function hashR(prf: Prf, skeyid: Uint8Array, input: Phase1HashInput, idIrb: Uint8Array): Buffer {
  return prf.compute(skeyid, input.gxr, input.gxi, input.ckyR, input.ckyI, input.saIb, idIrb);
}

/**
 * HASH(1) = prf(SKEYID_a, M-ID | rest): quick mode's first message, and the HASH of informational and
 * transaction (XAUTH / mode-config) messages, where `rest` is every payload after the HASH payload,
 * generic headers included, as sent (without the encryption padding).
 */
export function hash1(prf: Prf, skeyidAValue: Uint8Array, msgId: number, rest: Uint8Array): Buffer {
  return prf.compute(skeyidAValue, messageIdBytes(msgId), rest);
}

/** HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest): quick mode's second message. */
export function hash2(prf: Prf, skeyidAValue: Uint8Array, msgId: number, nonceI: Uint8Array, rest: Uint8Array): Buffer {
  return prf.compute(skeyidAValue, messageIdBytes(msgId), nonceI, rest);
}

/** HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b): quick mode's third message. */
export function hash3(prf: Prf, skeyidAValue: Uint8Array, msgId: number, nonceI: Uint8Array, nonceR: Uint8Array): Buffer {
  return prf.compute(skeyidAValue, ZERO, messageIdBytes(msgId), nonceI, nonceR);
}

/** What one direction's KEYMAT depends on (RFC 2409 section 5.5). */
export interface KeymatInput {
  /** The IPsec protocol id (ESP = 3). */
  readonly protocol: number;
  /** The SPI of the SA the keys are for, as on the wire (4 bytes for ESP): the inbound SA uses the SPI
   * we chose, the outbound SA the SPI the peer chose. */
  readonly spi: Uint8Array;
  readonly nonceI: Uint8Array;
  readonly nonceR: Uint8Array;
  /** g(qm)^xy, the quick-mode shared secret, when PFS was negotiated. */
  readonly gxy?: Uint8Array;
}

/**
 * KEYMAT of `length` bytes = K1 | K2 | ... truncated, K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI |
 * Ni_b | Nr_b), Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b).
 */
export function keymat(prf: Prf, skeyidDValue: Uint8Array, input: KeymatInput, length: number): Buffer {
  if (input.protocol < 0 || input.protocol > 255 || !Number.isInteger(input.protocol)) {
    throw new RangeError(`protocol id ${input.protocol} is not a byte`);
  }
  const tail = [...(input.gxy === undefined ? [] : [input.gxy]), Buffer.from([input.protocol]), input.spi, input.nonceI, input.nonceR];
  const blocks: Buffer[] = [];
  let previous: Buffer | undefined;
  for (let have = 0; have < length; have += prf.length) {
    previous = previous === undefined ? prf.compute(skeyidDValue, ...tail) : prf.compute(skeyidDValue, previous, ...tail);
    blocks.push(previous);
  }
  return Buffer.concat(blocks).subarray(0, length);
}

/** The keys of one ESP SA direction, cut from KEYMAT: the cipher key first, then the integrity key. */
export interface EspKeys {
  readonly encKey: Buffer;
  readonly integKey: Buffer;
}

/** KEYMAT for one SA direction split into cipher and integrity keys (lengths in bytes, either may be 0). */
export function espKeys(prf: Prf, skeyidDValue: Uint8Array, input: KeymatInput, encKeyLength: number, integKeyLength: number): EspKeys {
  const material = keymat(prf, skeyidDValue, input, encKeyLength + integKeyLength);
  return {
    encKey: Buffer.from(material.subarray(0, encKeyLength)),
    integKey: Buffer.from(material.subarray(encKeyLength)),
  };
}

/**
 * The value of Cisco's PRESHARED_KEY_HASH notify (40503) sent in hybrid mode's third message:
 * prf(SKEYID, group secret).
 */
export function presharedKeyHash(prf: Prf, skeyid: Uint8Array, groupSecret: Uint8Array): Buffer {
  return prf.compute(skeyid, groupSecret);
}
