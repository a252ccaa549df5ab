/**
 * Hash functions used by IKEv1 (the negotiated "hash algorithm" of RFC 2409 appendix A, and the plain hashes
 * for the phase-1 IV and NAT-D). Thin wrappers over node:crypto; every result is a new Buffer.
 */
import { createHash } from 'node:crypto';

/** Output length in bytes of each supported hash, by its OpenSSL name. */
export const HASH_OUTPUT_LENGTH = {
  md5: 16,
  sha1: 20,
  sha256: 32,
  sha384: 48,
  sha512: 64,
} as const;

/** A supported hash algorithm, by its OpenSSL name. */
export type HashName = keyof typeof HASH_OUTPUT_LENGTH;

/** True when `name` is a supported hash algorithm. */
export function isHashName(name: string): name is HashName {
  return Object.hasOwn(HASH_OUTPUT_LENGTH, name);
}

/** Output length in bytes of `name`. */
export function hashLength(name: HashName): number {
  return HASH_OUTPUT_LENGTH[name];
}

/** hash(part0 | part1 | ...): the parts are fed in order without being concatenated first. */
export function hash(name: HashName, ...parts: readonly Uint8Array[]): Buffer {
  const h = createHash(name);
  for (const part of parts) h.update(part);
  return h.digest();
}
