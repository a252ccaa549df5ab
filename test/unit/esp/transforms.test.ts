import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import {
  AuthAlgorithm,
  ESP_ENCRYPTION,
  ESP_INTEGRITY,
  EspTransformId,
  keymatLength,
  resolveEspSuite,
} from '../../../src/esp/transforms.js';

describe('ESP transform tables', () => {
  it('use the IPsec DOI numbers', () => {
    expect([EspTransformId['3DES'], EspTransformId.NULL, EspTransformId.AES, EspTransformId.AES_GCM_16]).toEqual([3, 11, 12, 20]);
    expect(Object.keys(ESP_ENCRYPTION).map(Number)).toEqual([3, 11, 12, 20]);
    expect([AuthAlgorithm.NONE, AuthAlgorithm.HMAC_MD5, AuthAlgorithm.HMAC_SHA, AuthAlgorithm.HMAC_SHA2_256]).toEqual([0, 1, 2, 5]);
    expect(Object.keys(ESP_INTEGRITY).map(Number)).toEqual([0, 1, 2, 5]);
    expect(ESP_ENCRYPTION[12].ivLength).toBe(16);
    expect(ESP_ENCRYPTION[3].blockSize).toBe(8);
    expect(ESP_INTEGRITY[5].icvLength).toBe(16);
  });

  it.each([
    // transform, key bits, auth, KEYMAT bytes, IV, ICV, pad alignment
    [EspTransformId['3DES'], undefined, AuthAlgorithm.HMAC_MD5, 24 + 16, 8, 12, 8],
    [EspTransformId['3DES'], 192, AuthAlgorithm.HMAC_SHA, 24 + 20, 8, 12, 8],
    [EspTransformId.AES, 128, AuthAlgorithm.HMAC_SHA, 16 + 20, 16, 12, 16],
    [EspTransformId.AES, 192, AuthAlgorithm.HMAC_MD5, 24 + 16, 16, 12, 16],
    [EspTransformId.AES, 256, AuthAlgorithm.HMAC_SHA2_256, 32 + 32, 16, 16, 16],
    [EspTransformId.AES, undefined, AuthAlgorithm.HMAC_SHA, 16 + 20, 16, 12, 16],
    [EspTransformId.NULL, undefined, AuthAlgorithm.HMAC_SHA, 20, 0, 12, 4],
    [EspTransformId.AES_GCM_16, 128, AuthAlgorithm.NONE, 16 + 4, 8, 16, 4],
    [EspTransformId.AES_GCM_16, 256, AuthAlgorithm.NONE, 32 + 4, 8, 16, 4],
  ])('transform %i, %s bits, auth %i: KEYMAT %i, IV %i, ICV %i, padding to %i', (t, bits, auth, km, iv, icv, align) => {
    const s = resolveEspSuite(t, bits, auth);
    expect(s.keymatLength).toBe(km);
    expect(keymatLength(t, bits, auth)).toBe(km);
    expect(s.ivLength).toBe(iv);
    expect(s.icvLength).toBe(icv);
    expect(s.padAlign).toBe(align);
  });

  it('names suites for logs', () => {
    expect(resolveEspSuite(12, 256, 2).name).toBe('AES-CBC-256/HMAC-SHA1-96');
    expect(resolveEspSuite(20, 128, 0).name).toBe('AES-GCM-16-128');
    expect(resolveEspSuite(3, undefined, 1).name).toBe('3DES-CBC/HMAC-MD5-96');
  });

  it('refuses unknown or meaningless combinations', () => {
    expect(() => resolveEspSuite(2, undefined, 1)).toThrow(ProtocolError); // single DES
    expect(() => resolveEspSuite(12, 128, 3)).toThrow(/authentication algorithm 3/);
    expect(() => resolveEspSuite(12, 100, 2)).toThrow(/key length/);
    expect(() => resolveEspSuite(3, 128, 2)).toThrow(/key length/);
    expect(() => resolveEspSuite(20, 128, 2)).toThrow(/must not be combined/);
    expect(() => resolveEspSuite(11, undefined, 0)).toThrow(/neither/);
  });
});
