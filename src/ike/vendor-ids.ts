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
} as const;

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
  return undefined;
}
