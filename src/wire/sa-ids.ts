/**
 * The identifiers of security associations: the ESP SPI (RFC 4303 2.1) and the ISAKMP cookies (RFC 2408 3.1),
 * branded so that the compiler keeps them apart from other numbers and Buffers, and the one module that makes,
 * converts, compares and prints them. The brands exist only for the compiler: at run time a Spi is a number and
 * an IkeCookie a Buffer, and what the ESP path calls here (readSpi) allocates nothing.
 *
 * One representation per boundary, chosen so that each layer converts at most once:
 * - Payload codecs (ike/payloads: proposal SPI, notify SPI, DELETE SPIs) and the KEYMAT input (ike/keys.ts)
 *   carry raw bytes: the SPI's size depends on the protocol (none in a phase-1 proposal, 16 for the ISAKMP SA's
 *   cookie pair, 4 for ESP), which only the exchange knows.
 * - The IKE exchanges convert at that edge (spiFromBytes once the size is checked, spiToBytes to encode), so
 *   what they take and return is a `Spi`: quick-mode parameters and results, the informational `delete-esp`
 *   event, the DELETE builders.
 * - ESP (esp/, session/datapath.ts, gateway/data-plane.ts) holds a `Spi`, a number: the hot path reads it with
 *   readSpi (one readUInt32BE), looks its SA up in a Map and writes it with writeUInt32BE.
 * - Cookies stay bytes (`IkeCookie`, 8 bytes) on every layer: all their uses are bytes (the header, the prf
 *   inputs of SKEYID, HASH_I/R and NAT-D, the ISAKMP SA's 16-byte "SPI"), and 64 bits do not fit a number. The
 *   header codec brands views of the datagram (readCookie); a cookie kept longer than its datagram is copied
 *   (copyCookie).
 * - Text: formatSpi (`0x1a2b3c4d`, always 8 digits) in logs, traces and key files, spiHex (no prefix) in the
 *   status JSON; cookieHex and formatCookiePair (`<initiator>/<responder>`) in logs and the status; cookiePairHex
 *   is the map key of an ISAKMP SA.
 * Constructors throw RangeError for a value of the wrong size: a caller's mistake, not a peer's (codecs and
 * exchanges check what peers send before they convert it).
 */
import { randomBytes } from 'node:crypto';

/** An ESP SPI: an unsigned 32-bit number, as on the wire (big-endian). */
export type Spi = number & { readonly __brand: 'Spi' };

/** An ISAKMP cookie (CKY-I or CKY-R): 8 bytes. */
export type IkeCookie = Buffer & { readonly __brand: 'IkeCookie' };

/** Bytes of an ESP SPI in IKE payloads. */
export const SPI_LENGTH = 4;

/** Bytes of each cookie. */
export const COOKIE_LENGTH = 8;

/** SPIs 1 to 255 are reserved by IANA and 0 for local use (RFC 4303 2.1): none is ever chosen. */
const FIRST_FREE_SPI = 256;

/** `n` as an SPI; RangeError unless it is an integer from 0 to 2^32 - 1. */
export function spiFromNumber(n: number): Spi {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`SPI ${n} is not an unsigned 32-bit number`);
  return n as Spi;
}

/** The SPI in 4 bytes (an IKE payload's); RangeError for another length. */
export function spiFromBytes(b: Uint8Array): Spi {
  if (b.length !== SPI_LENGTH) throw new RangeError(`an ESP SPI has ${SPI_LENGTH} bytes, not ${b.length}`);
  return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) as Spi;
}

/** The SPI of the ESP packet at `buf[off]` (the data path: no check, no allocation; RangeError past the end). */
export function readSpi(buf: Buffer, off: number): Spi {
  return buf.readUInt32BE(off) as Spi;
}

/** The 4 bytes IKE payloads carry (proposal, notify, DELETE) and KEYMAT is derived over. */
export function spiToBytes(spi: Spi): Buffer {
  const b = Buffer.alloc(SPI_LENGTH);
  b.writeUInt32BE(spi);
  return b;
}

/** 8 hex digits, no prefix (the status JSON). */
export function spiHex(spi: Spi): string {
  return spi.toString(16).padStart(8, '0');
}

/** `0x` and 8 hex digits, as logs, traces and Wireshark's key table write an SPI. */
export function formatSpi(spi: Spi): string {
  return `0x${spiHex(spi)}`;
}

/** A random inbound SPI, never a reserved one; draws 4 bytes from `random` until one is free. */
export function randomSpi(random: (n: number) => Buffer = randomBytes): Spi {
  for (;;) {
    const spi = spiFromBytes(random(SPI_LENGTH));
    if (spi >= FIRST_FREE_SPI) return spi;
  }
}

function asCookie(b: Buffer): IkeCookie {
  if (b.length !== COOKIE_LENGTH) throw new RangeError(`an ISAKMP cookie has ${COOKIE_LENGTH} bytes, not ${b.length}`);
  return b as IkeCookie;
}

/** The cookie at `buf[off]` as a view (no copy: copyCookie it to keep it past `buf`); RangeError when `buf` ends first. */
export function readCookie(buf: Buffer, off: number): IkeCookie {
  return asCookie(buf.subarray(off, off + COOKIE_LENGTH));
}

/** A copy of `b` as a cookie; RangeError unless it has 8 bytes. */
export function copyCookie(b: Uint8Array): IkeCookie {
  return asCookie(Buffer.from(b));
}

/** A fresh cookie of 8 bytes drawn from `random`. */
export function randomCookie(random: (n: number) => Buffer = randomBytes): IkeCookie {
  return asCookie(random(COOKIE_LENGTH));
}

/** The responder cookie of a first message: all zeros. */
export function zeroCookie(): IkeCookie {
  return Buffer.alloc(COOKIE_LENGTH) as IkeCookie;
}

/** Whether `c` is all zeros (a plain loop: it runs for every datagram the gateway gets). */
export function isZeroCookie(c: IkeCookie): boolean {
  for (let i = 0; i < c.length; i++) if (c[i] !== 0) return false;
  return true;
}

export function sameCookie(a: IkeCookie, b: IkeCookie): boolean {
  return a.equals(b);
}

/** 16 hex digits (logs, the key of a half-open exchange, Wireshark's IKEv1 table). */
export function cookieHex(c: IkeCookie): string {
  return c.toString('hex');
}

/** `<initiator>/<responder>` in hex, as logs and the status show an ISAKMP SA. */
export function formatCookiePair(cookieI: IkeCookie, cookieR: IkeCookie): string {
  return `${cookieHex(cookieI)}/${cookieHex(cookieR)}`;
}

/** Both cookies in hex, one string: the map key of an ISAKMP SA. */
export function cookiePairHex(cookieI: IkeCookie, cookieR: IkeCookie): string {
  return cookieHex(cookieI) + cookieHex(cookieR);
}

/** Both cookies, 16 bytes: the ISAKMP SA's SPI in its notifies and DELETEs. */
export function cookiePairBytes(cookieI: IkeCookie, cookieR: IkeCookie): Buffer {
  return Buffer.concat([cookieI, cookieR]);
}
