/**
 * What the session tells the diagnostic trace: IKE datagrams on the IKE socket (from IkeChannel), packets
 * of the data path (DataPath's PacketTap), and the SAs as their keys become known. The session only calls
 * these; the trace (tracer.ts) decides what to write and log. A leaf: the modules that report import these
 * interfaces from here, never the other way round.
 */
import type { EspSa } from '../../esp/sa.js';
import type { IkeSa } from '../../ike/ike-sa.js';

/** How ESP travels between us and the gateway. */
export type EspTransportKind = 'udp' | 'draft' | 'cisco-udp' | 'raw';

/** Observes packets for the diagnostic trace; undefined when tracing is off. */
export interface PacketTap {
  inner(direction: 'in' | 'out', buf: Buffer, off: number, len: number): void;
  outerEsp(direction: 'in' | 'out', buf: Buffer, off: number, len: number): void;
  drop(direction: 'in' | 'out', reason: string, buf: Buffer, off: number, len: number): void;
}

/** The IKE socket's state at the time of a datagram (IkeChannel satisfies it). */
export interface UdpPathState {
  readonly localPort: number;
  readonly remotePort: number;
  /** True once floated to 4500: IKE then carries the 4-byte non-ESP marker. */
  readonly floated: boolean;
}

/** Observes every datagram on the IKE socket, as on the wire (the non-ESP marker included). */
export interface DatagramTap {
  datagram(direction: 'in' | 'out', buf: Buffer, off: number, len: number, path: UdpPathState): void;
}

/** How ESP travels, to rebuild the outer headers the data path does not see. */
export interface EspPath {
  readonly kind: EspTransportKind;
  /** UDP ports (ignored for raw ESP). */
  readonly localPort: number;
  readonly remotePort: number;
}

/** The data path's reasons for an outbound drop before any SA saw the packet (not counted on an SA). */
export const NoSaDrop = { noSa: 'no SA yet', noIpv6Sa: 'no IPv6 SA', notIp: 'not IPv4 or IPv6' } as const;
export const NO_SA_DROPS: ReadonlySet<string> = new Set(Object.values(NoSaDrop));

/** An inbound/outbound ESP SA pair as quick mode produced it. */
export interface EspSaPair {
  /** The inner family it carries (absent: IPv4). */
  readonly family?: 4 | 6;
  readonly inbound: EspSa;
  readonly outbound: EspSa;
}

/** Everything a session reports to the diagnostic trace. */
export interface SessionTrace extends PacketTap, DatagramTap {
  /** The outer addresses, before the first IKE datagram: ours as the gateway sees it routed, and the gateway's. */
  start(localAddress: string, gatewayAddress: string): void;
  /** The ISAKMP SA once its keys are derived (before XAUTH). */
  ikeSa(sa: IkeSa): void;
  /** A new ESP SA pair, and how ESP travels (given with the first pair; rekeys keep it). */
  espSas(pair: EspSaPair, path?: EspPath): void;
  /** A finding of the session (e.g. ESP black-holed): a comment on the next packet in the trace. */
  note(text: string): void;
}
