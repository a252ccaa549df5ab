/**
 * SPIs and cookies (src/wire/sa-ids.ts): bytes <-> number round trips, the text forms logs and the status use,
 * and what the constructors refuse.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cookieHex, cookiePairBytes, cookiePairHex, copyCookie, formatCookiePair, formatSpi, isZeroCookie, randomCookie, randomSpi, readCookie, readSpi, sameCookie, spiFromBytes, spiFromNumber, spiHex, spiToBytes, zeroCookie } from '../../../src/wire/sa-ids.js';

describe('ESP SPIs', () => {
  it('bytes -> number -> bytes and number -> bytes -> number are identities, big-endian', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(spiToBytes(spiFromBytes(b))).toEqual(Buffer.from(b));
      }),
    );
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), (n) => {
        const spi = spiFromNumber(n);
        expect(spiFromBytes(spiToBytes(spi))).toBe(n);
        expect(readSpi(spiToBytes(spi), 0)).toBe(n);
      }),
    );
    expect(spiFromBytes(Buffer.from('1a2b3c4d', 'hex'))).toBe(0x1a2b3c4d);
    expect(spiFromBytes(Buffer.from('ffffffff', 'hex'))).toBe(0xffffffff); // unsigned, not -1
  });

  it('readSpi reads at an offset; past the end it throws', () => {
    const packet = Buffer.from('00ff0000c0de0000', 'hex');
    expect(readSpi(packet, 2)).toBe(0x0000c0de);
    expect(() => readSpi(packet, 5)).toThrow(RangeError);
  });

  it('formats as 0x and 8 hex digits (spiHex without the prefix)', () => {
    expect(formatSpi(spiFromNumber(0x1a2b3c4d))).toBe('0x1a2b3c4d');
    expect(formatSpi(spiFromNumber(0x99))).toBe('0x00000099');
    expect(spiHex(spiFromNumber(0xcafe0001))).toBe('cafe0001');
  });

  it('refuses bytes of another length and numbers that are no unsigned 32-bit integer', () => {
    for (const n of [0, 3, 5, 16]) expect(() => spiFromBytes(Buffer.alloc(n))).toThrow(/an ESP SPI has 4 bytes, not \d+/);
    for (const n of [-1, 2 ** 32, 1.5, Number.NaN, Infinity]) expect(() => spiFromNumber(n)).toThrow(RangeError);
    expect(spiFromNumber(0)).toBe(0);
  });

  it('randomSpi: never a reserved SPI below 256, not repeated; draws again after a reserved one', () => {
    const spis = Array.from({ length: 200 }, () => randomSpi());
    expect(spis.every((s) => s >= 256 && s <= 0xffffffff)).toBe(true);
    expect(new Set(spis).size).toBe(200);
    const draws = [Buffer.from('000000ff', 'hex'), Buffer.from('00000100', 'hex')];
    expect(randomSpi(() => draws.shift()!)).toBe(0x100);
    expect(draws).toEqual([]);
  });
});

describe('ISAKMP cookies', () => {
  const i = copyCookie(Buffer.from('0102030405060708', 'hex'));
  const r = copyCookie(Buffer.from('a1a2a3a4a5a6a7a8', 'hex'));

  it('copyCookie copies; readCookie is a view of the datagram', () => {
    const datagram = Buffer.concat([i, r]);
    const copied = copyCookie(datagram.subarray(0, 8));
    const view = readCookie(datagram, 8);
    datagram[0] = 0xff;
    datagram[8] = 0xff;
    expect(cookieHex(copied)).toBe('0102030405060708');
    expect(cookieHex(view)).toBe('ffa2a3a4a5a6a7a8');
  });

  it('the pair as the ISAKMP SPI (16 bytes), as the map key, and as logs show it', () => {
    expect(cookiePairBytes(i, r).toString('hex')).toBe('0102030405060708a1a2a3a4a5a6a7a8');
    expect(cookiePairHex(i, r)).toBe('0102030405060708a1a2a3a4a5a6a7a8');
    expect(formatCookiePair(i, r)).toBe('0102030405060708/a1a2a3a4a5a6a7a8');
  });

  it('compares by value; the zero cookie is the responder cookie of a first message', () => {
    expect(sameCookie(i, copyCookie(i))).toBe(true);
    expect(sameCookie(i, r)).toBe(false);
    expect(isZeroCookie(zeroCookie())).toBe(true);
    expect(isZeroCookie(copyCookie(Buffer.from('0000000000000001', 'hex')))).toBe(false);
    expect(zeroCookie()).not.toBe(zeroCookie()); // a fresh buffer each time: no shared one to scribble on
  });

  it('randomCookie draws 8 bytes from the source given', () => {
    const asked: number[] = [];
    const c = randomCookie((n) => (asked.push(n), Buffer.alloc(n, 0x5a)));
    expect([asked, cookieHex(c)]).toEqual([[8], '5a5a5a5a5a5a5a5a']);
    expect(randomCookie().length).toBe(8);
  });

  it('refuses anything but 8 bytes', () => {
    for (const n of [0, 7, 9, 16]) expect(() => copyCookie(Buffer.alloc(n))).toThrow(/an ISAKMP cookie has 8 bytes, not \d+/);
    expect(() => readCookie(Buffer.alloc(12), 8)).toThrow(RangeError);
    expect(() => randomCookie((n) => Buffer.alloc(n - 1))).toThrow(RangeError);
  });
});
