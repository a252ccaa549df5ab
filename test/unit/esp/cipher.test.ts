import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEspCipher } from '../../../src/crypto/esp-cipher.js';
import { OpenResult } from '../../../src/crypto/esp-suite.js';
import { RandomPool } from '../../../src/crypto/esp-random-pool.js';
import { ESP_HEADROOM, EspStatus } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import { ALL_COMBOS, bufferWith, innerPacket, saPair, suiteOf } from './fixtures.js';

describe('RandomPool', () => {
  it('hands out fresh bytes across refills', () => {
    const pool = new RandomPool(40); // forces a refill every two 16-byte IVs
    const seen = new Set<string>();
    const dst = Buffer.alloc(20);
    for (let i = 0; i < 100; i++) {
      pool.fill(dst, 2, 16);
      seen.add(dst.subarray(2, 18).toString('hex'));
    }
    expect(seen.size).toBe(100);
    expect(dst.readUInt16BE(0)).toBe(0); // writes only where asked
    expect(dst.readUInt16BE(18)).toBe(0);
  });
});

describe('createEspCipher', () => {
  it('rejects keys the cipher cannot take when the SA is made, not on the first packet', () => {
    const base = { salt: Buffer.alloc(0), hash: null, authKey: Buffer.alloc(0), icvLength: 0 } as const;
    expect(() => createEspCipher({ ...base, cipher: 'aes-cbc', encKey: Buffer.alloc(15), ivLength: 16 })).toThrow();
    expect(() => createEspCipher({ ...base, cipher: 'aes-gcm', encKey: Buffer.alloc(16), ivLength: 8, icvLength: 16 })).toThrow(
      /salt/,
    );
  });

  it('reports a text that is not whole blocks as a decrypt failure, without throwing', () => {
    const c = createEspCipher({
      cipher: 'aes-cbc',
      encKey: Buffer.alloc(16, 1),
      salt: Buffer.alloc(0),
      hash: null,
      authKey: Buffer.alloc(0),
      icvLength: 0,
      ivLength: 16,
    });
    expect(c.open(Buffer.alloc(8 + 16 + 17), 0, 17)).toBe(OpenResult.DECRYPT_FAILED);
  });
});

describe('decapsulate on hostile input', () => {
  const authenticated = ALL_COMBOS.filter((c) => suiteOf(c).icvLength > 0);

  it('never throws and never accepts random bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...authenticated),
        fc.uint8Array({ maxLength: 300 }),
        fc.integer({ min: 0, max: 20 }),
        (combo, bytes, off) => {
          const { rx } = saPair(combo);
          const buf = Buffer.concat([Buffer.alloc(off), Buffer.from(bytes)]);
          const status = decapsulate(rx, buf, off, bytes.length, createPacketSpan());
          return status !== EspStatus.OK && Object.values(EspStatus).includes(status);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects any single flipped bit of a valid packet', () => {
    fc.assert(
      fc.property(fc.constantFrom(...authenticated), fc.integer({ min: 0, max: 200 }), fc.nat(), (combo, size, pick) => {
        const { tx, rx } = saPair(combo);
        const buf = bufferWith(innerPacket(size, 4));
        const span = createPacketSpan();
        encapsulate(tx, buf, ESP_HEADROOM, size, span);
        const bit = pick % (span.length * 8);
        buf[span.offset + (bit >>> 3)]! ^= 1 << (bit & 7);
        return decapsulate(rx, buf, span.offset, span.length, span) !== EspStatus.OK;
      }),
      { numRuns: 500 },
    );
  });
});
