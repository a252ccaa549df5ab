/**
 * Mode config, gateway side (draft-dukes-ike-mode-cfg with Cisco Unity attributes): the client's CFG_REQUEST
 * lists what it wants; the CFG_REPLY (same identifier, same message id) carries the values the gateway has,
 * in the forms vpnc accepts: addresses as 4-byte TLVs, strings as TLVs, PFS and the Cisco UDP port as TVs,
 * the split include list as 14-byte entries (address, mask, protocol, source port, destination port).
 */
import { ProtocolError } from '../../errors.js';
import { NotifyType, PayloadType } from '../../ike/constants.js';
import { CfgAttribute, CfgType } from '../../ike/mode-cfg-constants.js';
import { stringAttribute, tlvAttribute, tvAttribute, type DataAttribute } from '../../ike/payloads/attributes.js';
import type { AttributePayload } from '../../ike/payloads/attribute-payload.js';
import { ipv4ToBytes, type Ipv4Cidr } from '../../wire/ipv4-text.js';

/** What mode config hands every client as the gateway's configuration says it (GatewayConfig carries these). */
export interface ModeConfigSettings {
  readonly defaultDomain: string | undefined;
  readonly banner: string | undefined;
  readonly splitInclude: readonly Ipv4Cidr[];
  readonly splitDns: readonly string[];
  /** Other gateways of the site, offered as UNITY_BACKUP_SERVERS (sent as one comma-separated list). */
  readonly backupServers: readonly string[];
  /** Tell clients to use PFS (UNITY_PFS 1); the gateway then requires it in quick mode. */
  readonly pfs: boolean;
  /** UNITY_SAVE_PASSWD: clients may keep the XAUTH password they typed (for re-authentication). */
  readonly savePassword: boolean;
  /** Cisco UDP encapsulation port offered in mode config; 0 when off. */
  readonly ciscoUdpPort: number;
}

/** What the gateway hands one client: the settings, plus its address and the others as unsigned 32-bit numbers. */
export interface ModeConfigOffer extends ModeConfigSettings {
  readonly address: number;
  readonly netmask: number | undefined;
  readonly dns: readonly number[];
  readonly nbns: readonly number[];
  readonly applicationVersion: string;
}

/** The reply and what the request told us about the client. */
export interface ModeConfigAnswer {
  readonly reply: AttributePayload;
  /** The client asked for UNITY_NATT_PORT and got a port: it will send ESP in Cisco UDP. */
  readonly ciscoUdp: boolean;
  /** The client's host name (UNITY_DDNS_HOSTNAME), for logs. */
  readonly hostname: string | undefined;
  readonly clientVersion: string | undefined;
}

/** One split include entry: address, mask, protocol 0, ports 0. */
export function splitEntry(n: Ipv4Cidr): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt32BE(n.address, 0);
  b.writeUInt32BE(n.mask, 4);
  return b;
}

function valuesFor(type: number, o: ModeConfigOffer): DataAttribute[] {
  const ip = (a: number): DataAttribute => tlvAttribute(type, ipv4ToBytes(a));
  switch (type) {
    case CfgAttribute.INTERNAL_IP4_ADDRESS:
      return [ip(o.address)];
    case CfgAttribute.INTERNAL_IP4_NETMASK:
      return o.netmask === undefined ? [] : [ip(o.netmask)];
    case CfgAttribute.INTERNAL_IP4_DNS:
      return o.dns.map(ip);
    case CfgAttribute.INTERNAL_IP4_NBNS:
      return o.nbns.map(ip);
    case CfgAttribute.UNITY_DEF_DOMAIN:
      return o.defaultDomain === undefined ? [] : [stringAttribute(type, o.defaultDomain)];
    case CfgAttribute.UNITY_BANNER:
      return o.banner === undefined ? [] : [stringAttribute(type, o.banner)];
    case CfgAttribute.UNITY_SPLIT_INCLUDE:
      return o.splitInclude.length === 0 ? [] : [tlvAttribute(type, Buffer.concat(o.splitInclude.map(splitEntry)))];
    case CfgAttribute.UNITY_SPLITDNS_NAME:
      return o.splitDns.length === 0 ? [] : [stringAttribute(type, o.splitDns.join(','))];
    case CfgAttribute.UNITY_BACKUP_SERVERS:
      return o.backupServers.length === 0 ? [] : [stringAttribute(type, o.backupServers.join(','))];
    case CfgAttribute.UNITY_PFS:
      return [tvAttribute(type, o.pfs ? 1 : 0)];
    case CfgAttribute.UNITY_NATT_PORT:
      return o.ciscoUdpPort === 0 ? [] : [tvAttribute(type, o.ciscoUdpPort)];
    case CfgAttribute.UNITY_SAVE_PASSWD:
      return [tvAttribute(type, o.savePassword ? 1 : 0)];
    case CfgAttribute.APPLICATION_VERSION:
      return [stringAttribute(type, o.applicationVersion)];
    default:
      return []; // FW_TYPE, DDNS_HOSTNAME, LOCAL_LAN and anything unknown: nothing to say
  }
}

/**
 * Answers a CFG_REQUEST. The address is always sent (vpnc insists on it) even when not asked for; other
 * attributes only when requested and configured. Throws ProtocolError for anything but a REQUEST.
 */
export function answerModeConfig(request: AttributePayload, offer: ModeConfigOffer): ModeConfigAnswer {
  if (request.cfgType !== CfgType.REQUEST) {
    throw new ProtocolError(`expected a mode config request, got CFG type ${request.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  }
  const asked = new Set<number>();
  let hostname: string | undefined;
  let clientVersion: string | undefined;
  for (const a of request.attributes) {
    asked.add(a.type);
    if (a.type === CfgAttribute.UNITY_DDNS_HOSTNAME && !a.tv) hostname = a.value.toString('utf8');
    if (a.type === CfgAttribute.APPLICATION_VERSION && !a.tv) clientVersion = a.value.toString('utf8');
  }
  const order = [CfgAttribute.INTERNAL_IP4_ADDRESS, ...[...asked].filter((t) => t !== CfgAttribute.INTERNAL_IP4_ADDRESS)];
  const attributes = order.flatMap((t) => valuesFor(t, offer));
  return {
    reply: { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: request.identifier, attributes },
    ciscoUdp: asked.has(CfgAttribute.UNITY_NATT_PORT) && offer.ciscoUdpPort !== 0,
    hostname,
    clientVersion,
  };
}

/** What a pushing gateway sets unasked: the draft's own attributes, then (a Unity gateway) the Unity network facts. */
const PUSHED: readonly number[] = [CfgAttribute.INTERNAL_IP4_ADDRESS, CfgAttribute.INTERNAL_IP4_NETMASK, CfgAttribute.INTERNAL_IP4_DNS, CfgAttribute.INTERNAL_IP4_NBNS];
const PUSHED_UNITY: readonly number[] = [CfgAttribute.UNITY_DEF_DOMAIN, CfgAttribute.UNITY_SPLIT_INCLUDE, CfgAttribute.UNITY_SPLITDNS_NAME];

/**
 * The CFG_SET of a mode config push during XAUTH (the client ACKs it with the types echoed). A Netscreen speaks
 * no Unity; with `unity` the default domain, split include and split DNS go too.
 */
export function pushModeConfig(identifier: number, offer: ModeConfigOffer, unity: boolean): AttributePayload {
  const types = unity ? [...PUSHED, ...PUSHED_UNITY] : PUSHED;
  return { type: PayloadType.ATTRIBUTE, cfgType: CfgType.SET, identifier, attributes: types.flatMap((t) => valuesFor(t, offer)) };
}

/** Checks the client's ACK of a push. */
export function checkPushAck(p: AttributePayload, identifier: number): void {
  if (p.cfgType !== CfgType.ACK) throw new ProtocolError(`expected the ACK of the mode config push, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  if (p.identifier !== identifier) throw new ProtocolError(`the ACK of the mode config push names identifier ${p.identifier}, not ${identifier}`, NotifyType.INVALID_PAYLOAD_TYPE);
}
