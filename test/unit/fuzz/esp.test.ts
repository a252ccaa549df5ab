/**
 * ESP decapsulation under fuzzing, on both cipher paths (node:crypto, and the native addon for the AES
 * transforms it covers; the addon is built into this tree, so its absence fails): arbitrary inner packets
 * round-trip; mutated ESP packets are dropped with a status (never an exception), and with an ICV never
 * delivered unless unchanged; validly sealed ESP carrying arbitrary trailers (padding, pad length, next
 * header) gets exactly the verdict RFC 4303 gives it.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { NO_NATIVE_CRYPTO_ENV, nativeSupports } from '../../../src/crypto/esp-native.js';
import { ESP_HEADER_LENGTH, ESP_HEADROOM, EspStatus, espStatusName, NextHeader } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import { EspSa, splitKeymat } from '../../../src/esp/sa.js';
import type { EspSuite } from '../../../src/esp/transforms.js';
import { ALL_COMBOS, FixedIvSource, suiteOf, testKeymat } from '../esp/fixtures.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { bytes, mutated } from './mutate.js';
import { same, target } from './runs.js';

type Path = 'node:crypto' | 'native';
const STATUSES: ReadonlySet<number> = new Set(Object.values(EspStatus));
const SPI = spiFromNumber(0x1234abcd);

/** An SA direction on the given cipher path (the path is fixed when the SA is made). */
function makeSa(suite: EspSuite, path: Path, asGiven: boolean): EspSa {
  const saved = process.env[NO_NATIVE_CRYPTO_ENV];
  if (path === 'node:crypto') process.env[NO_NATIVE_CRYPTO_ENV] = '1';
  else delete process.env[NO_NATIVE_CRYPTO_ENV];
  try {
    const keys = splitKeymat(suite, testKeymat(suite.keymatLength, suite.name));
    const sa = new EspSa({ spi: SPI, suite, keys, ...(asGiven ? { ivSource: new FixedIvSource(Buffer.alloc(16, 0x3c)) } : {}) });
    expect(sa.cipher.constructor.name === 'NativeEspCipher', `${suite.name} on ${path}`).toBe(path === 'native');
    return sa;
  } finally {
    if (saved === undefined) delete process.env[NO_NATIVE_CRYPTO_ENV];
    else process.env[NO_NATIVE_CRYPTO_ENV] = saved;
  }
}

const onNative = (s: EspSuite) => nativeSupports({ cipher: s.cipher, hash: s.hash, ivLength: s.ivLength } as Parameters<typeof nativeSupports>[0]);
const SUITES: Record<Path, EspSuite[]> = { 'node:crypto': ALL_COMBOS.map(suiteOf), native: ALL_COMBOS.map(suiteOf).filter(onNative) };

/** Sender and receiver of one suite, per path and purpose, made once. */
const pairs = new Map<string, { tx: EspSa; rx: EspSa }>();
function pair(suite: EspSuite, path: Path, purpose: string, asGiven = false): { tx: EspSa; rx: EspSa } {
  const key = `${suite.name}/${path}/${purpose}`;
  let p = pairs.get(key);
  if (!p) pairs.set(key, (p = { tx: makeSa(suite, path, asGiven), rx: makeSa(suite, path, false) }));
  return p;
}

/** An inner packet: mostly IPv4 or IPv6 by its first nibble, of any length up to 1500. */
const inner = fc.tuple(bytes(1500), fc.constantFrom(0x45, 0x60, -1)).map(([b, first]) => {
  if (b.length > 0 && first >= 0) b[0] = first;
  return b;
});

/** Seals `packet` with `tx`; the ESP packet and where it sits (undefined when encapsulate refuses). */
function seal(tx: EspSa, packet: Buffer): { buf: Buffer; off: number; len: number } | undefined {
  const buf = Buffer.alloc(ESP_HEADROOM + packet.length + 64);
  packet.copy(buf, ESP_HEADROOM);
  const span = createPacketSpan();
  const status = encapsulate(tx, buf, ESP_HEADROOM, packet.length, span);
  const version = packet.length ? packet[0]! >> 4 : 4;
  expect(status).toBe(version === 4 || version === 6 ? EspStatus.OK : EspStatus.UNKNOWN_NEXT_HEADER);
  return status === EspStatus.OK ? { buf, off: span.offset, len: span.length } : undefined;
}

/** RFC 4303 3.4.4 and our next-header rule, from the decrypted text: the verdict and the inner packet. */
function verdict(text: Buffer): { status: number; inner?: Buffer } {
  const padLength = text[text.length - 2]!;
  const nh = text[text.length - 1]!;
  if (padLength > text.length - 2) return { status: EspStatus.BAD_PADDING };
  const innerLength = text.length - 2 - padLength;
  for (let i = 0; i < padLength; i++) if (text[innerLength + i] !== i + 1) return { status: EspStatus.BAD_PADDING };
  if (nh === NextHeader.NO_NEXT_HEADER) return { status: EspStatus.OK, inner: Buffer.alloc(0) };
  const version = innerLength > 0 ? text[0]! >> 4 : -1;
  const ok = (nh === NextHeader.IPV4 && version === 4) || (nh === NextHeader.IPV6 && version === 6);
  return ok ? { status: EspStatus.OK, inner: text.subarray(0, innerLength) } : { status: EspStatus.UNKNOWN_NEXT_HEADER };
}

for (const path of ['node:crypto', 'native'] as const) {
  const suite = fc.constantFrom(...SUITES[path]);
  describe(`fuzz: ESP on ${path}`, () => {
    target(`ESP [${path}]: encapsulate then decapsulate round-trips any inner packet`, [suite, inner], (s, packet) => {
      const { tx, rx } = pair(s, path, 'round-trip');
      const esp = seal(tx, packet);
      if (!esp) return 'not IP';
      const span = createPacketSpan();
      expect(decapsulate(rx, esp.buf, esp.off, esp.len, span)).toBe(EspStatus.OK);
      same(esp.buf.subarray(span.offset, span.offset + span.length), packet);
      return packet.length ? 'delivered' : 'dummy';
    });

    const corrupted = suite.chain((s) =>
      fc.tuple(fc.constant(s), inner, fc.integer({ min: 0, max: 40 }), fc.integer({ min: -8, max: 8 })).chain(([s2, packet, lead, slack]) => {
        const esp = seal(pair(s2, path, 'mutated').tx, packet.length && ![4, 6].includes(packet[0]! >> 4) ? Buffer.from([0x45]) : packet)!;
        const original = Buffer.from(esp.buf.subarray(esp.off, esp.off + esp.len));
        return mutated(original, 0, 4).map((bad) => ({ suite: s2, original, bad, lead, slack }));
      }),
    );
    target(`ESP [${path}]: decapsulate refuses mutated ESP packets with a status`, [corrupted], ({ suite: s, original, bad, lead, slack }) => {
      const { rx } = pair(s, path, 'mutated');
      const buf = Buffer.alloc(lead + bad.length + Math.max(0, slack));
      bad.copy(buf, lead);
      const len = bad.length + Math.min(0, slack);
      const span = createPacketSpan();
      const status = decapsulate(rx, buf, lead, len, span);
      expect(STATUSES.has(status)).toBe(true);
      if (status !== EspStatus.OK) return `dropped: ${espStatusName(status as EspStatus)}`;
      expect(span.offset >= lead && span.offset + span.length <= lead + len).toBe(true);
      // With an ICV, only the packet as sealed gets through (the buffer is decrypted in place now: compare the input).
      if (s.icvLength > 0) same(bad.subarray(0, len), original);
      // Accepted once: the same sequence number again is a replay.
      expect(decapsulate(rx, Buffer.from(buf), lead, len, createPacketSpan())).toBe(EspStatus.REPLAY);
      return 'delivered';
    });

    let seq = 0;
    const texts = suite.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 1, max: 24 }), fc.nat({ max: 15 }), fc.constantFrom(4, 41, 59, 0, 6, 255)).chain(([s2, blocks, pad, nh]) => {
      const len = blocks * Math.max(s2.blockSize, 4);
      return bytes(len, len).map((text) => {
        // Mostly a plausible trailer: pad bytes 1..n, a pad length, a next header; sometimes left as drawn.
        if (pad < 12 && pad <= len - 2) {
          for (let i = 0; i < pad; i++) text[len - 2 - pad + i] = i + 1;
          text[len - 2] = pad;
          text[len - 1] = nh;
          if (len - 2 - pad > 0 && nh !== 59) text[0] = nh === 41 ? 0x60 : 0x45;
        }
        return { suite: s2, text };
      });
    }));
    target(`ESP [${path}]: validly sealed ESP with arbitrary trailers gets RFC 4303's verdict`, [texts], ({ suite: s, text }) => {
      const { tx, rx } = pair(s, path, 'trailers', true);
      const textOff = ESP_HEADER_LENGTH + s.ivLength;
      const buf = Buffer.alloc(textOff + text.length + s.icvLength);
      buf.writeUInt32BE(SPI, 0);
      buf.writeUInt32BE(++seq, 4);
      buf.fill(0x3c, ESP_HEADER_LENGTH, textOff);
      text.copy(buf, textOff);
      tx.cipher.seal(buf, 0, text.length);
      const span = createPacketSpan();
      const want = verdict(text);
      expect(decapsulate(rx, buf, 0, buf.length, span)).toBe(want.status);
      if (want.status === EspStatus.OK) same(buf.subarray(span.offset, span.offset + span.length), want.inner);
      return espStatusName(want.status as EspStatus);
    });
  });
}
