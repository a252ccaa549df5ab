import { describe, expect, it } from 'vitest';
import { ESP_HEADROOM, ESP_SEQ_MAX, ESP_TAILROOM, EspStatus, espStatusName } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate, espPacketLength, paddingLength } from '../../../src/esp/packet.js';
import { EspSa } from '../../../src/esp/sa.js';
import { AuthAlgorithm, EspTransformId } from '../../../src/esp/transforms.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { ALL_COMBOS, bufferWith, innerPacket, saPair, suiteOf, testKeymat, type Combo } from './fixtures.js';

const AES_SHA1: Combo = { transformId: EspTransformId.AES, keyBits: 128, auth: AuthAlgorithm.HMAC_SHA };
const GCM128: Combo = { transformId: EspTransformId.AES_GCM_16, keyBits: 128, auth: AuthAlgorithm.NONE };

/** Encapsulate `inner` with tx; return the buffer and the ESP span. */
function seal(tx: EspSa, inner: Buffer): { buf: Buffer; off: number; len: number } {
  const buf = bufferWith(inner);
  const span = createPacketSpan();
  expect(encapsulate(tx, buf, ESP_HEADROOM, inner.length, span)).toBe(EspStatus.OK);
  return { buf, off: span.offset, len: span.length };
}

function comboName(c: Combo): string {
  return suiteOf(c).name;
}

describe('encapsulate/decapsulate round trip', () => {
  for (const combo of ALL_COMBOS) {
    it(`${comboName(combo)}: every size 0..1500, IPv4 and IPv6`, () => {
      const { tx, rx } = saPair(combo);
      const suite = tx.suite;
      const span = createPacketSpan();
      let expectSeq = 1;
      for (let size = 0; size <= 1500; size++) {
        for (const version of [4, 6] as const) {
          if (size === 0 && version === 6) continue;
          const inner = innerPacket(size, version, size);
          const buf = bufferWith(inner);
          expect(encapsulate(tx, buf, ESP_HEADROOM, size, span)).toBe(EspStatus.OK);
          const espOff = span.offset;
          expect(espOff).toBe(ESP_HEADROOM - 8 - suite.ivLength);
          expect(span.length).toBe(espPacketLength(suite, size));
          expect((span.length - 8 - suite.ivLength - suite.icvLength) % suite.padAlign).toBe(0);
          expect(buf.readUInt32BE(espOff)).toBe(0x1234abcd);
          expect(buf.readUInt32BE(espOff + 4)).toBe(expectSeq++);
          if (suite.cipher !== 'null' && size >= 16) {
            expect(buf.subarray(ESP_HEADROOM, ESP_HEADROOM + 16).equals(inner.subarray(0, 16))).toBe(false);
          }
          expect(decapsulate(rx, buf, espOff, span.length, span)).toBe(EspStatus.OK);
          expect(span.offset).toBe(ESP_HEADROOM);
          expect(buf.subarray(span.offset, span.offset + span.length).equals(inner)).toBe(true);
        }
      }
      expect(rx.counters.packets).toBe(3001);
      expect(rx.counters.bytes).toBe(2 * ((1500 * 1501) / 2));
      expect(tx.counters.packets).toBe(3001);
      expect(rx.replay.highest).toBe(3001);
      expect(Object.values(rx.counters.drops).every((n) => n === 0)).toBe(true);
    });
  }
});

describe('encapsulate framing', () => {
  it('pads with 1, 2, 3... to the cipher block (at least 4) and writes pad length and next header', () => {
    expect(paddingLength(0, 4)).toBe(2);
    expect(paddingLength(2, 4)).toBe(0);
    expect(paddingLength(84, 16)).toBe(10);
    expect(paddingLength(15, 16)).toBe(15);
    expect(paddingLength(63, 8)).toBe(7);
    // NULL cipher leaves the trailer readable on the wire.
    const { tx } = saPair({ transformId: EspTransformId.NULL, keyBits: undefined, auth: AuthAlgorithm.HMAC_SHA });
    const inner = innerPacket(19, 6); // 19 + 2 = 21: three bytes of padding to 24
    const { buf, off, len } = seal(tx, inner);
    const trailer = buf.subarray(off + 8 + 19, off + len - 12);
    expect([...trailer]).toEqual([1, 2, 3, 3, 41]);
  });

  it('fits in ESP_HEADROOM/ESP_TAILROOM with room for outer IPv4 + UDP + an 8-byte marker', () => {
    for (const combo of ALL_COMBOS) {
      const suite = suiteOf(combo);
      const worstTail = espPacketLength(suite, 1501) - 8 - suite.ivLength - 1501; // 1501: most padding for AES
      expect(8 + suite.ivLength + 20 + 8 + 8).toBeLessThanOrEqual(ESP_HEADROOM);
      expect(worstTail).toBeLessThanOrEqual(ESP_TAILROOM);
    }
  });

  it('uses a fresh random IV for CBC and the sequence number as the AES-GCM IV', () => {
    const { tx } = saPair(AES_SHA1);
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const { buf, off } = seal(tx, innerPacket(40, 4));
      ivs.add(buf.subarray(off + 8, off + 24).toString('hex'));
    }
    expect(ivs.size).toBe(200);
    const gcm = saPair(GCM128).tx;
    gcm.nextSeq = 0xfedcba98;
    const { buf, off } = seal(gcm, innerPacket(40, 4));
    expect(buf.subarray(off + 8, off + 16).toString('hex')).toBe('00000000fedcba98');
  });

  it('turns an empty inner packet into a dummy packet (next header 59) that decapsulates to length 0', () => {
    const { tx, rx } = saPair(AES_SHA1);
    const { buf, off, len } = seal(tx, Buffer.alloc(0));
    const span = createPacketSpan();
    expect(decapsulate(rx, buf, off, len, span)).toBe(EspStatus.OK);
    expect(span.length).toBe(0);
  });

  it('refuses a packet that is neither IPv4 nor IPv6', () => {
    const { tx } = saPair(AES_SHA1);
    const buf = bufferWith(Buffer.from([0x55, 1, 2, 3]));
    expect(encapsulate(tx, buf, ESP_HEADROOM, 4, createPacketSpan())).toBe(EspStatus.UNKNOWN_NEXT_HEADER);
    expect(tx.counters.drops.unknownNextHeader).toBe(1);
    expect(tx.nextSeq).toBe(1);
  });

  it('refuses a buffer without headroom or tailroom', () => {
    const { tx } = saPair(AES_SHA1);
    const span = createPacketSpan();
    const noHead = Buffer.alloc(200, 0x45);
    expect(encapsulate(tx, noHead, 8, 100, span)).toBe(EspStatus.NO_ROOM);
    expect(encapsulate(tx, noHead, ESP_HEADROOM, 200 - ESP_HEADROOM, span)).toBe(EspStatus.NO_ROOM);
    expect(tx.counters.drops.noRoom).toBe(2);
    expect(tx.nextSeq).toBe(1);
  });

  it('stops at sequence number 2^32-1: the SA must be replaced, never cycled', () => {
    const { tx, rx } = saPair(AES_SHA1);
    tx.nextSeq = ESP_SEQ_MAX;
    const { buf, off, len } = seal(tx, innerPacket(60, 4));
    expect(buf.readUInt32BE(off + 4)).toBe(ESP_SEQ_MAX);
    expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.OK);
    const again = bufferWith(innerPacket(60, 4));
    expect(encapsulate(tx, again, ESP_HEADROOM, 60, createPacketSpan())).toBe(EspStatus.SEQUENCE_EXHAUSTED);
    expect(tx.counters.drops.sequenceExhausted).toBe(1);
  });
});

describe('decapsulate drops', () => {
  const combos: Combo[] = [
    AES_SHA1,
    { transformId: EspTransformId['3DES'], keyBits: undefined, auth: AuthAlgorithm.HMAC_MD5 },
    { transformId: EspTransformId.AES, keyBits: 256, auth: AuthAlgorithm.HMAC_SHA2_256 },
    { transformId: EspTransformId.NULL, keyBits: undefined, auth: AuthAlgorithm.HMAC_SHA },
    GCM128,
  ];
  for (const combo of combos) {
    describe(comboName(combo), () => {
      const tamperAt: Array<[string, (off: number, len: number, ivLen: number) => number]> = [
        ['SPI', (off) => off + 1],
        ['sequence number', (off) => off + 7],
        ['IV', (off) => off + 8],
        ['ciphertext', (off, _len, ivLen) => off + 8 + ivLen + 5],
        ['trailer', (off, len) => off + len - 17],
        ['ICV', (off, len) => off + len - 1],
      ];
      const hasIv = suiteOf(combo).ivLength > 0;
      for (const [what, where] of tamperAt.filter(([what]) => hasIv || what !== 'IV')) {
        it(`drops a packet with a flipped bit in the ${what} as bad ICV`, () => {
          const { tx, rx } = saPair(combo);
          const { buf, off, len } = seal(tx, innerPacket(100, 4));
          const at = where(off, len, tx.suite.ivLength);
          buf[at]! ^= 0x10;
          const before = Buffer.from(buf);
          expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.BAD_ICV);
          expect(buf.equals(before)).toBe(true); // nothing decrypted in place
          expect(rx.counters.drops.badIcv).toBe(1);
          expect(rx.replay.highest).toBe(0);
          // The untampered packet still gets through: a forgery did not move the window.
          buf[at]! ^= 0x10;
          expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.OK);
        });
      }

      it('drops truncated packets: misaligned as bad length, block-aligned as bad ICV', () => {
        const { tx, rx } = saPair(combo);
        const { buf, off, len } = seal(tx, innerPacket(100, 4));
        const suite = tx.suite;
        const span = createPacketSpan();
        if (suite.blockSize > 1) {
          expect(decapsulate(rx, buf, off, len - 1, span)).toBe(EspStatus.BAD_LENGTH);
        }
        expect(decapsulate(rx, buf, off, len - suite.padAlign * 4, span)).toBe(EspStatus.BAD_ICV);
        expect(decapsulate(rx, buf, off, 8 + suite.ivLength + suite.icvLength + 1, span)).toBe(EspStatus.BAD_LENGTH);
        expect(decapsulate(rx, buf, off, 7, span)).toBe(EspStatus.BAD_LENGTH);
        expect(decapsulate(rx, buf, off, 0, span)).toBe(EspStatus.BAD_LENGTH);
        expect(decapsulate(rx, buf, off, buf.length, span)).toBe(EspStatus.BAD_LENGTH); // past the buffer end
        expect(rx.counters.drops.badLength).toBe(suite.blockSize > 1 ? 5 : 4);
        expect(decapsulate(rx, buf, off, len, span)).toBe(EspStatus.OK);
      });

      it('drops a replayed packet before touching the ICV', () => {
        const { tx, rx } = saPair(combo);
        const { buf, off, len } = seal(tx, innerPacket(64, 6));
        const copy = Buffer.from(buf);
        expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.OK);
        expect(decapsulate(rx, copy, off, len, createPacketSpan())).toBe(EspStatus.REPLAY);
        copy[off + len - 1]! ^= 1; // a replay with a bad ICV still counts as replay: the cheap check runs first
        expect(decapsulate(rx, copy, off, len, createPacketSpan())).toBe(EspStatus.REPLAY);
        expect(rx.counters.drops.replay).toBe(2);
        expect(rx.counters.drops.badIcv).toBe(0);
      });

      it('drops sequence number 0 as replay', () => {
        const { tx, rx } = saPair(combo);
        tx.nextSeq = 0;
        const { buf, off, len } = seal(tx, innerPacket(64, 4));
        expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.REPLAY);
      });
    });
  }

  it('accepts packets out of order within the window', () => {
    const { tx, rx } = saPair(AES_SHA1);
    const packets = Array.from({ length: 50 }, (_, i) => seal(tx, innerPacket(80, 4, i)));
    const order = [...packets.keys()].reverse();
    for (const i of order) {
      const p = packets[i]!;
      expect(decapsulate(rx, p.buf, p.off, p.len, createPacketSpan())).toBe(EspStatus.OK);
    }
    expect(rx.replay.highest).toBe(50);
  });
});

describe('decapsulate checks what only a key holder can get wrong', () => {
  /** Build an ESP packet whose text is `text` (already padded), sealed with a valid ICV. */
  function forged(tx: EspSa, text: Buffer, seq: number): { buf: Buffer; off: number; len: number } {
    const suite = tx.suite;
    const len = 8 + suite.ivLength + text.length + suite.icvLength;
    const buf = Buffer.alloc(len);
    buf.writeUInt32BE(tx.spi, 0);
    buf.writeUInt32BE(seq, 4);
    buf.fill(0xa5, 8, 8 + suite.ivLength);
    text.copy(buf, 8 + suite.ivLength);
    tx.cipher.seal(buf, 0, text.length);
    return { buf, off: 0, len };
  }
  const inner = innerPacket(42, 4); // 42 + 2 = 44: 4 bytes of padding for AES

  for (const combo of [AES_SHA1, GCM128]) {
    it(`${comboName(combo)}: bad padding bytes with a valid ICV are dropped as bad padding`, () => {
      const { tx, rx } = saPair(combo);
      const align = tx.suite.padAlign;
      const pad = paddingLength(inner.length, align) + align; // also try one block of extra padding
      const good = Buffer.concat([inner, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1)), Buffer.from([pad, 4])]);
      const ok = forged(tx, good, 1);
      const span = createPacketSpan();
      expect(decapsulate(rx, ok.buf, ok.off, ok.len, span)).toBe(EspStatus.OK);
      expect(span.length).toBe(42);

      const badBytes = Buffer.from(good);
      badBytes[inner.length + 2] = 0; // third pad byte should be 3
      const p1 = forged(tx, badBytes, 2);
      expect(decapsulate(rx, p1.buf, p1.off, p1.len, span)).toBe(EspStatus.BAD_PADDING);

      const tooLong = Buffer.from(good);
      tooLong[tooLong.length - 2] = good.length - 1; // pad length beyond the text
      const p2 = forged(tx, tooLong, 3);
      expect(decapsulate(rx, p2.buf, p2.off, p2.len, span)).toBe(EspStatus.BAD_PADDING);
      expect(rx.counters.drops.badPadding).toBe(2);
      // Dropped after the ICV: the window did not move, so the same numbers are still acceptable.
      expect(rx.replay.check(2)).toBe(true);
    });

    it(`${comboName(combo)}: a next header that is not 4/41/59, or does not match the IP version, is dropped`, () => {
      const { tx, rx } = saPair(combo);
      const pad = paddingLength(inner.length, tx.suite.padAlign);
      const padding = Buffer.from(Array.from({ length: pad }, (_, i) => i + 1));
      const span = createPacketSpan();
      const cases: Array<[Buffer, number]> = [
        [inner, 17], // UDP: transport mode, not ours
        [inner, 41], // says IPv6, holds IPv4
        [innerPacket(42, 6), 4], // says IPv4, holds IPv6
      ];
      cases.forEach(([payload, nh], i) => {
        const p = forged(tx, Buffer.concat([payload, padding, Buffer.from([pad, nh])]), i + 1);
        expect(decapsulate(rx, p.buf, p.off, p.len, span)).toBe(EspStatus.UNKNOWN_NEXT_HEADER);
      });
      expect(rx.counters.drops.unknownNextHeader).toBe(3);
      expect(rx.replay.highest).toBe(0);
    });
  }

  it('an SA with other keys fails the ICV', () => {
    const { tx } = saPair(GCM128, 7, 'one');
    const { rx } = saPair(GCM128, 7, 'two');
    const { buf, off, len } = seal(tx, innerPacket(99, 4));
    expect(decapsulate(rx, buf, off, len, createPacketSpan())).toBe(EspStatus.BAD_ICV);
  });

  it('names every status', () => {
    for (const s of Object.values(EspStatus)) expect(espStatusName(s)).toMatch(/\w/);
  });

  it('builds SAs from KEYMAT: encryption key, salt, integrity key in that order', () => {
    const suite = suiteOf(GCM128);
    const keymat = testKeymat(suite.keymatLength);
    const sa = EspSa.fromKeymat(spiFromNumber(1), suite, keymat);
    expect(sa.keys.encryption.equals(keymat.subarray(0, 16))).toBe(true);
    expect(sa.keys.salt.equals(keymat.subarray(16, 20))).toBe(true);
    const cbc = suiteOf(AES_SHA1);
    const km2 = testKeymat(cbc.keymatLength);
    const sa2 = EspSa.fromKeymat(spiFromNumber(2), cbc, km2);
    expect(sa2.keys.integrity.equals(km2.subarray(16, 36))).toBe(true);
    expect(() => EspSa.fromKeymat(spiFromNumber(3), cbc, km2.subarray(0, 35))).toThrow(/KEYMAT/);
  });
});
