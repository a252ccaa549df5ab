/** Packet builders and SA factories shared by the ESP tests. */
import { createHash } from 'node:crypto';
import type { IvSource } from '../../../src/crypto/esp-random-pool.js';
import { ESP_BUFFER_SIZE, ESP_HEADROOM } from '../../../src/esp/constants.js';
import { EspSa } from '../../../src/esp/sa.js';
import { AuthAlgorithm, EspTransformId, resolveEspSuite, type EspSuite } from '../../../src/esp/transforms.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';

/** Bytes from hex written as the RFCs print it (spaces and newlines allowed). */
export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

/** RFC 1071 Internet checksum of `data`, folded, complemented. */
export function inetChecksum(data: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2 === 1) sum += data[data.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4Bytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** An IPv4 packet (20-byte header with checksum, DF clear, TTL 64). */
export function ipv4Packet(src: string, dst: string, protocol: number, payload: Buffer, id = 1): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h.writeUInt16BE(id, 4);
  h[8] = 64;
  h[9] = protocol;
  ipv4Bytes(src).copy(h, 12);
  ipv4Bytes(dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  return Buffer.concat([h, payload]);
}

/** An ICMP echo request with checksum. */
export function icmpEcho(id: number, seq: number, data: Buffer): Buffer {
  const m = Buffer.alloc(8 + data.length);
  m[0] = 8;
  m.writeUInt16BE(id, 4);
  m.writeUInt16BE(seq, 6);
  data.copy(m, 8);
  m.writeUInt16BE(inetChecksum(m), 2);
  return m;
}

/** A UDP datagram inside IPv4 (checksum 0: none, allowed for IPv4). */
export function udpIpv4(src: string, dst: string, sport: number, dport: number, data: Buffer): Buffer {
  const u = Buffer.alloc(8 + data.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  data.copy(u, 8);
  return ipv4Packet(src, dst, 17, u);
}

/** A UDP datagram inside IPv6 with its mandatory checksum. Addresses are 16-byte buffers. */
export function udpIpv6(src: Buffer, dst: Buffer, sport: number, dport: number, data: Buffer): Buffer {
  const u = Buffer.alloc(8 + data.length);
  u.writeUInt16BE(sport, 0);
  u.writeUInt16BE(dport, 2);
  u.writeUInt16BE(u.length, 4);
  data.copy(u, 8);
  const pseudo = Buffer.alloc(40);
  src.copy(pseudo, 0);
  dst.copy(pseudo, 16);
  pseudo.writeUInt32BE(u.length, 32);
  pseudo[39] = 17;
  u.writeUInt16BE(inetChecksum(Buffer.concat([pseudo, u])) || 0xffff, 6);
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h.writeUInt16BE(u.length, 4);
  h[6] = 17;
  h[7] = 64;
  src.copy(h, 8);
  dst.copy(h, 24);
  return Buffer.concat([h, u]);
}

/** A fake inner packet of `size` bytes whose first byte carries the IP version nibble. */
export function innerPacket(size: number, version: 4 | 6, seed = 0): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 7 + seed) & 0xff;
  if (size > 0) b[0] = version === 4 ? 0x45 : 0x60;
  return b;
}

/** Deterministic keying material: SHA-256 blocks of a label. */
export function testKeymat(length: number, label = 'keymat'): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; parts.length * 32 < length; i++) parts.push(createHash('sha256').update(`${label}/${i}`).digest());
  return Buffer.concat(parts).subarray(0, length);
}

/** An IV source that hands out the given bytes (known-answer tests). */
export class FixedIvSource implements IvSource {
  constructor(private readonly iv: Buffer) {}
  fill(dst: Buffer, offset: number, length: number): void {
    this.iv.copy(dst, offset, 0, length);
  }
}

/** A transform combination for table-driven tests. */
export interface Combo {
  readonly transformId: number;
  readonly keyBits: number | undefined;
  readonly auth: number;
}

/** Every supported encryption x integrity combination, AES in all key sizes, plus AES-GCM-16. */
export const ALL_COMBOS: readonly Combo[] = (() => {
  const ciphers: Array<[number, number | undefined]> = [
    [EspTransformId['3DES'], undefined],
    [EspTransformId.NULL, undefined],
    [EspTransformId.AES, 128],
    [EspTransformId.AES, 192],
    [EspTransformId.AES, 256],
  ];
  const auths = [AuthAlgorithm.HMAC_MD5, AuthAlgorithm.HMAC_SHA, AuthAlgorithm.HMAC_SHA2_256];
  const out: Combo[] = [];
  for (const [transformId, keyBits] of ciphers) for (const auth of auths) out.push({ transformId, keyBits, auth });
  for (const keyBits of [128, 192, 256]) {
    out.push({ transformId: EspTransformId.AES_GCM_16, keyBits, auth: AuthAlgorithm.NONE });
  }
  out.push({ transformId: EspTransformId.AES, keyBits: 128, auth: AuthAlgorithm.NONE }); // encryption only
  return out;
})();

/** The suite for a combo. */
export function suiteOf(c: Combo): EspSuite {
  return resolveEspSuite(c.transformId, c.keyBits, c.auth);
}

/** Sender and receiver SAs sharing keys (what the two ends of one SA hold). */
export function saPair(c: Combo, spi = 0x1234abcd, label = 'keymat'): { tx: EspSa; rx: EspSa } {
  const suite = suiteOf(c);
  const keymat = testKeymat(suite.keymatLength, label);
  return { tx: EspSa.fromKeymat(spiFromNumber(spi), suite, keymat), rx: EspSa.fromKeymat(spiFromNumber(spi), suite, keymat) };
}

/** A pool-sized buffer holding `inner` at ESP_HEADROOM; returns the buffer. */
export function bufferWith(inner: Buffer): Buffer {
  const buf = Buffer.alloc(Math.max(ESP_BUFFER_SIZE, ESP_HEADROOM + inner.length + 64));
  inner.copy(buf, ESP_HEADROOM);
  return buf;
}
