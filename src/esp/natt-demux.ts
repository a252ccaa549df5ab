/**
 * What a datagram on the NAT-T port (UDP 4500) carries, RFC 3948 section 2: a NAT keepalive (the single byte
 * 0xFF), an IKE message behind the non-ESP marker (four zero bytes where ESP has its SPI, which is never 0), or
 * ESP (SPI and sequence number at least). Anything else is a runt. One reading, for the client's IKE socket
 * after the float and for the gateway's port 4500.
 */
import { ESP_HEADER_LENGTH } from './constants.js';

export const NattDatagram = {
  KEEPALIVE: 0,
  IKE: 1,
  ESP: 2,
  RUNT: 3,
} as const;
export type NattDatagram = (typeof NattDatagram)[keyof typeof NattDatagram];

/** Bytes of the non-ESP marker in front of an IKE message. */
export const NON_ESP_MARKER_LENGTH = 4;

/** The kind of the datagram `buf[off, off + len)`; the IKE message of an IKE one starts after the marker. */
export function classifyNattDatagram(buf: Uint8Array, off: number, len: number): NattDatagram {
  if (len === 1 && buf[off] === 0xff) return NattDatagram.KEEPALIVE;
  if (len >= NON_ESP_MARKER_LENGTH && buf[off] === 0 && buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] === 0) return NattDatagram.IKE;
  return len > ESP_HEADER_LENGTH ? NattDatagram.ESP : NattDatagram.RUNT;
}
