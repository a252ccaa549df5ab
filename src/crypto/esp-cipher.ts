/**
 * The one place where ESP packets meet node:crypto. `seal` and `open` work in place on an ESP packet laid out
 * as RFC 4303 section 2 draws it:
 *
 *   espOff: SPI (4) | Sequence Number (4) | IV (ivLength) | text (textLength) | ICV (icvLength)
 *
 * where "text" is payload + padding + pad length + next header, a whole number of cipher blocks.
 *
 * Cost note: node:crypto cannot re-key a cipher with a new IV, nor reuse an HMAC context, so a naive data path
 * creates a Cipheriv and an Hmac object per packet. CBC avoids the cipher half of that by keeping one running
 * context per SA direction (see {@link CbcIvMode} and `CbcHmacCipher.open`); the HMAC object, GCM contexts and
 * the output Buffers node:crypto returns (copied back into place) remain per packet. `createEspCipher` prefers
 * the native contexts of esp-native.ts, which have none of these costs, for the transforms the addon covers.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  timingSafeEqual,
  type Cipher,
  type CipherGCMOptions,
  type CipherGCMTypes,
  type Decipher,
} from 'node:crypto';
import { createNativeEspCipher, nativeCryptoDisabled } from './esp-native.js';
import { OpenResult, type CbcIvMode, type EspCipher, type EspCipherAlgorithm, type EspCipherParams, type EspHashAlgorithm } from './esp-suite.js';

/** Length of the SPI and Sequence Number fields in front of the IV. */
const ESP_HEADER_LENGTH = 8;

/**
 * Build the seal/open pair for one SA direction: the native one (esp-native.ts) when the addon has the
 * transform and `VPNC_TS_NO_NATIVE_CRYPTO=1` is not set, else node:crypto. Both write the same bytes for the
 * same IV. Throws on key lengths the algorithm cannot take.
 */
export function createEspCipher(p: EspCipherParams): EspCipher {
  return (nativeCryptoDisabled() ? null : createNativeEspCipher(p)) ?? createJsEspCipher(p);
}

/** The node:crypto seal/open pair, whatever the addon offers (also the reference for pairwise tests). */
export function createJsEspCipher(p: EspCipherParams): EspCipher {
  return p.cipher === 'aes-gcm' ? new GcmCipher(p) : new CbcHmacCipher(p);
}

/** node:crypto name of a CBC cipher for a key length, or null for the NULL cipher. */
function cbcName(cipher: Exclude<EspCipherAlgorithm, 'aes-gcm'>, keyLength: number): string | null {
  switch (cipher) {
    case 'null':
      return null;
    case 'des-ede3-cbc':
      return 'des-ede3-cbc';
    case 'aes-cbc':
      return `aes-${keyLength * 8}-cbc`;
  }
}

/** Encrypt-then-MAC (RFC 4303 section 3.3.2): CBC or NULL encryption, optional truncated HMAC. */
class CbcHmacCipher implements EspCipher {
  private readonly name: string | null;
  private readonly key: Buffer;
  private readonly hash: EspHashAlgorithm | null;
  private readonly authKey: Buffer;
  private readonly icvLength: number;
  private readonly ivLength: number;
  /** The running CBC encryptor of `whitened` mode (null: `as-given`, or the NULL cipher). */
  private readonly encryptor: Cipher | null;
  /**
   * The running CBC decryptor. Its chaining state is the last ciphertext block it saw, so feeding a packet's IV
   * first and dropping that first output block leaves exactly the packet's CBC decryption under its own IV.
   */
  private readonly decryptor: Decipher | null;

  constructor(p: EspCipherParams) {
    if (p.cipher === 'aes-gcm') throw new TypeError('CbcHmacCipher: AES-GCM is a combined mode');
    this.name = cbcName(p.cipher, p.encKey.length);
    this.key = Buffer.from(p.encKey);
    this.hash = p.hash;
    this.authKey = Buffer.from(p.authKey);
    this.icvLength = p.hash === null ? 0 : p.icvLength;
    this.ivLength = p.ivLength;
    // Made now, so node:crypto rejects a wrong key or IV size at SA set-up, not on the first packet.
    // The CBC IV is one cipher block long, so ivLength doubles as the block size below.
    const zeroIv = Buffer.alloc(this.ivLength);
    const encryptor = this.name === null ? null : runningContext(createCipheriv(this.name, this.key, zeroIv));
    this.encryptor = (p.ivMode ?? 'whitened') === 'whitened' ? encryptor : null;
    this.decryptor = this.name === null ? null : runningContext(createDecipheriv(this.name, this.key, zeroIv));
  }

  seal(buf: Buffer, espOff: number, textLength: number): void {
    const ivOff = espOff + ESP_HEADER_LENGTH;
    const textOff = ivOff + this.ivLength;
    const end = textOff + textLength;
    if (this.name !== null) {
      if (textLength % this.ivLength !== 0) throw new RangeError(`ESP seal: ${textLength} bytes are not whole cipher blocks`);
      if (this.encryptor !== null) {
        // IV field: R in, E_K(R xor C) out; then the text chained on it. Output length equals input length.
        this.encryptor.update(buf.subarray(ivOff, end)).copy(buf, ivOff);
      } else {
        const c = createCipheriv(this.name, this.key, buf.subarray(ivOff, textOff));
        c.setAutoPadding(false);
        c.update(buf.subarray(textOff, end)).copy(buf, textOff);
      }
    }
    if (this.hash !== null) {
      createHmac(this.hash, this.authKey).update(buf.subarray(espOff, end)).digest().copy(buf, end, 0, this.icvLength);
    }
  }

  open(buf: Buffer, espOff: number, textLength: number): OpenResult {
    const ivOff = espOff + ESP_HEADER_LENGTH;
    const textOff = ivOff + this.ivLength;
    const end = textOff + textLength;
    if (end + this.icvLength > buf.length) return OpenResult.BAD_ICV;
    if (this.hash !== null) {
      const mac = createHmac(this.hash, this.authKey).update(buf.subarray(espOff, end)).digest();
      if (!timingSafeEqual(mac.subarray(0, this.icvLength), buf.subarray(end, end + this.icvLength))) {
        return OpenResult.BAD_ICV;
      }
    }
    if (this.decryptor === null) return OpenResult.OK;
    // A partial block would stay inside the running context and shift every later packet: refuse it first.
    if (textLength % this.ivLength !== 0) return OpenResult.DECRYPT_FAILED;
    try {
      const plain = this.decryptor.update(buf.subarray(ivOff, end));
      if (plain.length !== this.ivLength + textLength) return OpenResult.DECRYPT_FAILED;
      plain.copy(buf, textOff, this.ivLength);
      return OpenResult.OK;
    } catch {
      return OpenResult.DECRYPT_FAILED;
    }
  }
}

/** A CBC context without padding, to be fed whole blocks for as long as the SA lives (never finalised). */
function runningContext<T extends Cipher | Decipher>(c: T): T {
  c.setAutoPadding(false);
  return c;
}

/** RFC 4106 AES-GCM: 16-byte ICV, used as the GCM tag length for every call. */
const GCM_TAG_LENGTH = 16;
const GCM_OPTIONS: CipherGCMOptions = { authTagLength: GCM_TAG_LENGTH };

/** node:crypto name of AES-GCM for a key length in bytes. */
function gcmName(keyLength: number): CipherGCMTypes {
  switch (keyLength) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new RangeError(`AES-GCM: no ${keyLength}-byte key`);
  }
}

/**
 * AES-GCM for ESP (RFC 4106): nonce = salt (4) | explicit IV (8), AAD = SPI | Sequence Number (no ESN),
 * ICV = 16-byte tag.
 */
class GcmCipher implements EspCipher {
  private readonly name: CipherGCMTypes;
  private readonly key: Buffer;
  /** salt | IV, rewritten per packet (node:crypto copies it when a cipher is created). */
  private readonly nonce: Buffer;

  constructor(p: EspCipherParams) {
    if (p.salt.length !== 4) throw new RangeError('AES-GCM ESP needs a 4-byte salt');
    if (p.ivLength !== 8 || p.icvLength !== GCM_TAG_LENGTH) throw new RangeError('AES-GCM ESP: 8-byte IV, 16-byte ICV');
    this.name = gcmName(p.encKey.length);
    this.key = Buffer.from(p.encKey);
    this.nonce = Buffer.alloc(12);
    p.salt.copy(this.nonce, 0);
    createCipheriv(this.name, this.key, this.nonce, GCM_OPTIONS);
  }

  seal(buf: Buffer, espOff: number, textLength: number): void {
    const ivOff = espOff + ESP_HEADER_LENGTH;
    const textOff = ivOff + 8;
    const end = textOff + textLength;
    buf.copy(this.nonce, 4, ivOff, textOff);
    const c = createCipheriv(this.name, this.key, this.nonce, GCM_OPTIONS);
    c.setAAD(buf.subarray(espOff, ivOff));
    c.update(buf.subarray(textOff, end)).copy(buf, textOff);
    c.final();
    c.getAuthTag().copy(buf, end);
  }

  open(buf: Buffer, espOff: number, textLength: number): OpenResult {
    const ivOff = espOff + ESP_HEADER_LENGTH;
    const textOff = ivOff + 8;
    const end = textOff + textLength;
    buf.copy(this.nonce, 4, ivOff, textOff);
    let plain: Buffer;
    try {
      const d = createDecipheriv(this.name, this.key, this.nonce, GCM_OPTIONS);
      d.setAAD(buf.subarray(espOff, ivOff));
      d.setAuthTag(buf.subarray(end, end + GCM_TAG_LENGTH));
      plain = d.update(buf.subarray(textOff, end));
      d.final(); // throws when the tag does not verify: the only way node:crypto reports it
    } catch {
      return OpenResult.BAD_ICV;
    }
    plain.copy(buf, textOff); // only authenticated plaintext reaches the caller's buffer
    return OpenResult.OK;
  }
}
