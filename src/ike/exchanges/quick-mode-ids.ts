/**
 * The identities of a quick mode (IDci, IDcr: RFC 2409 5.5, RFC 2407 4.6.2) as address ranges, and the check
 * both directions of quick mode make: our side must be exactly our tunnel address, the gateway's side must lie
 * inside the network this tunnel was set up for (a gateway may narrow it, never widen it).
 */
import { ProtocolError } from '../../errors.js';
import { formatIpv4, prefixToMask } from '../../wire/ipv4-text.js';
import { IdType, NotifyType } from '../constants.js';
import type { IdPayload } from '../payloads/id.js';

/** An inclusive range of IPv4 addresses as unsigned 32-bit numbers. */
export interface Ipv4Range {
  readonly first: number;
  readonly last: number;
}

/** The addresses of a network given by its mask. */
function maskRange(address: number, mask: number): Ipv4Range {
  const first = (address & mask) >>> 0;
  return { first, last: (first | (~mask >>> 0)) >>> 0 };
}

export function prefixRange(address: number, prefixLength: number): Ipv4Range {
  return maskRange(address, prefixToMask(prefixLength));
}

/** The range an IPv4 ID names, or undefined for other ID types and malformed data. */
export function idRange(id: IdPayload): Ipv4Range | undefined {
  const d = id.data;
  if (id.idType === IdType.IPV4_ADDR && d.length === 4) {
    const a = d.readUInt32BE(0);
    return { first: a, last: a };
  }
  if (id.idType === IdType.IPV4_ADDR_SUBNET && d.length === 8) return maskRange(d.readUInt32BE(0), d.readUInt32BE(4));
  if (id.idType === IdType.IPV4_ADDR_RANGE && d.length === 8) {
    const first = d.readUInt32BE(0);
    const last = d.readUInt32BE(4);
    return first <= last ? { first, last } : undefined;
  }
  return undefined;
}

function text(r: Ipv4Range): string {
  return r.first === r.last ? formatIpv4(r.first) : `${formatIpv4(r.first)}-${formatIpv4(r.last)}`;
}

/** What the tunnel was set up for. */
export interface TunnelIds {
  /** Our mode-config address. */
  readonly ours: number;
  /** The network behind the gateway we asked for (the target network). */
  readonly theirs: Ipv4Range;
}

/**
 * Checks a quick mode's pair of IDs against the tunnel: `ourId` must be exactly our address, `theirId` inside
 * the target network. No IDs at all is accepted (vpnc and Cisco always send them; RFC 2409 then implies the
 * peers' addresses, which gives us nothing to check). Throws ProtocolError INVALID-ID-INFORMATION.
 */
export function checkQuickModeIds(ids: readonly IdPayload[], ourIndex: 0 | 1, tunnel: TunnelIds): void {
  if (ids.length === 0) return;
  if (ids.length !== 2) throw new ProtocolError(`quick mode carries ${ids.length} ID payloads, not 2`, NotifyType.INVALID_ID_INFORMATION);
  const ours = idRange(ids[ourIndex]!);
  const theirs = idRange(ids[1 - ourIndex]!);
  if (!ours || !theirs) throw new ProtocolError('quick mode ID is not an IPv4 address, subnet or range', NotifyType.INVALID_ID_INFORMATION);
  if (ours.first !== tunnel.ours || ours.last !== tunnel.ours) {
    throw new ProtocolError(`quick mode ID for our side is ${text(ours)}, not our address ${text({ first: tunnel.ours, last: tunnel.ours })}`, NotifyType.INVALID_ID_INFORMATION);
  }
  if (theirs.first < tunnel.theirs.first || theirs.last > tunnel.theirs.last) {
    throw new ProtocolError(`quick mode ID for the gateway's side is ${text(theirs)}, outside the target network ${text(tunnel.theirs)}`, NotifyType.INVALID_ID_INFORMATION);
  }
}
