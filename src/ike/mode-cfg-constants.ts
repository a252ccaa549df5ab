/**
 * Mode config and XAUTH numbers: draft-ietf-ipsec-isakmp-mode-cfg-05 (CFG types, attributes 1..15),
 * draft-ietf-ipsec-isakmp-xauth-06 (XAUTH attributes 16520..16529) and the Cisco Unity extensions
 * (0x7000..0x700A).
 */
import { nameTable } from './names.js';

/** Attribute payload message types. */
export const CfgType = {
  REQUEST: 1,
  REPLY: 2,
  SET: 3,
  ACK: 4,
} as const;
export type CfgType = (typeof CfgType)[keyof typeof CfgType];
/** Name of a CFG message type for logs. */
export const cfgTypeName = nameTable(CfgType);

/** Mode config, XAUTH and Cisco Unity attribute types. */
export const CfgAttribute = {
  INTERNAL_IP4_ADDRESS: 1,
  INTERNAL_IP4_NETMASK: 2,
  INTERNAL_IP4_DNS: 3,
  INTERNAL_IP4_NBNS: 4,
  INTERNAL_ADDRESS_EXPIRY: 5,
  INTERNAL_IP4_DHCP: 6,
  APPLICATION_VERSION: 7,
  INTERNAL_IP6_ADDRESS: 8,
  INTERNAL_IP6_NETMASK: 9,
  INTERNAL_IP6_DNS: 10,
  INTERNAL_IP6_NBNS: 11,
  INTERNAL_IP6_DHCP: 12,
  INTERNAL_IP4_SUBNET: 13,
  SUPPORTED_ATTRIBUTES: 14,
  INTERNAL_IP6_SUBNET: 15,
  /** Sent by Cisco concentrators in XAUTH requests; vpnc echoes it. Meaning unknown. */
  CISCO_UNKNOWN_0015: 0x0015,
  XAUTH_TYPE: 16520,
  XAUTH_USER_NAME: 16521,
  XAUTH_USER_PASSWORD: 16522,
  XAUTH_PASSCODE: 16523,
  XAUTH_MESSAGE: 16524,
  XAUTH_CHALLENGE: 16525,
  XAUTH_DOMAIN: 16526,
  XAUTH_STATUS: 16527,
  XAUTH_NEXT_PIN: 16528,
  XAUTH_ANSWER: 16529,
  UNITY_BANNER: 0x7000,
  UNITY_SAVE_PASSWD: 0x7001,
  UNITY_DEF_DOMAIN: 0x7002,
  UNITY_SPLITDNS_NAME: 0x7003,
  UNITY_SPLIT_INCLUDE: 0x7004,
  /** Also called UDP_ENCAP_PORT (Cisco UDP encapsulation port). */
  UNITY_NATT_PORT: 0x7005,
  /** Split exclude ("local LAN"). */
  UNITY_LOCAL_LAN: 0x7006,
  UNITY_PFS: 0x7007,
  UNITY_FW_TYPE: 0x7008,
  UNITY_BACKUP_SERVERS: 0x7009,
  UNITY_DDNS_HOSTNAME: 0x700a,
  /** Cisco extension seen in XAUTH requests; ignored by vpnc. */
  CISCO_EXT_VENDOR: 0x7d88,
} as const;
export type CfgAttribute = (typeof CfgAttribute)[keyof typeof CfgAttribute];
/** Name of a mode config / XAUTH attribute type for logs. */
export const cfgAttributeName = nameTable(CfgAttribute);

/** XAUTH_TYPE values (draft-ietf-ipsec-isakmp-xauth-06 6.2). */
export const XauthType = {
  GENERIC: 0,
  RADIUS_CHAP: 1,
  OTP: 2,
  S_KEY: 3,
} as const;

/** XAUTH_STATUS values. */
export const XauthStatus = {
  FAIL: 0,
  OK: 1,
} as const;
