/**
 * The identities of a quick mode (IDci, IDcr: RFC 2409 5.5, RFC 2407 4.6.2) as address ranges of either family,
 * and the check both directions of quick mode make, on both ends: the client's side must be exactly its tunnel
 * address, the gateway's side must lie inside the network this tunnel was set up for (a gateway may narrow it,
 * never widen it). One
 * quick mode carries one pair of IDs, so IPv4 and IPv6 each have their own (RFC 2409 5.5).
 */
import { ProtocolError } from '../../errors.js';
import { EncodeError } from '../../wire/errors.js';
import { formatIpv4, prefixToMask, tryParseIpv4 } from '../../wire/ipv4-text.js';
import { formatIpv6, bigIntToIpv6, ipv6PrefixMask, ipv6ToBigInt, tryParseIpv6 } from '../../wire/ipv6-text.js';
import { IdType, NotifyType } from '../constants.js';
import type { IdPayload } from '../payloads/id.js';

export type IpFamily = 4 | 6;

/** An inclusive range of addresses of one family as unsigned numbers (32 or 128 bits). */
export interface IpRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

function maskOf(family: IpFamily, prefixLength: number): bigint {
  return family === 4 ? BigInt(prefixToMask(prefixLength)) : ipv6PrefixMask(prefixLength);
}

/** The addresses of a network given by its mask. */
function maskRange(family: IpFamily, address: bigint, mask: bigint): IpRange {
  const all = (1n << BigInt(BITS[family])) - 1n;
  const first = address & mask;
  return { family, first, last: first | (~mask & all) };
}

/** The range of `address/prefixLength`; undefined when the text is no address or the length is out of range. */
export function networkRange(address: string, prefixLength: number): IpRange | undefined {
  const v4 = tryParseIpv4(address);
  const family: IpFamily = v4 !== undefined ? 4 : 6;
  const value = v4 !== undefined ? BigInt(v4) : tryParseIpv6(address);
  if (value === undefined || !Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > BITS[family]) return undefined;
  return maskRange(family, typeof value === 'bigint' ? value : ipv6ToBigInt(value), maskOf(family, prefixLength));
}

/** One address as a range; undefined when the text is no address. */
export function addressRange(address: string): IpRange | undefined {
  return networkRange(address, tryParseIpv4(address) !== undefined ? 32 : 128);
}

const u128 = (d: Buffer, at: number) => ipv6ToBigInt(d.subarray(at, at + 16));

/** The range an address ID names, or undefined for other ID types and malformed data. */
export function idRange(id: IdPayload): IpRange | undefined {
  const d = id.data;
  switch (id.idType) {
    case IdType.IPV4_ADDR:
      return d.length === 4 ? { family: 4, first: BigInt(d.readUInt32BE(0)), last: BigInt(d.readUInt32BE(0)) } : undefined;
    case IdType.IPV4_ADDR_SUBNET:
      return d.length === 8 ? maskRange(4, BigInt(d.readUInt32BE(0)), BigInt(d.readUInt32BE(4))) : undefined;
    case IdType.IPV4_ADDR_RANGE:
      return d.length === 8 ? ordered(4, BigInt(d.readUInt32BE(0)), BigInt(d.readUInt32BE(4))) : undefined;
    case IdType.IPV6_ADDR:
      return d.length === 16 ? { family: 6, first: u128(d, 0), last: u128(d, 0) } : undefined;
    case IdType.IPV6_ADDR_SUBNET:
      return d.length === 32 ? maskRange(6, u128(d, 0), u128(d, 16)) : undefined;
    case IdType.IPV6_ADDR_RANGE:
      return d.length === 32 ? ordered(6, u128(d, 0), u128(d, 16)) : undefined;
    default:
      return undefined;
  }
}

function ordered(family: IpFamily, first: bigint, last: bigint): IpRange | undefined {
  return first <= last ? { family, first, last } : undefined;
}

function addressText(family: IpFamily, v: bigint): string {
  return family === 4 ? formatIpv4(Number(v)) : formatIpv6(bigIntToIpv6(v));
}

/** `a` or `a-b`, for messages. */
export function rangeText(r: IpRange): string {
  const first = addressText(r.family, r.first);
  return r.first === r.last ? first : `${first}-${addressText(r.family, r.last)}`;
}

/** What the tunnel (of one family) was set up for, seen from the client (the gateway checks the same IDs). */
export interface TunnelIds {
  /** The client's mode-config address (a range of one). */
  readonly ours: IpRange;
  /** The network behind the gateway the client asked for (the target network; ::/0 for IPv6). */
  readonly theirs: IpRange;
}

/** The tunnel of our address to a network (one family); undefined when either is no address of it. */
export function tunnelIdsOf(ours: string, network: { readonly address: string; readonly prefixLength: number }): TunnelIds | undefined {
  const o = addressRange(ours);
  const t = networkRange(network.address, network.prefixLength);
  return o && t && o.family === t.family ? { ours: o, theirs: t } : undefined;
}

/**
 * Checks a quick mode's pair of IDs against the tunnel: the client's (`ids[clientIndex]`: IDci when the client
 * starts the quick mode, IDcr when the gateway does) must be exactly its address, the other inside the target
 * network, both of the tunnel's family. No IDs at all is accepted (vpnc and Cisco always send them;
 * RFC 2409 then implies the peers' addresses, which gives us nothing to check). Throws ProtocolError
 * INVALID-ID-INFORMATION.
 */
export function checkQuickModeIds(ids: readonly IdPayload[], clientIndex: 0 | 1, tunnel: TunnelIds): void {
  if (ids.length === 0) return;
  if (ids.length !== 2) throw new ProtocolError(`quick mode carries ${ids.length} ID payloads, not 2`, NotifyType.INVALID_ID_INFORMATION);
  const ours = idRange(ids[clientIndex]!);
  const theirs = idRange(ids[1 - clientIndex]!);
  if (!ours || !theirs) throw new ProtocolError('quick mode ID is not an IPv4 or IPv6 address, subnet or range', NotifyType.INVALID_ID_INFORMATION);
  if (ours.family !== tunnel.ours.family || theirs.family !== tunnel.ours.family) {
    throw new ProtocolError(`quick mode IDs ${rangeText(ours)} and ${rangeText(theirs)} are not both IPv${tunnel.ours.family}`, NotifyType.INVALID_ID_INFORMATION);
  }
  if (ours.first !== tunnel.ours.first || ours.last !== tunnel.ours.last) {
    throw new ProtocolError(`quick mode ID for the client's side is ${rangeText(ours)}, not the client's address ${rangeText(tunnel.ours)}`, NotifyType.INVALID_ID_INFORMATION);
  }
  if (theirs.first < tunnel.theirs.first || theirs.last > tunnel.theirs.last) {
    throw new ProtocolError(`quick mode ID for the gateway's side is ${rangeText(theirs)}, outside the target network ${rangeText(tunnel.theirs)}`, NotifyType.INVALID_ID_INFORMATION);
  }
}

/** The family of the first address ID among `ids` (a gateway's QM1 names which tunnel it rekeys); 4 when none. */
export function familyOfIds(ids: readonly IdPayload[]): IpFamily {
  for (const id of ids) {
    const r = idRange(id);
    if (r) return r.family;
  }
  return 4;
}

/** The pair of IDs of our quick mode: IDci our address, IDcr the network (RFC 2407 4.6.2: ID_IPV*_ADDR, _SUBNET). */
export function quickModeIdData(ours: string, network: { address: string; prefixLength: number }): Array<{ idType: number; data: Buffer }> {
  const v4 = tryParseIpv4(ours);
  if (v4 !== undefined) {
    const net = tryParseIpv4(network.address);
    if (net === undefined) throw new EncodeError(`the target network ${network.address} is not IPv4 as our address ${ours} is`);
    const b = Buffer.alloc(8);
    b.writeUInt32BE(net, 0);
    b.writeUInt32BE(prefixToMask(network.prefixLength), 4);
    const a = Buffer.alloc(4);
    a.writeUInt32BE(v4, 0);
    return [{ idType: IdType.IPV4_ADDR, data: a }, { idType: IdType.IPV4_ADDR_SUBNET, data: b }];
  }
  const a6 = tryParseIpv6(ours);
  const net6 = tryParseIpv6(network.address);
  if (!a6 || !net6) throw new EncodeError(`quick mode IDs for ${ours} and ${network.address}: not addresses of one family`);
  const mask = bigIntToIpv6(ipv6PrefixMask(network.prefixLength));
  return [{ idType: IdType.IPV6_ADDR, data: a6 }, { idType: IdType.IPV6_ADDR_SUBNET, data: Buffer.concat([net6, mask]) }];
}
