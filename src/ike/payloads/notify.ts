/**
 * Notification (RFC 2408 3.14) and Delete (3.15) payloads:
 *
 *   N: DOI (4) | Protocol-ID (1) | SPI Size (1) | Notify Message Type (2) | SPI | Notification Data
 *   D: DOI (4) | Protocol-Id (1) | SPI Size (1) | # of SPIs (2)           | SPIs (# x SPI Size)
 *
 * For ISAKMP the SPI is usually both cookies (16 bytes), as vpnc and Cisco send it.
 */
import { EncodeError } from '../../wire/errors.js';
import type { Reader } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';
import { PayloadType } from '../constants.js';

/** Notification payload. */
export interface NotifyPayload {
  readonly type: typeof PayloadType.NOTIFICATION;
  readonly doi: number;
  /** ProtocolId. */
  readonly protocol: number;
  /** Notify Message Type (NotifyType). */
  readonly messageType: number;
  readonly spi: Buffer;
  readonly data: Buffer;
}

/** Delete payload. */
export interface DeletePayload {
  readonly type: typeof PayloadType.DELETE;
  readonly doi: number;
  /** ProtocolId. */
  readonly protocol: number;
  /** Every SPI has this size (kept so an empty list still encodes its size). */
  readonly spiSize: number;
  readonly spis: readonly Buffer[];
}

/** Decodes a Notification body. */
export function decodeNotify(r: Reader): NotifyPayload {
  const doi = r.u32('DOI');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const messageType = r.u16('notify message type');
  if (spiSize > r.remaining) r.fail(`SPI size ${spiSize} exceeds payload (${r.remaining} bytes left)`);
  const spi = r.bytes(spiSize, 'SPI');
  return { type: PayloadType.NOTIFICATION, doi, protocol, messageType, spi, data: r.rest() };
}

/** Encodes a Notification body. */
export function encodeNotify(w: Writer, p: NotifyPayload): void {
  if (p.spi.length > 255) throw new EncodeError(`notify SPI of ${p.spi.length} bytes is too long`);
  w.u32(p.doi).u8(p.protocol).u8(p.spi.length).u16(p.messageType).bytes(p.spi).bytes(p.data);
}

/** Decodes a Delete body. Bytes after the last SPI are ignored. */
export function decodeDelete(r: Reader): DeletePayload {
  const doi = r.u32('DOI');
  const protocol = r.u8('protocol id');
  const spiSize = r.u8('SPI size');
  const count = r.u16('# of SPIs');
  if (count * spiSize > r.remaining) {
    r.fail(`${count} SPIs of ${spiSize} bytes exceed payload (${r.remaining} bytes left)`);
  }
  const spis: Buffer[] = [];
  for (let i = 0; i < count; i++) spis.push(r.bytes(spiSize, `SPI ${i + 1}`));
  return { type: PayloadType.DELETE, doi, protocol, spiSize, spis };
}

/** Encodes a Delete body; every SPI must be `spiSize` bytes. */
export function encodeDelete(w: Writer, p: DeletePayload): void {
  if (p.spiSize > 255) throw new EncodeError(`delete SPI size ${p.spiSize} is too large`);
  if (p.spis.length > 0xffff) throw new EncodeError(`delete carries ${p.spis.length} SPIs, more than 65535`);
  const wrong = p.spis.find((s) => s.length !== p.spiSize);
  if (wrong) throw new EncodeError(`delete SPI of ${wrong.length} bytes, SPI size is ${p.spiSize}`);
  w.u32(p.doi).u8(p.protocol).u8(p.spiSize).u16(p.spis.length);
  for (const s of p.spis) w.bytes(s);
}
