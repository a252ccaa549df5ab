/**
 * IPsec DOI transform ids and SA attributes (RFC 2407 4.4.4 and 4.5, with RFC 3602 AES, RFC 4106 GCM,
 * RFC 4309 CCM, RFC 4868 SHA-2 and RFC 3947 UDP encapsulation).
 */
import { nameTable } from './names.js';

/** ESP transform ids (RFC 2407 4.4.4). */
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
  AES_GCM_16: 20,
  SEED_CBC: 21,
  CAMELLIA: 22,
  NULL_AUTH_AES_GMAC: 23,
} as const;
export type EspTransformId = (typeof EspTransformId)[keyof typeof EspTransformId];
/** Name of an ESP transform id for logs. */
export const espTransformIdName = nameTable(EspTransformId);

/** AH transform ids (RFC 2407 4.4.3). */
export const AhTransformId = {
  MD5: 2,
  SHA: 3,
  DES: 4,
  SHA2_256: 5,
  SHA2_384: 6,
  SHA2_512: 7,
} as const;

/** IPComp transform ids (RFC 2407 4.4.5). */
export const IpcompTransformId = { OUI: 1, DEFLATE: 2, LZS: 3 } as const;

/** IPsec SA attribute classes (RFC 2407 4.5). */
export const IpsecAttribute = {
  SA_LIFE_TYPE: 1,
  SA_LIFE_DURATION: 2,
  GROUP_DESCRIPTION: 3,
  ENCAPSULATION_MODE: 4,
  AUTHENTICATION_ALGORITHM: 5,
  KEY_LENGTH: 6,
  KEY_ROUNDS: 7,
  COMPRESS_DICTIONARY_SIZE: 8,
  COMPRESS_PRIVATE_ALGORITHM: 9,
  ECN_TUNNEL: 10,
} as const;
export type IpsecAttribute = (typeof IpsecAttribute)[keyof typeof IpsecAttribute];
/** Name of an IPsec SA attribute class for logs. */
export const ipsecAttributeName = nameTable(IpsecAttribute);

/** ENCAPSULATION_MODE values: RFC 2407, RFC 3947, and the NAT-T drafts' private numbers. */
export const EncapsulationMode = {
  TUNNEL: 1,
  TRANSPORT: 2,
  UDP_TUNNEL: 3,
  UDP_TRANSPORT: 4,
  /** draft-ietf-ipsec-nat-t-ike-00..03. */
  UDP_TUNNEL_DRAFT: 61443,
  /** draft-ietf-ipsec-nat-t-ike-00..03. */
  UDP_TRANSPORT_DRAFT: 61444,
} as const;
export type EncapsulationMode = (typeof EncapsulationMode)[keyof typeof EncapsulationMode];
/** Name of an encapsulation mode for logs. */
export const encapsulationModeName = nameTable(EncapsulationMode);

/** AUTHENTICATION_ALGORITHM values (RFC 2407 4.5, RFC 4868, RFC 4543). */
export const AuthAlgorithm = {
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
/** Name of an IPsec authentication algorithm for logs. */
export const authAlgorithmName = nameTable(AuthAlgorithm);
