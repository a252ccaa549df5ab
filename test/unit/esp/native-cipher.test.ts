/**
 * The native ESP seal/open (src/crypto/esp-native.ts over native/esp_crypto.cc) tested pairwise against the
 * node:crypto one (createJsEspCipher): same bytes for the same IV, each opens what the other seals, forged
 * packets are refused and left as they were, and the RFC 3602 / draft-mcgrew-gcm-test-01 packets come out of
 * the native path exactly. The addon is built into this tree (`npm rebuild`), so its absence is a failure.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createEspCipher, createJsEspCipher } from '../../../src/crypto/esp-cipher.js';
import { OpenResult, type EspCipher, type EspCipherParams, type EspHashAlgorithm } from '../../../src/crypto/esp-suite.js';
import {
  createNativeEspCipher,
  NO_NATIVE_CRYPTO_ENV,
  nativeCryptoDisabled,
  nativeEspCryptoVersion,
  nativeSupports,
} from '../../../src/crypto/esp-native.js';
import { hex } from './fixtures.js';

const HMAC: Record<EspHashAlgorithm, { keyLength: number; icvLength: number }> = {
  md5: { keyLength: 16, icvLength: 12 },
  sha1: { keyLength: 20, icvLength: 12 },
  sha256: { keyLength: 32, icvLength: 16 },
};

/** Bytes that differ per seed, so no two keys or texts coincide. */
function bytes(length: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length }, (_, i) => (i * 29 + seed * 71 + 13) & 0xff));
}

function cbcParams(keyBytes: number, hash: EspHashAlgorithm | null): EspCipherParams {
  return {
    cipher: 'aes-cbc',
    encKey: bytes(keyBytes, 1),
    salt: Buffer.alloc(0),
    hash,
    authKey: hash === null ? Buffer.alloc(0) : bytes(HMAC[hash].keyLength, 2),
    icvLength: hash === null ? 0 : HMAC[hash].icvLength,
    ivLength: 16,
    ivMode: 'as-given',
  };
}

function gcmParams(keyBytes: number): EspCipherParams {
  return {
    cipher: 'aes-gcm',
    encKey: bytes(keyBytes, 3),
    salt: bytes(4, 4),
    hash: null,
    authKey: Buffer.alloc(0),
    icvLength: 16,
    ivLength: 8,
  };
}

const TRANSFORMS: [string, EspCipherParams][] = [
  ...[16, 24, 32].flatMap((k) =>
    ([null, 'md5', 'sha1', 'sha256'] as const).map(
      (h): [string, EspCipherParams] => [`aes${k * 8}-cbc/${h ?? 'none'}`, cbcParams(k, h)],
    ),
  ),
  ...[16, 24, 32].map((k): [string, EspCipherParams] => [`aes${k * 8}-gcm-16`, gcmParams(k)]),
];

/** Text lengths to try: whole blocks for CBC, anything for GCM. */
function textLengths(p: EspCipherParams): number[] {
  return p.cipher === 'aes-cbc' ? [16, 64, 512, 1408, 4096] : [1, 15, 64, 513, 1400, 4099];
}

/** The native cipher; the addon in this tree must provide it. */
function native(p: EspCipherParams): EspCipher {
  const c = createNativeEspCipher(p);
  if (c === null) throw new Error('the addon has no native ESP crypto: run `npm rebuild`');
  return c;
}

/** An ESP packet at offset `at` of a larger buffer: SPI, seq, IV, text, zeroed ICV room, some slack after. */
function packet(p: EspCipherParams, textLength: number, seed: number, at = 0): Buffer {
  const buf = Buffer.alloc(at + 8 + p.ivLength + textLength + p.icvLength + 5, 0xee);
  buf.writeUInt32BE((0xc0ffee00 + seed) >>> 0, at);
  buf.writeUInt32BE((seed + 1) >>> 0, at + 4);
  bytes(p.ivLength, seed + 100).copy(buf, at + 8);
  bytes(textLength, seed).copy(buf, at + 8 + p.ivLength);
  buf.fill(0, at + 8 + p.ivLength + textLength, at + 8 + p.ivLength + textLength + p.icvLength);
  return buf;
}

describe('the native ESP path is there', () => {
  it("runs on Node's own OpenSSL", () => {
    expect(nativeEspCryptoVersion()).toContain(`OpenSSL ${process.versions.openssl.replace(/\+.*$/, '')}`);
  });

  it('covers AES-CBC and AES-GCM and leaves 3DES and NULL to node:crypto', () => {
    for (const [, p] of TRANSFORMS) expect(nativeSupports(p)).toBe(true);
    const tdes = { ...cbcParams(16, 'sha1'), cipher: 'des-ede3-cbc', encKey: bytes(24, 1), ivLength: 8 } as const;
    const nul = { ...cbcParams(16, 'sha1'), cipher: 'null', encKey: Buffer.alloc(0), ivLength: 0 } as const;
    expect(createNativeEspCipher(tdes)).toBeNull();
    expect(createNativeEspCipher(nul)).toBeNull();
  });

  it('refuses keys and lengths the transform cannot take when the SA is made', () => {
    expect(() => native({ ...cbcParams(16, 'sha1'), encKey: Buffer.alloc(15) })).toThrow(RangeError);
    expect(() => native({ ...cbcParams(16, 'sha1'), icvLength: 21 })).toThrow(/longer than the HMAC/);
    expect(() => native({ ...gcmParams(16), salt: Buffer.alloc(3) })).toThrow(/salt/);
    expect(() => native({ ...gcmParams(16), icvLength: 12 })).toThrow(/16-byte ICV/);
  });
});

describe.each(TRANSFORMS)('native and node:crypto agree, %s', (_name, p) => {
  it('native seal == JS seal byte for byte for the same IV, at offset 0 and inside a buffer', () => {
    const n = native(p);
    const js = createJsEspCipher(p);
    for (const len of textLengths(p)) {
      for (const at of [0, 37]) {
        const a = packet(p, len, len + at, at);
        const b = Buffer.from(a);
        n.seal(a, at, len);
        js.seal(b, at, len);
        expect(a.toString('hex')).toBe(b.toString('hex'));
        expect(a.subarray(at + 8 + p.ivLength, at + 8 + p.ivLength + len).equals(bytes(len, len + at))).toBe(false);
      }
    }
  });

  it('native seal -> JS open, and JS seal -> native open, give the plaintext back', () => {
    const n = native(p);
    const js = createJsEspCipher(p);
    // The JS sealer that SAs use by default whitens CBC IVs; the native opener must read those packets too.
    const jsDefault = createJsEspCipher({ ...p, ivMode: 'whitened' });
    for (const len of textLengths(p)) {
      const plain = bytes(len, len);
      for (const [seal, open] of [
        [n, js],
        [js, n],
        [jsDefault, n],
        [n, n],
      ] as const) {
        const buf = packet(p, len, len);
        seal.seal(buf, 0, len);
        expect(open.open(buf, 0, len)).toBe(OpenResult.OK);
        expect(buf.subarray(8 + p.ivLength, 8 + p.ivLength + len).equals(plain)).toBe(true);
      }
    }
  });

  it('a flipped bit in header, IV, text or ICV is BAD_ICV and leaves the packet as it was', () => {
    if (p.icvLength === 0) return void expect(p.hash).toBeNull(); // encryption-only: nothing to verify
    const n = native(p);
    const len = p.cipher === 'aes-cbc' ? 64 : 61;
    const sealed = packet(p, len, 9);
    n.seal(sealed, 0, len);
    const end = 8 + p.ivLength + len + p.icvLength;
    for (const at of [0, 5, 8, 8 + p.ivLength, 8 + p.ivLength + len - 1, end - p.icvLength, end - 1]) {
      const forged = Buffer.from(sealed);
      forged[at]! ^= 0x01;
      const before = Buffer.from(forged);
      expect(n.open(forged, 0, len)).toBe(OpenResult.BAD_ICV);
      expect(forged.equals(before)).toBe(true);
    }
    expect(n.open(Buffer.from(sealed), 0, len)).toBe(OpenResult.OK);
  });

  it('agrees with node:crypto on arbitrary texts and IVs (property)', () => {
    const n = native(p);
    const js = createJsEspCipher(p);
    const block = p.cipher === 'aes-cbc' ? 16 : 1;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.uint8Array({ minLength: p.ivLength, maxLength: p.ivLength }),
        fc.nat({ max: 0xffff }),
        (units, iv, seed) => {
          const len = units * block;
          const a = packet(p, len, seed);
          Buffer.from(iv).copy(a, 8);
          const b = Buffer.from(a);
          n.seal(a, 0, len);
          js.seal(b, 0, len);
          return a.equals(b) && js.open(a, 0, len) === OpenResult.OK && n.open(b, 0, len) === OpenResult.OK;
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('native calls outside the packet', () => {
  const p = cbcParams(16, 'sha1');

  it('seal throws RangeError for a text past the buffer or not whole blocks, as the JS path does', () => {
    const n = native(p);
    expect(() => n.seal(Buffer.alloc(8 + 16 + 32 + 11), 0, 32)).toThrow(/do not fit/);
    expect(() => n.seal(Buffer.alloc(100), -1, 16)).toThrow(RangeError);
    expect(() => n.seal(Buffer.alloc(100), 0, 17)).toThrow(/not whole cipher blocks/);
    expect(() => native(gcmParams(16)).seal(Buffer.alloc(8 + 8 + 10 + 15), 0, 10)).toThrow(RangeError);
  });

  it('open never throws: short buffers are BAD_ICV, partial blocks with a valid ICV DECRYPT_FAILED', () => {
    const n = native(p);
    const js = createJsEspCipher(p);
    expect(n.open(Buffer.alloc(20), 0, 16)).toBe(OpenResult.BAD_ICV);
    expect(n.open(Buffer.alloc(100), 99, 16)).toBe(OpenResult.BAD_ICV);
    expect(native(gcmParams(32)).open(Buffer.alloc(40), 0, 17)).toBe(OpenResult.BAD_ICV);
    // A 17-byte "text" whose HMAC is right: both paths refuse to decrypt it, after the ICV check.
    const buf = packet(p, 17, 3);
    const noCipher = createJsEspCipher({ ...p, cipher: 'null', encKey: Buffer.alloc(0), ivLength: 16 });
    noCipher.seal(buf, 0, 17);
    expect(n.open(Buffer.from(buf), 0, 17)).toBe(OpenResult.DECRYPT_FAILED);
    expect(js.open(Buffer.from(buf), 0, 17)).toBe(OpenResult.DECRYPT_FAILED);
  });
});

describe(`createEspCipher and ${NO_NATIVE_CRYPTO_ENV}`, () => {
  const saved = process.env[NO_NATIVE_CRYPTO_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[NO_NATIVE_CRYPTO_ENV];
    else process.env[NO_NATIVE_CRYPTO_ENV] = saved;
  });

  /** True if `c` sealed with the IV bytes it found (native), false if it whitened them (node:crypto default). */
  function keepsIv(c: EspCipher): boolean {
    const p = cbcParams(32, 'sha1');
    const buf = packet(p, 32, 1);
    const r = Buffer.from(buf.subarray(8, 24));
    c.seal(buf, 0, 32);
    return buf.subarray(8, 24).equals(r);
  }

  it('reads only the value 1 as "off"', () => {
    expect(nativeCryptoDisabled({ [NO_NATIVE_CRYPTO_ENV]: '1' })).toBe(true);
    expect(nativeCryptoDisabled({ [NO_NATIVE_CRYPTO_ENV]: '0' })).toBe(false);
    expect(nativeCryptoDisabled({})).toBe(false);
  });

  it('picks the native path by default and node:crypto when the variable is 1', () => {
    const p: EspCipherParams = { ...cbcParams(32, 'sha1'), ivMode: 'whitened' };
    delete process.env[NO_NATIVE_CRYPTO_ENV];
    expect(keepsIv(createEspCipher(p))).toBe(true);
    process.env[NO_NATIVE_CRYPTO_ENV] = '1';
    expect(keepsIv(createEspCipher(p))).toBe(false);
  });
});

describe('known-answer packets through the native path', () => {
  interface CbcCase {
    name: string;
    key: string;
    iv: string;
    esp: string;
    payload: string;
    padLength: number;
    nextHeader: number;
  }
  interface GcmCase {
    name: string;
    keymat: string;
    esp: string;
    text: string;
  }
  const load = <T>(file: string): T[] =>
    (JSON.parse(readFileSync(new URL(`../../vectors/${file}`, import.meta.url), 'utf8')) as { cases: T[] }).cases;

  for (const c of load<CbcCase>('esp-rfc3602.json')) {
    it(`RFC 3602 ${c.name}: seal gives the printed packet, open the printed payload`, () => {
      const n = native({ ...cbcParams(16, null), encKey: hex(c.key) });
      const esp = hex(c.esp);
      const pad = Buffer.from(Array.from({ length: c.padLength }, (_, i) => i + 1));
      const plain = Buffer.concat([hex(c.payload), pad, Buffer.from([c.padLength, c.nextHeader])]);
      const buf = Buffer.concat([esp.subarray(0, 8), hex(c.iv), plain]);
      n.seal(buf, 0, plain.length);
      expect(buf.toString('hex')).toBe(esp.toString('hex'));
      expect(n.open(buf, 0, plain.length)).toBe(OpenResult.OK);
      expect(buf.subarray(24).equals(plain)).toBe(true);
    });
  }

  for (const c of load<GcmCase>('esp-gcm-mcgrew.json')) {
    it(`draft-mcgrew-gcm-test-01 ${c.name}: seal gives the printed packet, open the printed text`, () => {
      const keymat = hex(c.keymat);
      const n = native({ ...gcmParams(keymat.length - 4), encKey: keymat.subarray(0, -4), salt: keymat.subarray(-4) });
      const esp = hex(c.esp);
      const text = hex(c.text);
      const buf = Buffer.concat([esp.subarray(0, 16), text, Buffer.alloc(16)]);
      n.seal(buf, 0, text.length);
      expect(buf.toString('hex')).toBe(esp.toString('hex'));
      expect(n.open(buf, 0, text.length)).toBe(OpenResult.OK);
      expect(buf.subarray(16, 16 + text.length).equals(text)).toBe(true);
    });
  }
});
