/**
 * Phase-1 (IKE) transform attribute types and values: RFC 2409 appendix A, with the later additions
 * (AES RFC 3602, SHA-2 RFC 4868, groups RFC 3526 / RFC 5903 / RFC 5114) and the XAUTH and hybrid
 * authentication methods of draft-ietf-ipsec-isakmp-xauth and draft-ietf-ipsec-isakmp-hybrid-auth.
 */
import { nameTable } from './names.js';

/** Transform id of every phase-1 transform (RFC 2407 4.4.2). */
export const IkeTransformId = { KEY_IKE: 1 } as const;

/** Phase-1 attribute classes (RFC 2409 appendix A). */
export const IkeAttribute = {
  ENCRYPTION_ALGORITHM: 1,
  HASH_ALGORITHM: 2,
  AUTHENTICATION_METHOD: 3,
  GROUP_DESCRIPTION: 4,
  GROUP_TYPE: 5,
  GROUP_PRIME: 6,
  GROUP_GENERATOR_ONE: 7,
  GROUP_GENERATOR_TWO: 8,
  GROUP_CURVE_A: 9,
  GROUP_CURVE_B: 10,
  LIFE_TYPE: 11,
  LIFE_DURATION: 12,
  PRF: 13,
  KEY_LENGTH: 14,
  FIELD_SIZE: 15,
  GROUP_ORDER: 16,
} as const;
export type IkeAttribute = (typeof IkeAttribute)[keyof typeof IkeAttribute];
/** Name of a phase-1 attribute class for logs. */
export const ikeAttributeName = nameTable(IkeAttribute);

/** Phase-1 encryption algorithms. */
export const IkeEncryption = {
  DES_CBC: 1,
  IDEA_CBC: 2,
  BLOWFISH_CBC: 3,
  RC5_R16_B64_CBC: 4,
  '3DES_CBC': 5,
  CAST_CBC: 6,
  AES_CBC: 7,
  CAMELLIA_CBC: 8,
} as const;
export type IkeEncryption = (typeof IkeEncryption)[keyof typeof IkeEncryption];
/** Name of a phase-1 encryption algorithm for logs. */
export const ikeEncryptionName = nameTable(IkeEncryption);

/** Phase-1 hash algorithms. */
export const IkeHash = {
  MD5: 1,
  SHA: 2,
  TIGER: 3,
  SHA2_256: 4,
  SHA2_384: 5,
  SHA2_512: 6,
} as const;
export type IkeHash = (typeof IkeHash)[keyof typeof IkeHash];
/** Name of a phase-1 hash algorithm for logs. */
export const ikeHashName = nameTable(IkeHash);

/** Phase-1 authentication methods, including XAUTH (65001..) and hybrid (64221..) ones. */
export const IkeAuthMethod = {
  PRESHARED_KEY: 1,
  DSS_SIGNATURES: 2,
  RSA_SIGNATURES: 3,
  RSA_ENCRYPTION: 4,
  RSA_REVISED_ENCRYPTION: 5,
  ECDSA_SHA256_P256: 9,
  ECDSA_SHA384_P384: 10,
  ECDSA_SHA512_P521: 11,
  HybridInitRSA: 64221,
  HybridRespRSA: 64222,
  HybridInitDSS: 64223,
  HybridRespDSS: 64224,
  XAUTHInitPreShared: 65001,
  XAUTHRespPreShared: 65002,
  XAUTHInitDSS: 65003,
  XAUTHRespDSS: 65004,
  XAUTHInitRSA: 65005,
  XAUTHRespRSA: 65006,
  XAUTHInitRSAEncryption: 65007,
  XAUTHRespRSAEncryption: 65008,
  XAUTHInitRSARevisedEncryption: 65009,
  XAUTHRespRSARevisedEncryption: 65010,
} as const;
export type IkeAuthMethod = (typeof IkeAuthMethod)[keyof typeof IkeAuthMethod];
/** Name of a phase-1 authentication method for logs. */
export const ikeAuthMethodName = nameTable(IkeAuthMethod);

/** Diffie-Hellman group descriptions (phase 1 GROUP_DESCRIPTION and IPsec GROUP_DESCRIPTION). */
export const GroupDescription = {
  MODP_768: 1,
  MODP_1024: 2,
  EC2N_155: 3,
  EC2N_185: 4,
  MODP_1536: 5,
  MODP_2048: 14,
  MODP_3072: 15,
  MODP_4096: 16,
  MODP_6144: 17,
  MODP_8192: 18,
  ECP_256: 19,
  ECP_384: 20,
  ECP_521: 21,
  MODP_1024_160: 22,
  MODP_2048_224: 23,
  MODP_2048_256: 24,
  ECP_192: 25,
  ECP_224: 26,
} as const;
export type GroupDescription = (typeof GroupDescription)[keyof typeof GroupDescription];
/** Name of a Diffie-Hellman group for logs. */
export const groupDescriptionName = nameTable(GroupDescription);

/** Group types (GROUP_TYPE attribute). */
export const GroupType = { MODP: 1, ECP: 2, EC2N: 3 } as const;

/** Life types, shared by phase 1 (LIFE_TYPE) and IPsec (SA_LIFE_TYPE). */
export const LifeType = { SECONDS: 1, KILOBYTES: 2 } as const;
export type LifeType = (typeof LifeType)[keyof typeof LifeType];
/** Name of a life type for logs. */
export const lifeTypeName = nameTable(LifeType);
