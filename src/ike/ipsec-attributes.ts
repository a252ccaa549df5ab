/**
 * IPsec DOI transform ids and SA attributes (RFC 2407 4.4.4 and 4.5, with RFC 3602 AES, RFC 4106 GCM,
 * RFC 4309 CCM, RFC 4868 SHA-2 and RFC 3947 UDP encapsulation).
 */
import { AuthAlgorithm, EspTransformId } from '../esp/transforms.js';
import { nameTable } from './names.js';

/** ESP transform ids (RFC 2407 4.4.4) and AUTHENTICATION_ALGORITHM values live with the ESP transforms. */
export { AuthAlgorithm, EspTransformId };

/** Name of an ESP transform id for logs. */
export const espTransformIdName = nameTable(EspTransformId);
/** Name of an IPsec authentication algorithm for logs. */
export const authAlgorithmName = nameTable(AuthAlgorithm);

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
