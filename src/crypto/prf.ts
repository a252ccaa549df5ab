/**
 * The IKEv1 pseudo-random function. RFC 2409 section 4: when no PRF attribute is negotiated (always the case
 * with Cisco-style peers) the HMAC version of the negotiated hash algorithm is the prf.
 */
import { createHmac } from 'node:crypto';
import { HASH_OUTPUT_LENGTH, type HashName } from './hash.js';

/** prf(key, msg) of RFC 2409: HMAC with a fixed hash. */
export interface Prf {
  /** The underlying hash. */
  readonly hash: HashName;
  /** Output length in bytes (the hash's output length). */
  readonly length: number;
  /** prf(key, part0 | part1 | ...): the parts are fed in order without being concatenated first. */
  compute(key: Uint8Array, ...parts: readonly Uint8Array[]): Buffer;
}

/** HMAC with `hash` over the concatenation of `parts`. */
export function hmac(hash: HashName, key: Uint8Array, ...parts: readonly Uint8Array[]): Buffer {
  const mac = createHmac(hash, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

const prfs = new Map<HashName, Prf>();

/** The HMAC-based prf for `hash` (instances are shared; they hold no state). */
export function hmacPrf(hash: HashName): Prf {
  let prf = prfs.get(hash);
  if (prf === undefined) {
    prf = Object.freeze({
      hash,
      length: HASH_OUTPUT_LENGTH[hash],
      compute: (key: Uint8Array, ...parts: readonly Uint8Array[]) => hmac(hash, key, ...parts),
    });
    prfs.set(hash, prf);
  }
  return prf;
}
