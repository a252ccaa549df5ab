/**
 * Mode config pull (draft-dukes-ike-mode-cfg with Cisco Unity attributes), as vpnc runs it: one
 * CFG_REQUEST listing the attributes wanted, one CFG_REPLY with the values.
 */
import { ProtocolError } from '../../errors.js';
import { NotifyType, PayloadType } from '../constants.js';
import { CfgAttribute, CfgType } from '../mode-cfg-constants.js';
import { attributeIpv4, attributeNumber, attributeString, stringAttribute, tlvAttribute, type DataAttribute } from '../payloads/attributes.js';
import type { AttributePayload } from '../payloads/attribute-payload.js';
import { formatIpv6, ipv6MaskToPrefix } from '../../wire/ipv6-text.js';
import { formatIpv4, formatIpv4Bytes, ipv4FromBytes, maskToMasklen, parseIpv4 } from '../../wire/ipv4-text.js';

/** One entry of a Unity split include or local-LAN (split exclude) list. */
export interface SplitNetwork {
  readonly address: string;
  readonly mask: string;
  /** vpnc's length of the mask (maskToMasklen), as the script's CISCO_SPLIT_*_MASKLEN gives it. */
  readonly prefixLength: number;
  readonly protocol: number;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

/** An IPv6 address or network with its prefix length (INTERNAL_IP6_ADDRESS, INTERNAL_IP6_SUBNET). */
export interface Ipv6Prefix {
  readonly address: string;
  readonly prefixLength: number;
}

/** What the gateway handed us. */
export interface ModeConfig {
  address: string;
  netmask: string | undefined;
  dns: string[];
  nbns: string[];
  defaultDomain: string | undefined;
  banner: string | undefined;
  /** CISCO_SPLIT_DNS: each attribute's value (comma lists kept as sent). */
  splitDns: string[];
  splitInclude: SplitNetwork[];
  splitExclude: SplitNetwork[];
  /** UNITY_PFS: 1 = the gateway wants PFS. */
  pfs: number | undefined;
  /** UNITY_NATT_PORT: the gateway's Cisco UDP port. */
  udpEncapPort: number | undefined;
  savePassword: boolean | undefined;
  applicationVersion: string | undefined;
  /** UNITY_BACKUP_SERVERS: other gateways of the site, by name or address (vpnc never asked for them). */
  backupServers: string[];
  /** INTERNAL_IP6_ADDRESS (ours: vpnc is IPv4 only), its prefix from the attribute's 17th byte or INTERNAL_IP6_NETMASK, else 128. */
  address6: Ipv6Prefix | undefined;
  /** INTERNAL_IP6_DNS servers. */
  dns6: string[];
  /** INTERNAL_IP6_SUBNET: the IPv6 networks behind the gateway (the split include of IPv6). */
  splitInclude6: Ipv6Prefix[];
  /**
   * What was wrong with the gateway's IPv6 attributes, when something was: IPv6 is an addition, so a malformed
   * one leaves IPv6 out (no address) instead of failing the connection.
   */
  ipv6Problem: string | undefined;
}

export interface ModeConfigRequestOptions {
  identifier: number;
  /** Ask for UNITY_NATT_PORT (cisco-udp mode only). */
  ciscoUdp: boolean;
  applicationVersion: string;
  hostname: string;
  /** Ask for the IPv6 address, DNS servers and networks too (vpnc does not: absent = not). */
  ipv6?: boolean;
}

/** vpnc's CFG_REQUEST, in vpnc's attribute order. */
export function buildModeConfigRequest(o: ModeConfigRequestOptions): AttributePayload {
  const empty = (t: number): DataAttribute => tlvAttribute(t);
  const attributes: DataAttribute[] = [
    empty(CfgAttribute.INTERNAL_IP4_ADDRESS),
    empty(CfgAttribute.INTERNAL_IP4_NETMASK),
    empty(CfgAttribute.INTERNAL_IP4_DNS),
    empty(CfgAttribute.INTERNAL_IP4_NBNS),
    empty(CfgAttribute.UNITY_DEF_DOMAIN),
  ];
  if (o.ipv6) attributes.push(empty(CfgAttribute.INTERNAL_IP6_ADDRESS), empty(CfgAttribute.INTERNAL_IP6_DNS), empty(CfgAttribute.INTERNAL_IP6_SUBNET));
  if (o.ciscoUdp) attributes.push(empty(CfgAttribute.UNITY_NATT_PORT));
  attributes.push(
    tlvAttribute(CfgAttribute.UNITY_FW_TYPE, Buffer.from('800100018002000180030002', 'hex')),
    empty(CfgAttribute.UNITY_PFS),
    empty(CfgAttribute.UNITY_BANNER),
    empty(CfgAttribute.UNITY_SAVE_PASSWD),
    empty(CfgAttribute.UNITY_SPLIT_INCLUDE),
    empty(CfgAttribute.UNITY_LOCAL_LAN),
    empty(CfgAttribute.UNITY_SPLITDNS_NAME),
    empty(CfgAttribute.UNITY_BACKUP_SERVERS),
    stringAttribute(CfgAttribute.UNITY_DDNS_HOSTNAME, o.hostname),
    stringAttribute(CfgAttribute.APPLICATION_VERSION, o.applicationVersion),
  );
  return { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier: o.identifier, attributes };
}

function parseSplitList(a: DataAttribute): SplitNetwork[] {
  if (a.value.length % 14 !== 0) {
    throw new ProtocolError(`split network list of ${a.value.length} bytes is not a multiple of 14`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  }
  const out: SplitNetwork[] = [];
  for (let off = 0; off < a.value.length; off += 14) {
    const mask = ipv4FromBytes(a.value, off + 4);
    out.push({
      address: formatIpv4Bytes(a.value, off),
      mask: formatIpv4(mask),
      prefixLength: maskToMasklen(mask),
      protocol: a.value.readUInt16BE(off + 8),
      sourcePort: a.value.readUInt16BE(off + 10),
      destinationPort: a.value.readUInt16BE(off + 12),
    });
  }
  return out;
}

/**
 * An IPv6 address with an optional prefix byte: 16 bytes (the draft's form, strongSwan's), or 17 with the
 * prefix length last (the IKEv2 form, RFC 7296 3.15.1, which older strongSwan releases and Cisco send). A
 * string says what is wrong with a malformed one.
 */
function readIpv6Prefix(a: DataAttribute, what: string): Ipv6Prefix | string {
  const v = a.value;
  if (v.length !== 16 && v.length !== 17) return `${what} of ${v.length} bytes, not 16 or 17`;
  const prefixLength = v.length === 17 ? v[16]! : 128;
  if (prefixLength > 128) return `${what} with prefix length ${prefixLength}`;
  return { address: formatIpv6(v.subarray(0, 16)), prefixLength };
}

/** A host name or IPv4 address as a backup server may be named; anything else in the list is dropped. */
const SERVER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/;

/** The backup servers of one UNITY_BACKUP_SERVERS value: names separated by commas, blanks or NULs. */
export function backupServerList(value: string): string[] {
  return value.split(/[\s,\0]+/).filter((s) => SERVER_NAME.test(s));
}

/** Reads the gateway's CFG_REPLY (or a netscreen CFG_SET). The assigned address is mandatory. */
export function parseModeConfigReply(p: AttributePayload, expectedIdentifier?: number): ModeConfig {
  if (p.cfgType !== CfgType.REPLY && p.cfgType !== CfgType.SET) {
    throw new ProtocolError(`expected a mode config reply, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  }
  if (expectedIdentifier !== undefined && p.identifier !== expectedIdentifier) {
    throw new ProtocolError(`mode config reply for identifier ${p.identifier}, expected ${expectedIdentifier}`, NotifyType.INVALID_PAYLOAD_TYPE);
  }
  const mc: ModeConfig = {
    address: '',
    netmask: undefined,
    dns: [],
    nbns: [],
    defaultDomain: undefined,
    banner: undefined,
    splitDns: [],
    splitInclude: [],
    splitExclude: [],
    pfs: undefined,
    udpEncapPort: undefined,
    savePassword: undefined,
    applicationVersion: undefined,
    backupServers: [],
    address6: undefined,
    dns6: [],
    splitInclude6: [],
    ipv6Problem: undefined,
  };
  const ipv6Problem = (what: string) => (mc.ipv6Problem ??= what);
  let netmask6: number | undefined;
  const unsupported = (what: string) => new ProtocolError(`mode config ${what}`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  for (const a of p.attributes) {
    switch (a.type) {
      case CfgAttribute.INTERNAL_IP4_ADDRESS:
        if (a.value.length !== 4) throw unsupported(`address of ${a.value.length} bytes`);
        mc.address = attributeIpv4(a);
        break;
      case CfgAttribute.INTERNAL_IP4_NETMASK:
        if (a.value.length === 0) break; // vpnc ignores an empty netmask
        if (a.value.length !== 4) throw unsupported(`netmask of ${a.value.length} bytes`);
        mc.netmask = attributeIpv4(a);
        break;
      case CfgAttribute.INTERNAL_IP4_DNS:
        if (a.value.length === 4) mc.dns.push(attributeIpv4(a));
        break;
      case CfgAttribute.INTERNAL_IP4_NBNS:
        if (a.value.length === 4) mc.nbns.push(attributeIpv4(a));
        break;
      case CfgAttribute.UNITY_DEF_DOMAIN:
        if (a.value.length) mc.defaultDomain = attributeString(a).replace(/\0+$/, '');
        break;
      case CfgAttribute.UNITY_BANNER:
        if (a.value.length) mc.banner = attributeString(a).replace(/\0+$/, '');
        break;
      case CfgAttribute.UNITY_SPLITDNS_NAME:
        if (a.value.length) mc.splitDns.push(attributeString(a).replace(/\0+$/, ''));
        break;
      case CfgAttribute.UNITY_SPLIT_INCLUDE:
        mc.splitInclude.push(...parseSplitList(a));
        break;
      case CfgAttribute.UNITY_LOCAL_LAN:
        mc.splitExclude.push(...parseSplitList(a));
        break;
      case CfgAttribute.UNITY_PFS:
        if (a.value.length) mc.pfs = attributeNumber(a);
        break;
      case CfgAttribute.UNITY_NATT_PORT:
        if (a.value.length) mc.udpEncapPort = attributeNumber(a);
        break;
      case CfgAttribute.UNITY_SAVE_PASSWD:
        if (a.value.length) mc.savePassword = attributeNumber(a) !== 0;
        break;
      case CfgAttribute.APPLICATION_VERSION:
        mc.applicationVersion = attributeString(a);
        break;
      case CfgAttribute.UNITY_BACKUP_SERVERS:
        mc.backupServers.push(...backupServerList(attributeString(a)));
        break;
      case CfgAttribute.INTERNAL_IP6_ADDRESS: {
        if (!a.value.length) break;
        const r = readIpv6Prefix(a, 'IPv6 address');
        if (typeof r === 'string') ipv6Problem(r);
        else mc.address6 = r;
        break;
      }
      case CfgAttribute.INTERNAL_IP6_NETMASK:
        if (a.value.length !== 16) break;
        netmask6 = ipv6MaskToPrefix(a.value);
        if (netmask6 === undefined) ipv6Problem(`IPv6 netmask ${formatIpv6(a.value)} is not contiguous`);
        break;
      case CfgAttribute.INTERNAL_IP6_DNS:
        if (a.value.length === 16) mc.dns6.push(formatIpv6(a.value));
        break;
      case CfgAttribute.INTERNAL_IP6_SUBNET: {
        if (!a.value.length) break;
        const r = readIpv6Prefix(a, 'IPv6 subnet');
        if (typeof r === 'string') ipv6Problem(r);
        else mc.splitInclude6.push(r);
        break;
      }
      default:
        break; // attributes we did not ask for are ignored
    }
  }
  if (mc.address6 && netmask6 !== undefined) mc.address6 = { address: mc.address6.address, prefixLength: netmask6 };
  if (mc.ipv6Problem !== undefined) mc.address6 = undefined;
  if (!mc.address) throw new ProtocolError('mode config reply carries no INTERNAL_IP4_ADDRESS', NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  const unusable = unusableAddress(mc.address);
  if (unusable) throw new ProtocolError(`the gateway assigned ${mc.address} as our address, ${unusable}: no tunnel can use it`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  return mc;
}

/** Why an assigned inner IPv4 address cannot be ours (unspecified, loopback, multicast, broadcast), or undefined. */
function unusableAddress(address: string): string | undefined {
  const a = parseIpv4(address) >>> 24;
  if (address === '0.0.0.0') return 'the unspecified address';
  if (address === '255.255.255.255') return 'the broadcast address';
  if (a === 0) return 'in 0.0.0.0/8 ("this network")';
  if (a === 127) return 'a loopback address';
  if (a >= 224) return a < 240 ? 'a multicast address' : 'in the reserved 240.0.0.0/4';
  return undefined;
}
