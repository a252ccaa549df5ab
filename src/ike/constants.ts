/**
 * ISAKMP (RFC 2408) and IPsec DOI (RFC 2407) numbers: header fields, exchange, payload, notify, DOI,
 * protocol, certificate and identification types, with name functions for logs. Attribute numbers live in
 * ike-attributes.ts, ipsec-attributes.ts and mode-cfg-constants.ts, vendor IDs in vendor-ids.ts; all are
 * re-exported here.
 */
import { nameTable } from './names.js';

export * from './ike-attributes.js';
export * from './ipsec-attributes.js';
export * from './mode-cfg-constants.js';
export * from './vendor-ids.js';

/** Version octet: major 1, minor 0 (RFC 2408 3.1). */
export const ISAKMP_VERSION = 0x10;
/** Size of the fixed ISAKMP header. */
export const ISAKMP_HEADER_LENGTH = 28;
/** Size of a generic payload header (next payload, reserved, length). */
export const GENERIC_PAYLOAD_HEADER_LENGTH = 4;

/** Header flag bits (RFC 2408 3.1). */
export const IsakmpFlag = {
  /** E: the payloads after the header are encrypted. */
  ENCRYPTION: 0x01,
  /** C: commit bit. */
  COMMIT: 0x02,
  /** A: authentication only. */
  AUTHENTICATION_ONLY: 0x04,
} as const;

/** Exchange types (RFC 2408 3.1, RFC 2409, draft-ietf-ipsec-isakmp-mode-cfg). */
export const ExchangeType = {
  NONE: 0,
  BASE: 1,
  /** Main mode. */
  IDENTITY_PROTECTION: 2,
  AUTHENTICATION_ONLY: 3,
  AGGRESSIVE: 4,
  INFORMATIONAL: 5,
  /** Mode config / XAUTH. */
  TRANSACTION: 6,
  QUICK: 32,
  NEW_GROUP: 33,
} as const;
export type ExchangeType = (typeof ExchangeType)[keyof typeof ExchangeType];
/** Name of an exchange type for logs. */
export const exchangeTypeName = nameTable(ExchangeType);

/** Payload types (RFC 2408 3.1, RFC 3547, RFC 3947, NAT-T drafts, Cisco fragmentation). */
export const PayloadType = {
  NONE: 0,
  SA: 1,
  /** Proposal: only inside an SA payload. */
  PROPOSAL: 2,
  /** Transform: only inside a proposal. */
  TRANSFORM: 3,
  KE: 4,
  ID: 5,
  CERT: 6,
  CR: 7,
  HASH: 8,
  SIG: 9,
  NONCE: 10,
  NOTIFICATION: 11,
  DELETE: 12,
  VENDOR_ID: 13,
  /** Mode config attribute payload (draft-ietf-ipsec-isakmp-mode-cfg). */
  ATTRIBUTE: 14,
  /** RFC 3547 (GDOI) SA KEK. */
  SAK: 15,
  /** RFC 3547 SA TEK. */
  SAT: 16,
  /** RFC 3547 key download. */
  KD: 17,
  /** RFC 3547 sequence number. */
  SEQ: 18,
  /** RFC 3547 proof of possession. */
  POP: 19,
  /** RFC 3947 NAT discovery. */
  NAT_D: 20,
  /** RFC 3947 NAT original address. */
  NAT_OA: 21,
  /** NAT-D as numbered by draft-ietf-ipsec-nat-t-ike-02/03. */
  NAT_D_DRAFT: 130,
  /** NAT-OA as numbered by draft-ietf-ipsec-nat-t-ike-02/03. */
  NAT_OA_DRAFT: 131,
  /** Cisco IKE fragment. */
  FRAGMENT: 132,
} as const;
export type PayloadType = (typeof PayloadType)[keyof typeof PayloadType];
/** Name of a payload type for logs. */
export const payloadTypeName = nameTable(PayloadType);

/**
 * Notify message types. Errors 1..16383 (RFC 2408 3.14.1), status 16384.. (RFC 2408, RFC 2407 4.6.3),
 * DPD (RFC 3706) and the Cisco ones vpnc knows.
 */
export const NotifyType = {
  INVALID_PAYLOAD_TYPE: 1,
  DOI_NOT_SUPPORTED: 2,
  SITUATION_NOT_SUPPORTED: 3,
  INVALID_COOKIE: 4,
  INVALID_MAJOR_VERSION: 5,
  INVALID_MINOR_VERSION: 6,
  INVALID_EXCHANGE_TYPE: 7,
  INVALID_FLAGS: 8,
  INVALID_MESSAGE_ID: 9,
  INVALID_PROTOCOL_ID: 10,
  INVALID_SPI: 11,
  INVALID_TRANSFORM_ID: 12,
  ATTRIBUTES_NOT_SUPPORTED: 13,
  NO_PROPOSAL_CHOSEN: 14,
  BAD_PROPOSAL_SYNTAX: 15,
  PAYLOAD_MALFORMED: 16,
  INVALID_KEY_INFORMATION: 17,
  INVALID_ID_INFORMATION: 18,
  INVALID_CERT_ENCODING: 19,
  INVALID_CERTIFICATE: 20,
  CERT_TYPE_UNSUPPORTED: 21,
  INVALID_CERT_AUTHORITY: 22,
  INVALID_HASH_INFORMATION: 23,
  AUTHENTICATION_FAILED: 24,
  INVALID_SIGNATURE: 25,
  ADDRESS_NOTIFICATION: 26,
  NOTIFY_SA_LIFETIME: 27,
  CERTIFICATE_UNAVAILABLE: 28,
  UNSUPPORTED_EXCHANGE_TYPE: 29,
  UNEQUAL_PAYLOAD_LENGTHS: 30,
  CONNECTED: 16384,
  /** RFC 2407 4.6.3.1. */
  RESPONDER_LIFETIME: 24576,
  /** RFC 2407 4.6.3.2. */
  REPLAY_STATUS: 24577,
  /** RFC 2407 4.6.3.3. */
  INITIAL_CONTACT: 24578,
  CISCO_HELLO: 30000,
  CISCO_WWTEBR: 30001,
  CISCO_SHUT_UP: 30002,
  IOS_KEEP_ALIVE_REQ: 32768,
  IOS_KEEP_ALIVE_ACK: 32769,
  /** RFC 3706 DPD. */
  R_U_THERE: 36136,
  /** RFC 3706 DPD. */
  R_U_THERE_ACK: 36137,
  /** Cisco: go to another gateway (data: 4-byte IPv4 address). */
  CISCO_LOAD_BALANCE: 40501,
  /** Cisco: hash of the group secret, sent in hybrid mode. */
  CISCO_PRESHARED_KEY_HASH: 40503,
} as const;
export type NotifyType = (typeof NotifyType)[keyof typeof NotifyType];
/** Name of a notify message type for logs. */
export const notifyTypeName = nameTable(NotifyType);

/** Domains of interpretation. */
export const Doi = {
  ISAKMP: 0,
  /** RFC 2407. */
  IPSEC: 1,
} as const;
export type Doi = (typeof Doi)[keyof typeof Doi];

/** IPsec DOI situation bits (RFC 2407 4.2). */
export const IpsecSituation = {
  IDENTITY_ONLY: 0x01,
  SECRECY: 0x02,
  INTEGRITY: 0x04,
} as const;

/** Protocol identifiers in proposals, notifies and deletes (RFC 2407 4.4.1). */
export const ProtocolId = {
  RESERVED: 0,
  ISAKMP: 1,
  IPSEC_AH: 2,
  IPSEC_ESP: 3,
  IPCOMP: 4,
} as const;
export type ProtocolId = (typeof ProtocolId)[keyof typeof ProtocolId];
/** Name of a protocol id for logs. */
export const protocolIdName = nameTable(ProtocolId);

/** Certificate encodings for CERT and CR payloads (RFC 2408 3.9). */
export const CertEncoding = {
  NONE: 0,
  PKCS7_X509: 1,
  PGP: 2,
  DNS_SIGNED_KEY: 3,
  X509_SIGNATURE: 4,
  X509_KEY_EXCHANGE: 5,
  KERBEROS_TOKENS: 6,
  CRL: 7,
  ARL: 8,
  SPKI: 9,
  X509_ATTRIBUTE: 10,
} as const;
export type CertEncoding = (typeof CertEncoding)[keyof typeof CertEncoding];
/** Name of a certificate encoding for logs. */
export const certEncodingName = nameTable(CertEncoding);

/** Identification types of the IPsec DOI (RFC 2407 4.6.2.1). */
export const IdType = {
  RESERVED: 0,
  IPV4_ADDR: 1,
  FQDN: 2,
  USER_FQDN: 3,
  IPV4_ADDR_SUBNET: 4,
  IPV6_ADDR: 5,
  IPV6_ADDR_SUBNET: 6,
  IPV4_ADDR_RANGE: 7,
  IPV6_ADDR_RANGE: 8,
  DER_ASN1_DN: 9,
  DER_ASN1_GN: 10,
  KEY_ID: 11,
} as const;
export type IdType = (typeof IdType)[keyof typeof IdType];
/** Name of an identification type for logs. */
export const idTypeName = nameTable(IdType);
