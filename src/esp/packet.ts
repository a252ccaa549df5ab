/**
 * ESP tunnel-mode packet processing (RFC 4303 sections 2 and 3.4), in place, without exceptions.
 *
 * Outbound, the inner packet sits at `off` in a buffer with ESP_HEADROOM before and ESP_TAILROOM after it:
 *
 *   [ free | SPI | Seq | IV ][ inner IP packet ][ padding | pad len | next hdr | ICV ][ free ]
 *            ^ ESP packet start        ^ off (encrypted in place from here)
 *
 * Results go into a caller-owned PacketSpan (reused per packet) and the return value is an EspStatus, so the
 * data path allocates nothing of its own (the addon's native AES seal/open makes no JS objects either; the
 * node:crypto path, used for 3DES and NULL or without the addon, does per call: see crypto/esp-cipher.ts).
 */
import { OpenResult } from '../crypto/esp-suite.js';
import { ESP_HEADER_LENGTH, ESP_SEQ_MAX, EspStatus, NextHeader } from './constants.js';
import type { EspSa } from './sa.js';
import type { EspSuite } from './transforms.js';

/** Where a packet lies in a buffer; filled in by encapsulate/decapsulate. */
export interface PacketSpan {
  offset: number;
  length: number;
}

/** A new span to reuse across calls. */
export function createPacketSpan(): PacketSpan {
  return { offset: 0, length: 0 };
}

/** Bytes of padding after `innerLength` bytes so that payload + 2-byte trailer ends on `align`. */
export function paddingLength(innerLength: number, align: number): number {
  const r = (innerLength + 2) % align;
  return r === 0 ? 0 : align - r;
}

/** Length of the ESP packet (header to ICV) that carries `innerLength` bytes with this suite. */
export function espPacketLength(suite: EspSuite, innerLength: number): number {
  return (
    ESP_HEADER_LENGTH + suite.ivLength + innerLength + paddingLength(innerLength, suite.padAlign) + 2 + suite.icvLength
  );
}

/** Next header for an inner packet from its IP version nibble; 0 if it is neither IPv4 nor IPv6. */
function nextHeaderFor(firstByte: number): number {
  const version = firstByte >>> 4;
  if (version === 4) return NextHeader.IPV4;
  if (version === 6) return NextHeader.IPV6;
  return 0;
}

/**
 * Wrap the inner packet `buf[off, off + len)` in ESP for `sa`. On OK, `out` holds the ESP packet's offset and
 * length in the same buffer (header in the headroom, trailer and ICV in the tailroom). A zero-length inner
 * packet becomes an RFC 4303 dummy packet (next header 59).
 */
export function encapsulate(sa: EspSa, buf: Buffer, off: number, len: number, out: PacketSpan): EspStatus {
  const suite = sa.suite;
  const espOff = off - ESP_HEADER_LENGTH - suite.ivLength;
  const padLength = paddingLength(len, suite.padAlign);
  const textLength = len + padLength + 2;
  const end = off + textLength + suite.icvLength;
  if (espOff < 0 || len < 0 || end > buf.length) return sa.drop(EspStatus.NO_ROOM);
  const nextHeader = len === 0 ? NextHeader.NO_NEXT_HEADER : nextHeaderFor(buf[off]!);
  if (nextHeader === 0) return sa.drop(EspStatus.UNKNOWN_NEXT_HEADER);
  if (sa.nextSeq > ESP_SEQ_MAX) return sa.drop(EspStatus.SEQUENCE_EXHAUSTED);
  const seq = sa.nextSeq++;

  buf.writeUInt32BE(sa.spi, espOff);
  buf.writeUInt32BE(seq, espOff + 4);
  const ivOff = espOff + ESP_HEADER_LENGTH;
  if (suite.counterIv) {
    // RFC 4106 section 3.1: any IV that never repeats under a key; the sequence number never does.
    buf.writeUInt32BE(0, ivOff);
    buf.writeUInt32BE(seq, ivOff + 4);
  } else if (suite.ivLength > 0) {
    sa.ivSource.fill(buf, ivOff, suite.ivLength);
  }
  let p = off + len;
  for (let i = 1; i <= padLength; i++) buf[p++] = i;
  buf[p++] = padLength;
  buf[p] = nextHeader;

  sa.cipher.seal(buf, espOff, textLength);
  sa.counters.packets++;
  sa.counters.bytes += len;
  out.offset = espOff;
  out.length = end - espOff;
  return EspStatus.OK;
}

/** True if next header `nh` may carry the `len` decrypted bytes at `off` into the tunnel. */
function nextHeaderAcceptable(nh: number, buf: Buffer, off: number, len: number): boolean {
  if (nh === NextHeader.NO_NEXT_HEADER) return true;
  if (len === 0) return false;
  const version = buf[off]! >>> 4;
  return (nh === NextHeader.IPV4 && version === 4) || (nh === NextHeader.IPV6 && version === 6);
}

/**
 * Unwrap the ESP packet `buf[off, off + len)` (from the SPI on) received for `sa`; looking up `sa` by SPI is
 * the caller's job. Order: length, replay window, ICV (constant time), decrypt in place, padding, next header,
 * and only then the replay window is updated. On OK, `out` holds the inner packet; its length is 0 for a
 * dummy packet (next header 59), which the caller discards.
 */
export function decapsulate(sa: EspSa, buf: Buffer, off: number, len: number, out: PacketSpan): EspStatus {
  const suite = sa.suite;
  const textOff = off + ESP_HEADER_LENGTH + suite.ivLength;
  const textLength = len - ESP_HEADER_LENGTH - suite.ivLength - suite.icvLength;
  if (off < 0 || off + len > buf.length || textLength < 2 || textLength % suite.blockSize !== 0) {
    return sa.drop(EspStatus.BAD_LENGTH);
  }
  const seq = buf.readUInt32BE(off + 4);
  if (!sa.replay.check(seq)) return sa.drop(EspStatus.REPLAY);

  const opened = sa.cipher.open(buf, off, textLength);
  if (opened !== OpenResult.OK) {
    return sa.drop(opened === OpenResult.BAD_ICV ? EspStatus.BAD_ICV : EspStatus.DECRYPT_FAILED);
  }

  const trailer = textOff + textLength - 2;
  const padLength = buf[trailer]!;
  const nextHeader = buf[trailer + 1]!;
  if (padLength > textLength - 2) return sa.drop(EspStatus.BAD_PADDING);
  const innerLength = textLength - 2 - padLength;
  const padOff = textOff + innerLength;
  for (let i = 0; i < padLength; i++) {
    if (buf[padOff + i] !== i + 1) return sa.drop(EspStatus.BAD_PADDING);
  }
  if (!nextHeaderAcceptable(nextHeader, buf, textOff, innerLength)) return sa.drop(EspStatus.UNKNOWN_NEXT_HEADER);

  sa.replay.update(seq);
  const delivered = nextHeader === NextHeader.NO_NEXT_HEADER ? 0 : innerLength;
  sa.counters.packets++;
  sa.counters.bytes += delivered;
  out.offset = textOff;
  out.length = delivered;
  return EspStatus.OK;
}
