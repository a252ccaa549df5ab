/**
 * The tunnel MTU arithmetic (innerMtu) for every transform and encapsulation, held against what the ESP
 * code really produces: an inner packet of innerMtu bytes seals to an outer packet that fits the path, one
 * byte more does not.
 */
import { describe, expect, it } from 'vitest';
import { ESP_HEADROOM, ESP_TAILROOM, EspStatus } from '../../../src/esp/constants.js';
import { Encapsulation, innerMtu, outerLength } from '../../../src/esp/overhead.js';
import { createPacketSpan, encapsulate } from '../../../src/esp/packet.js';
import { EspSa } from '../../../src/esp/sa.js';
import { resolveEspSuite, type EspSuite } from '../../../src/esp/transforms.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';

/** [transform id, key bits, auth algorithm] for every suite the client can negotiate. */
const SUITES: ReadonlyArray<[number, number | undefined, number]> = [
  [12, 128, 1], [12, 128, 2], [12, 128, 5], [12, 192, 2], [12, 256, 1], [12, 256, 2], [12, 256, 5],
  [3, undefined, 1], [3, undefined, 2], [3, undefined, 5],
  [11, undefined, 1], [11, undefined, 2], [11, undefined, 5],
  [20, 128, 0], [20, 192, 0], [20, 256, 0],
];
const ENCAPSULATIONS = Object.keys(Encapsulation) as Encapsulation[];

/** The outer packet length as the data path builds it: the sealed ESP span plus IPv4 and the encapsulation. */
function sealedOuterLength(suite: EspSuite, inner: number, encapsulation: Encapsulation): number {
  const sa = EspSa.fromKeymat(spiFromNumber(0x1000), suite, Buffer.alloc(suite.keymatLength, 3));
  const buf = Buffer.alloc(ESP_HEADROOM + inner + ESP_TAILROOM);
  buf[ESP_HEADROOM] = 0x45;
  const span = createPacketSpan();
  expect(encapsulate(sa, buf, ESP_HEADROOM, inner, span)).toBe(EspStatus.OK);
  return 20 + Encapsulation[encapsulation] + span.length;
}

describe('innerMtu', () => {
  it('worked examples: 1500 and 1300 bytes of path', () => {
    const aes = resolveEspSuite(12, 256, 2); // AES-CBC-256/HMAC-SHA1-96
    expect(innerMtu(1500, aes, 'raw')).toBe(1438);
    expect(innerMtu(1500, aes, 'udp')).toBe(1422);
    expect(innerMtu(1500, aes, 'draft')).toBe(1422);
    expect(innerMtu(1300, aes, 'udp')).toBe(1230);
    const gcm = resolveEspSuite(20, 128, 0); // AES-GCM-16, 8-byte IV, 16-byte ICV, 4-byte alignment
    expect(innerMtu(1500, gcm, 'raw')).toBe(1446);
    const tdes = resolveEspSuite(3, undefined, 1); // 3DES/HMAC-MD5-96
    expect(innerMtu(1500, tdes, 'raw')).toBe(1446);
  });

  for (const [t, bits, auth] of SUITES) {
    const suite = resolveEspSuite(t, bits, auth);
    it(`${suite.name}: the largest inner packet that fits, checked by sealing, for every encapsulation`, () => {
      for (const encapsulation of ENCAPSULATIONS) {
        for (const path of [576, 1280, 1300, 1399, 1400, 1492, 1500, 9000]) {
          const m = innerMtu(path, suite, encapsulation);
          expect(sealedOuterLength(suite, m, encapsulation), `${encapsulation} ${path}`).toBeLessThanOrEqual(path);
          expect(sealedOuterLength(suite, m + 1, encapsulation), `${encapsulation} ${path}`).toBeGreaterThan(path);
          expect(outerLength(m, suite, encapsulation)).toBe(sealedOuterLength(suite, m, encapsulation));
        }
      }
    });
  }

  it('a path too small for any packet gives no MTU, never a negative one', () => {
    const aes = resolveEspSuite(12, 256, 2);
    expect(innerMtu(40, aes, 'udp')).toBe(0);
    expect(innerMtu(0, aes, 'raw')).toBe(0);
  });
});
