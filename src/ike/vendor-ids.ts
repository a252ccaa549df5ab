/**
 * Vendor ID payload contents that vpnc sends or recognises (vpnc.md 2.2). Most are MD5 hashes of a
 * string, truncated or extended with version bytes; the comment gives the string where one is known.
 */

/** A known vendor ID. */
export interface KnownVendorId {
  /** Name for logs. */
  readonly name: string;
  /** Exact payload bytes. */
  readonly data: Buffer;
}

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** The vendor IDs by role. */
export const VendorId = {
  /** MD5("draft-ietf-ipsra-isakmp-xauth-06.txt"), first 8 bytes. */
  XAUTH: hex('09002689dfd6b712'),
  /** MD5("CISCO-UNITY"), first 14 bytes, then major 1 minor 0. */
  CISCO_UNITY: hex('12f5f28c457168a9702d9fe274cc0100'),
  /** RFC 3947 NAT traversal: MD5("RFC 3947"). */
  NATT_RFC3947: hex('4a131c81070358455c5728f20e95452f'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-03"). */
  NATT_DRAFT_03: hex('7d9419a65310ca6f2c179d9215529d56'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-02\n"). */
  NATT_DRAFT_02N: hex('90cb80913ebb696e086381b5ec427b1f'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-02"). */
  NATT_DRAFT_02: hex('cd60464335df21f87cfdb2fc68b6a448'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-01"). */
  NATT_DRAFT_01: hex('16f6ca16e4a4066d83821a0f0aeaa862'),
  /** MD5("draft-ietf-ipsec-nat-t-ike-00"). */
  NATT_DRAFT_00: hex('4485152d18b6bbcd0be8a8469579ddcc'),
  /** RFC 3706 dead peer detection, version 1.0. */
  DPD: hex('afcad71368a1f1c96b8696fc77570100'),
  /** Sent by vpnc in AM3; origin undocumented. */
  CISCO_UNKNOWN: hex('126e1f577291153b20485f7f155b4bc8'),
  /** Cisco "delete with reason". */
  CISCO_DELETE_WITH_REASON: hex('2d7922c6b301d9b0e1342739e9cfbbd5'),
  /** Cisco IKE fragmentation: MD5("FRAGMENTATION") + 80000000. */
  CISCO_FRAGMENTATION: hex('4048b7d56ebce88525e7de7f00d6c2d380000000'),
  /** Juniper/Netscreen, version 15 variant. */
  NETSCREEN_15: hex('166f932d55eb64d8e4df4fd37e2313f0d0fd84510000000000000000'),
  /** Nortel Contivity: "BNES" + version. */
  NORTEL_CONTIVITY: hex('424e45530000000a'),
  /** "HeartBeat_Notify" + 386b0100. */
  HEARTBEAT_NOTIFY: hex('4865617274426561745f4e6f74696679386b0100'),
  /** Fortinet FortiGate (as observed; ike-scan's table). */
  FORTIGATE: hex('1d6e178f6c2c0be284985465450fe9d4'),
  /** MD5("strongSwan"): charon sends it with `send_vendor_id = yes`. */
  STRONGSWAN: hex('882fe56d6fd20dbc2251613b2ebe5beb'),
  /** Cisco VPN 3000 concentrator (formerly Altiga): these 14 bytes, then two that vary with the version. */
  CISCO_VPN3000_PREFIX: hex('1f07f70eaa6514d3b0fa96542a50'),
  /** SafeNet, WatchGuard and SonicWall products send this 4-byte prefix (then a version): it names none of them. */
  SAFENET_WATCHGUARD_PREFIX: hex('da8e9378'),
} as const;

/**
 * Juniper/Netscreen ScreenOS: 20 bytes that vary with version and model (SHA-1 of something), then two
 * 4-byte numbers. The first 20 bytes of each one seen in the field (ike-scan's table).
 */
const NETSCREEN_PREFIXES: readonly Buffer[] = [
  '299ee8289f40a8973bc78687e2e7226b532c3b76',
  '3a15e1f3cf2a63582e3ac82d1c64cbe3b6d779e7',
  '47d2b126bfcd83489760e2cf8c5d4d5a03497c15',
  '4a4340b543e02b84c88a8b96a8af9ebe77d9accc',
  '64405f46f03b7660a23be116a1975058e69e8387',
  '699369228741c6d4ca094c93e242c9de19e7b7c6',
  '8c0dc6cf62a0ef1b5c6eabd1b67ba69866adf16a',
  '92d27a9ecb31d99246986d3453d0c3d57a222a61',
  '9b096d9ac3275a7d6fe8b91c583111b09efed1a0',
  'bf03746108d746c904f1f3547de24f78479fed12',
  'c2e80500f4cc5fbf5daaeed3bb59abaeee56c652',
  'c8660a62b03b1b6130bf781608d32a6a8d0fb89f',
  'f885da40b1e7a9abd17655ec5bbec0f21f0ed52e',
  '2a2bcac19b8e91b426107807e02e7249569d6fd3',
  '166f932d55eb64d8e4df4fd37e2313f0d0fd8451',
  'a35bfd05ca1ac0b3d2f24e9e82bfcbff9c9e52b5',
  '9436e8d67174ef9aed068d5ad5213f187a3f8ba6',
].map(hex);

/** Every known vendor ID with its log name, in the order vpnc lists them. */
export const KNOWN_VENDOR_IDS: readonly KnownVendorId[] = [
  { name: 'XAUTH', data: VendorId.XAUTH },
  { name: 'DPD', data: VendorId.DPD },
  { name: 'Cisco Unity', data: VendorId.CISCO_UNITY },
  { name: 'NAT-T draft 00', data: VendorId.NATT_DRAFT_00 },
  { name: 'NAT-T draft 01', data: VendorId.NATT_DRAFT_01 },
  { name: 'NAT-T draft 02', data: VendorId.NATT_DRAFT_02 },
  { name: 'NAT-T draft 02\\n', data: VendorId.NATT_DRAFT_02N },
  { name: 'NAT-T draft 03', data: VendorId.NATT_DRAFT_03 },
  { name: 'NAT-T RFC 3947', data: VendorId.NATT_RFC3947 },
  { name: 'Cisco unidentified', data: VendorId.CISCO_UNKNOWN },
  { name: 'Delete With Reason', data: VendorId.CISCO_DELETE_WITH_REASON },
  { name: 'Cisco Fragmentation', data: VendorId.CISCO_FRAGMENTATION },
  { name: 'Netscreen 15', data: VendorId.NETSCREEN_15 },
  { name: 'Nortel Contivity', data: VendorId.NORTEL_CONTIVITY },
  { name: 'Heartbeat Notify', data: VendorId.HEARTBEAT_NOTIFY },
  { name: 'FortiGate', data: VendorId.FORTIGATE },
  { name: 'strongSwan', data: VendorId.STRONGSWAN },
];

/** The 14-byte prefix shared by every Cisco Unity version. */
const UNITY_PREFIX = VendorId.CISCO_UNITY.subarray(0, 14);

/**
 * Names vendor ID payload contents for logs: an exact match from {@link KNOWN_VENDOR_IDS}, any Cisco
 * Unity version ("Cisco Unity 1.1"), or undefined when unknown.
 */
export function vendorIdName(data: Buffer): string | undefined {
  const known = KNOWN_VENDOR_IDS.find((v) => v.data.equals(data));
  if (known) return known.name;
  if (data.length === 16 && data.subarray(0, 14).equals(UNITY_PREFIX)) return `Cisco Unity ${data[14]}.${data[15]}`;
  if (data.length === 16 && startsWith(data, VendorId.CISCO_VPN3000_PREFIX)) return 'Cisco VPN 3000';
  if (NETSCREEN_PREFIXES.some((p) => startsWith(data, p))) return 'Juniper/Netscreen';
  if (startsWith(data, VendorId.SAFENET_WATCHGUARD_PREFIX)) return 'SafeNet, WatchGuard or SonicWall';
  return undefined;
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

/** Makers whose gateways a vendor ID names without doubt. */
export type GatewayMaker = 'cisco' | 'netscreen' | 'fortigate' | 'strongswan';

/** Names for logs. */
export const GATEWAY_MAKER_NAMES: Readonly<Record<GatewayMaker, string>> = {
  cisco: 'Cisco',
  netscreen: 'Juniper/Netscreen',
  fortigate: 'Fortinet FortiGate',
  strongswan: 'strongSwan',
};

/**
 * Who made the gateway, from the vendor IDs of its AM2; undefined when none says it. Cisco Unity does not name
 * Cisco (strongSwan, WatchGuard and others speak Unity too); the VPN 3000's ID does.
 */
export function gatewayMakerOf(vendorIds: readonly Buffer[]): GatewayMaker | undefined {
  const has = (test: (v: Buffer) => boolean): boolean => vendorIds.some(test);
  if (has((v) => NETSCREEN_PREFIXES.some((p) => startsWith(v, p)))) return 'netscreen';
  if (has((v) => v.equals(VendorId.FORTIGATE))) return 'fortigate';
  if (has((v) => v.equals(VendorId.STRONGSWAN))) return 'strongswan';
  if (has((v) => v.length === 16 && startsWith(v, VendorId.CISCO_VPN3000_PREFIX))) return 'cisco';
  return undefined;
}
