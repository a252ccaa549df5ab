/**
 * What the network said about a packet we sent (IP_RECVERR): the ICMP report or local error the kernel queued
 * on the socket, in words a person can act on ("port 500 unreachable at 198.51.100.1").
 */
import { formatIpv4 } from '../wire/ipv4-text.js';

/** sock_extended_err origins (linux/errqueue.h). */
export const ErrorOrigin = { local: 1, icmp: 2 } as const;

/** One report, as the addon hands it over. */
export interface NetworkError {
  readonly origin: number;
  /** ICMP type and code (for origin icmp). */
  readonly type: number;
  readonly code: number;
  /** For "fragmentation needed": the next hop's MTU; for local EMSGSIZE: the path MTU. */
  readonly info: number;
  readonly errno: number;
  /** Who sent the ICMP (0 when unknown). */
  readonly from: number;
  /** Where our packet was going. */
  readonly destination: number;
  readonly destinationPort: number;
}

const UNREACHABLE = 3;
const TIME_EXCEEDED = 11;
const EMSGSIZE = 90;

/** The report in one phrase, e.g. `port 500 unreachable (ICMP from 198.51.100.1)`. */
export function describeNetworkError(e: NetworkError): string {
  const from = e.from !== 0 ? ` (ICMP from ${formatIpv4(e.from)})` : '';
  const to = formatIpv4(e.destination);
  if (e.origin === ErrorOrigin.local) {
    return e.errno === EMSGSIZE ? `a packet to ${to} is larger than the path MTU ${e.info}` : `sending to ${to} failed locally (errno ${e.errno})`;
  }
  if (e.origin !== ErrorOrigin.icmp) return `an error report of origin ${e.origin} about ${to}`;
  if (e.type === TIME_EXCEEDED) return `packets to ${to} expire on the way (a routing loop?)${from}`;
  if (e.type !== UNREACHABLE) return `ICMP type ${e.type} code ${e.code} about ${to}${from}`;
  switch (e.code) {
    case 0:
      return `network of ${to} unreachable${from}`;
    case 1:
      return `host ${to} unreachable${from}`;
    case 2:
      return `IP protocol unreachable at ${to}: the gateway's host does not take it${from}`;
    case 3:
      return `port ${e.destinationPort} unreachable at ${to}: nothing listens there${from}`;
    case 4:
      return `fragmentation needed on the way to ${to}: the next hop carries ${e.info} bytes${from}`;
    case 9:
    case 10:
    case 13:
      return `packets to ${to} administratively prohibited (a firewall)${from}`;
    default:
      return `${to} unreachable (ICMP code ${e.code})${from}`;
  }
}
