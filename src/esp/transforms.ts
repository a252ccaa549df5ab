/**
 * ESP transforms as quick mode negotiates them (IPsec DOI, RFC 2407 section 4.4.4 and 4.5): the transform id
 * names the cipher, the Authentication Algorithm attribute the integrity check. The tables give what the data
 * path and the KEYMAT split need: key, salt, IV, block and ICV lengths.
 */
import { ProtocolError } from '../errors.js';
import type { EspCipherAlgorithm, EspHashAlgorithm } from '../crypto/esp-suite.js';

/**
 * IPsec DOI ESP transform identifiers (RFC 2407 4.4.4; AES RFC 3602, AES-CTR RFC 3686, CCM RFC 4309, GCM RFC 4106
 * section 8.4, GMAC RFC 4543). All of them, so that ike/ipsec-attributes.ts names them; ESP_ENCRYPTION has the
 * supported ones.
 */
export const EspTransformId = {
  DES_IV64: 1,
  DES: 2,
  '3DES': 3,
  RC5: 4,
  IDEA: 5,
  CAST: 6,
  BLOWFISH: 7,
  '3IDEA': 8,
  DES_IV32: 9,
  RC4: 10,
  NULL: 11,
  AES: 12,
  AES_CTR: 13,
  AES_CCM_8: 14,
  AES_CCM_12: 15,
  AES_CCM_16: 16,
  AES_GCM_8: 18,
  AES_GCM_12: 19,
  /** AES-GCM with a 16-octet ICV. */
  AES_GCM_16: 20,
  SEED_CBC: 21,
  CAMELLIA: 22,
  NULL_AUTH_AES_GMAC: 23,
} as const;
export type EspTransformId = (typeof EspTransformId)[keyof typeof EspTransformId];

/** What one encryption transform needs. Lengths in bytes. */
export interface EncryptionSpec {
  readonly name: string;
  readonly cipher: EspCipherAlgorithm;
  /** Allowed key lengths, the first being the default when no Key Length attribute is sent. */
  readonly keyLengths: readonly number[];
  /** RFC 4106 salt taken from KEYMAT after the key. */
  readonly saltLength: number;
  readonly ivLength: number;
  /** Cipher block size; the text must be a multiple of it (1 for stream-like modes). */
  readonly blockSize: number;
  /** ICV of a combined mode; 0 when integrity is a separate transform. */
  readonly icvLength: number;
}

/** The supported encryption transforms, by IPsec DOI id. */
export const ESP_ENCRYPTION = {
  [EspTransformId['3DES']]: {
    name: '3DES-CBC',
    cipher: 'des-ede3-cbc',
    keyLengths: [24],
    saltLength: 0,
    ivLength: 8,
    blockSize: 8,
    icvLength: 0,
  },
  [EspTransformId.NULL]: {
    name: 'NULL',
    cipher: 'null',
    keyLengths: [0],
    saltLength: 0,
    ivLength: 0,
    blockSize: 1,
    icvLength: 0,
  },
  [EspTransformId.AES]: {
    name: 'AES-CBC',
    cipher: 'aes-cbc',
    keyLengths: [16, 24, 32],
    saltLength: 0,
    ivLength: 16,
    blockSize: 16,
    icvLength: 0,
  },
  [EspTransformId.AES_GCM_16]: {
    name: 'AES-GCM-16',
    cipher: 'aes-gcm',
    keyLengths: [16, 24, 32],
    saltLength: 4,
    ivLength: 8,
    blockSize: 1,
    icvLength: 16,
  },
} as const satisfies Partial<Record<EspTransformId, EncryptionSpec>>;

/**
 * IPsec DOI Authentication Algorithm attribute values (RFC 2407 4.5, HMAC-SHA2 RFC 4868, GMAC RFC 4543), all of
 * them (ESP_INTEGRITY has the supported ones). NONE (0, reserved in the DOI): no such attribute, as with AES-GCM.
 */
export const AuthAlgorithm = {
  NONE: 0,
  HMAC_MD5: 1,
  HMAC_SHA: 2,
  DES_MAC: 3,
  KPDK: 4,
  HMAC_SHA2_256: 5,
  HMAC_SHA2_384: 6,
  HMAC_SHA2_512: 7,
  HMAC_RIPEMD: 8,
  AES_XCBC_MAC: 9,
  SIG_RSA: 10,
  AES_128_GMAC: 11,
  AES_192_GMAC: 12,
  AES_256_GMAC: 13,
} as const;
export type AuthAlgorithm = (typeof AuthAlgorithm)[keyof typeof AuthAlgorithm];

/** What one integrity transform needs. Lengths in bytes. */
export interface IntegritySpec {
  readonly name: string;
  readonly hash: EspHashAlgorithm | null;
  readonly keyLength: number;
  /** Truncated HMAC length carried as ICV. */
  readonly icvLength: number;
}

/** The supported integrity transforms, by Authentication Algorithm attribute value. */
export const ESP_INTEGRITY = {
  [AuthAlgorithm.NONE]: { name: 'NONE', hash: null, keyLength: 0, icvLength: 0 },
  [AuthAlgorithm.HMAC_MD5]: { name: 'HMAC-MD5-96', hash: 'md5', keyLength: 16, icvLength: 12 },
  [AuthAlgorithm.HMAC_SHA]: { name: 'HMAC-SHA1-96', hash: 'sha1', keyLength: 20, icvLength: 12 },
  [AuthAlgorithm.HMAC_SHA2_256]: { name: 'HMAC-SHA2-256-128', hash: 'sha256', keyLength: 32, icvLength: 16 },
} as const satisfies Partial<Record<AuthAlgorithm, IntegritySpec>>;

/** A negotiated, checked transform pair with every length the data path uses (bytes). */
export interface EspSuite {
  readonly transformId: EspTransformId;
  readonly authAlgorithm: AuthAlgorithm;
  /** E.g. `AES-CBC-256/HMAC-SHA1-96`, for logs. */
  readonly name: string;
  readonly cipher: EspCipherAlgorithm;
  readonly hash: EspHashAlgorithm | null;
  readonly encKeyLength: number;
  readonly saltLength: number;
  readonly authKeyLength: number;
  readonly ivLength: number;
  readonly blockSize: number;
  /** Padding boundary: the block size, at least 4 (RFC 4303 section 2.4). */
  readonly padAlign: number;
  readonly icvLength: number;
  /** KEYMAT bytes this SA direction takes: encryption key, salt, then integrity key. */
  readonly keymatLength: number;
  /** True when the explicit IV is derived from the sequence number (AES-GCM, RFC 4106 section 3.1). */
  readonly counterIv: boolean;
}

function isTransformId(id: number): id is keyof typeof ESP_ENCRYPTION {
  return Object.prototype.hasOwnProperty.call(ESP_ENCRYPTION, id);
}

function isAuthAlgorithm(id: number): id is keyof typeof ESP_INTEGRITY {
  return Object.prototype.hasOwnProperty.call(ESP_INTEGRITY, id);
}

/**
 * Resolve a negotiated transform: IPsec DOI transform id, Key Length attribute in bits (undefined: the
 * cipher's default), Authentication Algorithm (0 when absent). Throws ProtocolError for unsupported or
 * meaningless combinations (AES-GCM with an HMAC, NULL without integrity, a bad key length).
 */
export function resolveEspSuite(transformId: number, keyBits: number | undefined, authAlgorithm: number): EspSuite {
  if (!isTransformId(transformId)) throw new ProtocolError(`unsupported ESP transform id ${transformId}`);
  if (!isAuthAlgorithm(authAlgorithm)) throw new ProtocolError(`unsupported ESP authentication algorithm ${authAlgorithm}`);
  const enc: EncryptionSpec = ESP_ENCRYPTION[transformId];
  const integ: IntegritySpec = ESP_INTEGRITY[authAlgorithm];
  const encKeyLength = keyBits === undefined ? enc.keyLengths[0]! : keyBits / 8;
  if (!enc.keyLengths.includes(encKeyLength)) {
    throw new ProtocolError(`${enc.name}: key length ${keyBits} bits not supported`);
  }
  const combined = enc.icvLength > 0;
  if (combined && integ.hash !== null) throw new ProtocolError(`${enc.name} must not be combined with ${integ.name}`);
  if (enc.cipher === 'null' && integ.hash === null) throw new ProtocolError('ESP with neither encryption nor integrity');
  const cipherName = enc.keyLengths.length > 1 ? `${enc.name}-${encKeyLength * 8}` : enc.name;
  return {
    transformId,
    authAlgorithm,
    name: combined ? cipherName : `${cipherName}/${integ.name}`,
    cipher: enc.cipher,
    hash: integ.hash,
    encKeyLength,
    saltLength: enc.saltLength,
    authKeyLength: integ.keyLength,
    ivLength: enc.ivLength,
    blockSize: enc.blockSize,
    padAlign: Math.max(enc.blockSize, 4),
    icvLength: combined ? enc.icvLength : integ.icvLength,
    keymatLength: encKeyLength + enc.saltLength + integ.keyLength,
    counterIv: enc.cipher === 'aes-gcm',
  };
}

/** KEYMAT bytes a quick mode must derive per SA direction for this transform (RFC 2409 section 5.5). */
export function keymatLength(transformId: number, keyBits: number | undefined, authAlgorithm: number): number {
  return resolveEspSuite(transformId, keyBits, authAlgorithm).keymatLength;
}
