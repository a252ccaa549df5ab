/**
 * How large an inner packet fits in one outer packet of a given path MTU, for a transform and an
 * encapsulation (RFC 4303 2: SPI, sequence number, IV, padding to the suite's boundary with the two trailer
 * bytes, ICV; RFC 3948 2.1: 8 bytes of UDP; the draft variant adds its 8-byte non-IKE marker; Cisco UDP is
 * plain UDP). The outer header is IPv4 without options.
 */
import type { EspSuite } from './transforms.js';

export const Encapsulation = {
  /** IP protocol 50. */
  raw: 0,
  /** RFC 3948 UDP (port 4500), and Cisco's UDP encapsulation. */
  udp: 8,
  /** draft-ietf-ipsec-udp-encaps-00/01: UDP and an 8-byte marker. */
  draft: 16,
} as const;
export type Encapsulation = keyof typeof Encapsulation;

const OUTER_IPV4 = 20;
const ESP_HEADER = 8;
/** Pad Length and Next Header. */
const ESP_TRAILER = 2;
/** The smallest MTU an IPv4 device may have (RFC 791). */
export const MIN_INNER_MTU = 68;

/** The largest inner packet that fits (the tunnel device's MTU); below 68 when the path is too small. */
export function innerMtu(pathMtu: number, suite: Pick<EspSuite, 'ivLength' | 'padAlign' | 'icvLength'>, encapsulation: Encapsulation): number {
  const room = pathMtu - OUTER_IPV4 - Encapsulation[encapsulation] - ESP_HEADER - suite.ivLength - suite.icvLength;
  if (room <= 0) return 0;
  // The padded payload (inner packet + trailer) is a multiple of the boundary.
  return Math.floor(room / suite.padAlign) * suite.padAlign - ESP_TRAILER;
}

/** The outer packet's length for an inner packet of `inner` bytes (the inverse, for checks). */
export function outerLength(inner: number, suite: Pick<EspSuite, 'ivLength' | 'padAlign' | 'icvLength'>, encapsulation: Encapsulation): number {
  const padded = Math.ceil((inner + ESP_TRAILER) / suite.padAlign) * suite.padAlign;
  return OUTER_IPV4 + Encapsulation[encapsulation] + ESP_HEADER + suite.ivLength + padded + suite.icvLength;
}
