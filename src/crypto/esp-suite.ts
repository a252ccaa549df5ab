/**
 * The ESP cipher interface: what one direction of an SA needs to seal and open packets in place, and the
 * parameters it is built from. Implemented by the node:crypto ciphers (esp-cipher.ts) and the native ones
 * (esp-native.ts); both import this, neither the other's internals.
 */

/** Cipher families ESP can use here (node:crypto names are derived from these and the key length). */
export type EspCipherAlgorithm = 'null' | 'des-ede3-cbc' | 'aes-cbc' | 'aes-gcm';

/** Hash behind an HMAC integrity transform. */
export type EspHashAlgorithm = 'md5' | 'sha1' | 'sha256';

/** Keys and algorithms of one direction of an ESP SA. */
export interface EspCipherParams {
  readonly cipher: EspCipherAlgorithm;
  /** Encryption key without salt (empty for NULL). */
  readonly encKey: Buffer;
  /** RFC 4106 salt (4 bytes) for AES-GCM; empty otherwise. */
  readonly salt: Buffer;
  /** HMAC hash, or null for none (AES-GCM, or encryption-only SAs). */
  readonly hash: EspHashAlgorithm | null;
  readonly authKey: Buffer;
  /** Bytes of ICV carried on the wire: the truncated HMAC or the GCM tag. */
  readonly icvLength: number;
  /** Bytes of explicit IV on the wire. */
  readonly ivLength: number;
  /** How `seal` treats the IV bytes it finds in the buffer, for CBC; default 'whitened'. */
  readonly ivMode?: CbcIvMode;
}

/**
 * What `seal` does with the IV field of a CBC packet:
 * - `as-given`: encrypts with exactly those bytes as the IV (a new cipher context per packet; for known-answer
 *   tests with an injected IV);
 * - `whitened`: takes those bytes as fresh random input R and sends IV = E_K(R xor C), where C is the last
 *   ciphertext block of the previous packet. That is the first output block of one CBC context that runs for
 *   the life of the SA, fed R then the text, so no context is created per packet; the IV stays unpredictable
 *   (RFC 4303 section 3.2, RFC 3602 section 2.2) because R is random and K secret, at the cost of one block.
 */
export type CbcIvMode = 'as-given' | 'whitened';

/** Result of {@link EspCipher.open}. */
export const OpenResult = {
  OK: 0,
  /** The ICV (HMAC or GCM tag) did not verify; nothing was decrypted in place. */
  BAD_ICV: 1,
  /** The cipher refused the text (should not happen once lengths are checked). */
  DECRYPT_FAILED: 2,
} as const;
export type OpenResult = (typeof OpenResult)[keyof typeof OpenResult];

/** Encrypts/authenticates and verifies/decrypts ESP packets in place. */
export interface EspCipher {
  /** Encrypt `textLength` bytes after the IV in place and write the ICV after them. */
  seal(buf: Buffer, espOff: number, textLength: number): void;
  /**
   * Verify the ICV after the text (constant-time), then decrypt the text in place. On BAD_ICV the buffer is
   * unchanged. Never throws.
   */
  open(buf: Buffer, espOff: number, textLength: number): OpenResult;
}
