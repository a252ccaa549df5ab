/**
 * The Cisco VPN client's password obfuscation (`enc_GroupPwd`, `enc_UserPassword` in .pcf files, and vpnc's
 * `IPSec obfuscated secret` / `Xauth obfuscated password`), as undone by vpnc's `cisco-decrypt`.
 *
 * Layout of the hex string, once decoded to bytes:
 * ```
 *   0..19   h1   random salt; its first 8 bytes are the CBC IV
 *  20..39   h4   SHA-1 of the ciphertext (integrity check)
 *  40..     ciphertext, 3DES-CBC, key = SHA1(h1 with h1[19]+1) | SHA1(h1 with h1[19]+3)[0..4]
 * ```
 * The plaintext ends in padding whose last byte says how many bytes to strip (the encoder writes PKCS#7).
 * This is obfuscation, not encryption: everything needed to undo it is in the string.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** Source of random bytes; injected by tests to make outputs reproducible. */
export type RandomBytes = (size: number) => Uint8Array;

const SALT_LENGTH = 20;
const DIGEST_LENGTH = 20;
const HEADER_LENGTH = SALT_LENGTH + DIGEST_LENGTH;
const BLOCK_LENGTH = 8;
/** cisco-decrypt refuses anything shorter: the header plus one 3DES block. */
const MIN_LENGTH = HEADER_LENGTH + BLOCK_LENGTH;
const CIPHER = 'des-ede3-cbc';

function sha1(data: Uint8Array): Buffer {
  return createHash('sha1').update(data).digest();
}

/** The 24-byte 3DES key derived from the salt, as in vpnc's `deobfuscate()`. */
function deriveKey(salt: Uint8Array): Buffer {
  const tweaked = Buffer.from(salt);
  tweaked[SALT_LENGTH - 1] = (tweaked[SALT_LENGTH - 1]! + 1) & 0xff;
  const h2 = sha1(tweaked);
  tweaked[SALT_LENGTH - 1] = (tweaked[SALT_LENGTH - 1]! + 2) & 0xff;
  const h3 = sha1(tweaked);
  return Buffer.concat([h2, h3.subarray(0, 24 - DIGEST_LENGTH)]);
}

/** Hex text to bytes, with cisco-decrypt's checks (any non-hex character first, then odd length). */
function decodeHex(hex: string): Buffer {
  const bad = /[^0-9A-Fa-f]/.exec(hex);
  if (bad !== null) {
    throw new ConfigError(`obfuscated password is not hex: character ${JSON.stringify(bad[0])} at offset ${bad.index}`);
  }
  if (hex.length % 2 !== 0) {
    throw new ConfigError(`obfuscated password has an odd number of hex digits (${hex.length})`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * Undoes the obfuscation and returns the exact plaintext bytes, as `cisco-decrypt` prints them: padding
 * stripped by the count in the last byte (the pad bytes themselves are not checked, as in vpnc), and the
 * result cut at the first NUL byte (cisco-decrypt prints a C string). A last byte of 0 strips nothing.
 *
 * @throws ConfigError when the text is not hex, has an odd length, is shorter than 48 bytes, has a
 *   ciphertext that is not whole 3DES blocks, fails the SHA-1 integrity check, or has a padding count
 *   larger than the plaintext or of 0x80 and above (cases where cisco-decrypt reads out of bounds).
 */
export function deobfuscateBytes(hex: string): Buffer {
  const bytes = decodeHex(hex);
  if (bytes.length < MIN_LENGTH) {
    throw new ConfigError(`obfuscated password is too short: ${bytes.length} bytes, at least ${MIN_LENGTH} needed`);
  }
  const salt = bytes.subarray(0, SALT_LENGTH);
  const digest = bytes.subarray(SALT_LENGTH, HEADER_LENGTH);
  const ciphertext = bytes.subarray(HEADER_LENGTH);
  if (ciphertext.length % BLOCK_LENGTH !== 0) {
    throw new ConfigError(
      `obfuscated password is corrupt: ciphertext length ${ciphertext.length} is not a multiple of ${BLOCK_LENGTH}`,
    );
  }
  if (!sha1(ciphertext).equals(digest)) {
    throw new ConfigError('obfuscated password is corrupt: integrity check (SHA-1) failed');
  }
  const decipher = createDecipheriv(CIPHER, deriveKey(salt), salt.subarray(0, BLOCK_LENGTH));
  decipher.setAutoPadding(false);
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1]!;
  // vpnc reads the count as a (signed) char: 0x80 and above, or more than the plaintext, is undefined there.
  if (pad >= 0x80 || pad > padded.length) {
    throw new ConfigError(`obfuscated password is corrupt: bad padding count ${pad} for ${padded.length} bytes`);
  }
  const plain = padded.subarray(0, padded.length - pad);
  const nul = plain.indexOf(0);
  return Buffer.from(nul === -1 ? plain : plain.subarray(0, nul));
}

/**
 * Undoes the obfuscation and decodes the plaintext as UTF-8 (see {@link deobfuscateBytes} for the exact
 * bytes, which callers that must preserve non-UTF-8 passwords byte for byte should use).
 *
 * @throws ConfigError as {@link deobfuscateBytes}.
 */
export function deobfuscate(hex: string): string {
  return deobfuscateBytes(hex).toString('utf8');
}

/**
 * Obfuscates `plain` the way the Cisco client does (random salt, PKCS#7 padding) and returns upper-case hex,
 * as found in .pcf files. The inverse of {@link deobfuscateBytes}.
 */
export function obfuscateBytes(plain: Uint8Array, rng: RandomBytes = randomBytes): string {
  const salt = Buffer.from(rng(SALT_LENGTH));
  if (salt.length !== SALT_LENGTH) {
    throw new RangeError(`random source returned ${salt.length} bytes, ${SALT_LENGTH} expected`);
  }
  const cipher = createCipheriv(CIPHER, deriveKey(salt), salt.subarray(0, BLOCK_LENGTH));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([salt, sha1(ciphertext), ciphertext]).toString('hex').toUpperCase();
}

/** Obfuscates a text password (encoded as UTF-8); see {@link obfuscateBytes}. */
export function obfuscate(plain: string, rng: RandomBytes = randomBytes): string {
  return obfuscateBytes(Buffer.from(plain, 'utf8'), rng);
}
