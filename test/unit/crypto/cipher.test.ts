import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CIPHER_SPEC,
  blockSize,
  cbcDecrypt,
  cbcEncrypt,
  isCipherName,
  keyLength,
  singleDesProvider,
  type CipherName,
} from '../../../src/crypto/cipher.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Known answers: RFC 3602 section 4 cases 1-2 (AES-128), NIST SP 800-38A F.2.3/F.2.5 (AES-192/256, first two
 * blocks), FIPS 81 appendix C (DES-CBC), NIST SP 800-67 example (3DES; CBC with a zero IV equals ECB on the
 * first block). */
const VECTORS: ReadonlyArray<{ name: string; cipher: CipherName; key: string; iv: string; plaintext: string; ciphertext: string }> = [
  {
    name: 'RFC 3602 case 1',
    cipher: 'aes128',
    key: '06a9214036b8a15b512e03d534120006',
    iv: '3dafba429d9eb430b422da802c9fac41',
    plaintext: Buffer.from('Single block msg').toString('hex'),
    ciphertext: 'e353779c1079aeb82708942dbe77181a',
  },
  {
    name: 'RFC 3602 case 2',
    cipher: 'aes128',
    key: 'c286696d887c9aa0611bbb3e2025a45a',
    iv: '562e17996d093d28ddb3ba695a2e6f58',
    plaintext: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    ciphertext: 'd296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1',
  },
  {
    name: 'SP 800-38A F.2.3 (AES-192)',
    cipher: 'aes192',
    key: '8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b',
    iv: '000102030405060708090a0b0c0d0e0f',
    plaintext: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51',
    ciphertext: '4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a',
  },
  {
    name: 'SP 800-38A F.2.5 (AES-256)',
    cipher: 'aes256',
    key: '603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4',
    iv: '000102030405060708090a0b0c0d0e0f',
    plaintext: '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51',
    ciphertext: 'f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d',
  },
  {
    name: 'FIPS 81 DES-CBC',
    cipher: 'des',
    key: '0123456789abcdef',
    iv: '1234567890abcdef',
    plaintext: Buffer.from('Now is the time for all ').toString('hex'),
    ciphertext: 'e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6',
  },
  {
    name: 'SP 800-67 3DES',
    cipher: '3des',
    key: '0123456789abcdef23456789abcdef01456789abcdef0123',
    iv: '0000000000000000',
    plaintext: Buffer.from('The qufc').toString('hex'),
    ciphertext: 'a826fd8ce53b855f',
  },
];

describe('cipher table', () => {
  it('has the block sizes and key lengths of the ciphers', () => {
    expect(Object.fromEntries(Object.entries(CIPHER_SPEC).map(([n, s]) => [n, [s.blockSize, s.keyLength, s.weak]]))).toEqual({
      des: [8, 8, true],
      '3des': [8, 24, true],
      aes128: [16, 16, false],
      aes192: [16, 24, false],
      aes256: [16, 32, false],
    });
    expect(blockSize('aes192')).toBe(16);
    expect(keyLength('3des')).toBe(24);
    expect(isCipherName('aes256')).toBe(true);
    expect(isCipherName('aes-256-cbc')).toBe(false);
  });
});

describe('cbcEncrypt / cbcDecrypt known answers', () => {
  for (const v of VECTORS) {
    it(`matches ${v.name}`, () => {
      const enc = cbcEncrypt(v.cipher, hex(v.key), hex(v.iv), hex(v.plaintext));
      expect(enc.data.toString('hex')).toBe(v.ciphertext);
      const size = blockSize(v.cipher);
      expect(enc.lastBlock).toEqual(hex(v.ciphertext).subarray(-size));
      const dec = cbcDecrypt(v.cipher, hex(v.key), hex(v.iv), hex(v.ciphertext));
      expect(dec.data.toString('hex')).toBe(v.plaintext);
      expect(dec.lastBlock).toEqual(hex(v.ciphertext).subarray(-size));
    });
  }

  it('finds single DES in OpenSSL or node-forge', () => {
    expect(['openssl', 'node-forge']).toContain(singleDesProvider());
  });
});

describe('cbc properties', () => {
  const names = Object.keys(CIPHER_SPEC) as CipherName[];
  const input = fc.constantFrom(...names).chain((name) =>
    fc.record({
      name: fc.constant(name),
      key: fc.uint8Array({ minLength: keyLength(name), maxLength: keyLength(name) }),
      iv: fc.uint8Array({ minLength: blockSize(name), maxLength: blockSize(name) }),
      blocksA: fc.nat({ max: 4 }),
      blocksB: fc.nat({ max: 4 }),
      seed: fc.uint8Array({ minLength: 128, maxLength: 128 }),
    }),
  );

  it('decrypts what it encrypts, and chaining through lastBlock equals one long CBC run', () => {
    fc.assert(
      fc.property(input, ({ name, key, iv, blocksA, blocksB, seed }) => {
        const size = blockSize(name);
        const a = seed.subarray(0, blocksA * size);
        const b = seed.subarray(64, 64 + blocksB * size);
        const whole = cbcEncrypt(name, key, iv, Buffer.concat([a, b]));
        const first = cbcEncrypt(name, key, iv, a);
        const second = cbcEncrypt(name, key, first.lastBlock, b);
        expect(Buffer.concat([first.data, second.data])).toEqual(whole.data);
        expect(second.lastBlock).toEqual(whole.lastBlock);
        expect(cbcDecrypt(name, key, iv, whole.data).data).toEqual(Buffer.concat([a, b]));
      }),
      { numRuns: 60 },
    );
  });

  it('returns a copy of the IV as lastBlock for empty input and does not alias its arguments', () => {
    const iv = Buffer.alloc(16, 7);
    const result = cbcEncrypt('aes128', Buffer.alloc(16), iv, Buffer.alloc(0));
    expect(result.data.length).toBe(0);
    expect(result.lastBlock).toEqual(iv);
    iv.fill(0);
    expect(result.lastBlock).toEqual(Buffer.alloc(16, 7));
    const ct = cbcEncrypt('aes128', Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(32, 1)).data;
    const dec = cbcDecrypt('aes128', Buffer.alloc(16), Buffer.alloc(16), ct);
    ct.fill(0);
    expect(dec.lastBlock.equals(Buffer.alloc(16))).toBe(false);
  });
});

describe('cbc argument errors', () => {
  it('rejects a key of the wrong length', () => {
    expect(() => cbcEncrypt('aes256', Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(16))).toThrow(
      new RangeError('aes256: key is 16 bytes, expected 32'),
    );
  });

  it('rejects an IV of the wrong length', () => {
    expect(() => cbcDecrypt('3des', Buffer.alloc(24), Buffer.alloc(16), Buffer.alloc(8))).toThrow(
      new RangeError('3des: IV is 16 bytes, expected 8'),
    );
  });

  it('rejects input that is not a whole number of blocks (no padding is added)', () => {
    expect(() => cbcEncrypt('aes128', Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(17))).toThrow(
      new RangeError('aes128: input of 17 bytes is not a multiple of the block size 16'),
    );
    expect(() => cbcDecrypt('des', Buffer.alloc(8), Buffer.alloc(8), Buffer.alloc(4))).toThrow(
      new RangeError('des: input of 4 bytes is not a multiple of the block size 8'),
    );
  });
});
