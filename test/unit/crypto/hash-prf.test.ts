import { describe, expect, it } from 'vitest';
import { HASH_OUTPUT_LENGTH, hash, hashLength, isHashName, type HashName } from '../../../src/crypto/hash.js';
import { hmac, hmacPrf } from '../../../src/crypto/prf.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): Buffer => Buffer.from(s, 'ascii');

describe('hash', () => {
  it('has the output lengths of the algorithms', () => {
    expect(HASH_OUTPUT_LENGTH).toEqual({ md5: 16, sha1: 20, sha256: 32, sha384: 48, sha512: 64 });
    for (const name of Object.keys(HASH_OUTPUT_LENGTH) as HashName[]) {
      expect(hash(name, ascii('x')).length).toBe(hashLength(name));
    }
  });

  it('computes the FIPS 180 / RFC 1321 "abc" digests', () => {
    expect(hash('md5', ascii('abc')).toString('hex')).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(hash('sha1', ascii('abc')).toString('hex')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hash('sha256', ascii('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('hashes parts as their concatenation', () => {
    expect(hash('sha1', ascii('a'), ascii(''), ascii('bc'))).toEqual(hash('sha1', ascii('abc')));
  });

  it('recognises supported names only', () => {
    expect(isHashName('sha256')).toBe(true);
    expect(isHashName('sha224')).toBe(false);
    expect(isHashName('toString')).toBe(false);
  });
});

/** RFC 2202 (HMAC-MD5, HMAC-SHA-1) and RFC 4231 (HMAC-SHA-2) test cases 1, 2 and the long-key case. */
const HMAC_VECTORS: ReadonlyArray<{ name: string; hash: HashName; key: Buffer; data: Buffer; mac: string }> = [
  { name: 'RFC 2202 md5 1', hash: 'md5', key: Buffer.alloc(16, 0x0b), data: ascii('Hi There'), mac: '9294727a3638bb1c13f48ef8158bfc9d' },
  { name: 'RFC 2202 md5 2', hash: 'md5', key: ascii('Jefe'), data: ascii('what do ya want for nothing?'), mac: '750c783e6ab0b503eaa86e310a5db738' },
  { name: 'RFC 2202 md5 3', hash: 'md5', key: Buffer.alloc(16, 0xaa), data: Buffer.alloc(50, 0xdd), mac: '56be34521d144c88dbb8c733f0e8b3f6' },
  {
    name: 'RFC 2202 md5 6',
    hash: 'md5',
    key: Buffer.alloc(80, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd',
  },
  { name: 'RFC 2202 sha1 1', hash: 'sha1', key: Buffer.alloc(20, 0x0b), data: ascii('Hi There'), mac: 'b617318655057264e28bc0b6fb378c8ef146be00' },
  { name: 'RFC 2202 sha1 2', hash: 'sha1', key: ascii('Jefe'), data: ascii('what do ya want for nothing?'), mac: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
  { name: 'RFC 2202 sha1 3', hash: 'sha1', key: Buffer.alloc(20, 0xaa), data: Buffer.alloc(50, 0xdd), mac: '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
  {
    name: 'RFC 2202 sha1 6',
    hash: 'sha1',
    key: Buffer.alloc(80, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: 'aa4ae5e15272d00e95705637ce8a3b55ed402112',
  },
  {
    name: 'RFC 4231 sha256 1',
    hash: 'sha256',
    key: Buffer.alloc(20, 0x0b),
    data: ascii('Hi There'),
    mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
  },
  {
    name: 'RFC 4231 sha256 2',
    hash: 'sha256',
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  },
  {
    name: 'RFC 4231 sha256 6',
    hash: 'sha256',
    key: Buffer.alloc(131, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
  },
  {
    name: 'RFC 4231 sha384 1',
    hash: 'sha384',
    key: Buffer.alloc(20, 0x0b),
    data: ascii('Hi There'),
    mac: 'afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59cfaea9ea9076ede7f4af152e8b2fa9cb6',
  },
  {
    name: 'RFC 4231 sha384 2',
    hash: 'sha384',
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac: 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
  },
  {
    name: 'RFC 4231 sha384 6',
    hash: 'sha384',
    key: Buffer.alloc(131, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac: '4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c60c2ef6ab4030fe8296248df163f44952',
  },
  {
    name: 'RFC 4231 sha512 1',
    hash: 'sha512',
    key: Buffer.alloc(20, 0x0b),
    data: ascii('Hi There'),
    mac:
      '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde' +
      'daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854',
  },
  {
    name: 'RFC 4231 sha512 2',
    hash: 'sha512',
    key: ascii('Jefe'),
    data: ascii('what do ya want for nothing?'),
    mac:
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554' +
      '9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  },
  {
    name: 'RFC 4231 sha512 6',
    hash: 'sha512',
    key: Buffer.alloc(131, 0xaa),
    data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
    mac:
      '80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352' +
      '6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598',
  },
];

describe('hmac / hmacPrf', () => {
  for (const v of HMAC_VECTORS) {
    it(`matches ${v.name}`, () => {
      expect(hmac(v.hash, v.key, v.data)).toEqual(hex(v.mac));
      expect(hmacPrf(v.hash).compute(v.key, v.data)).toEqual(hex(v.mac));
    });
  }

  it('feeds parts as their concatenation', () => {
    const prf = hmacPrf('sha1');
    expect(prf.compute(ascii('Jefe'), ascii('what do ya '), ascii('want for nothing?'))).toEqual(
      hex('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79'),
    );
  });

  it('reports the hash and output length and shares instances', () => {
    const prf = hmacPrf('sha384');
    expect(prf.hash).toBe('sha384');
    expect(prf.length).toBe(48);
    expect(hmacPrf('sha384')).toBe(prf);
    expect(Object.isFrozen(prf)).toBe(true);
  });
});
