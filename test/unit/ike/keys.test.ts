import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CipherName } from '../../../src/crypto/cipher.js';
import type { HashName } from '../../../src/crypto/hash.js';
import { hmacPrf } from '../../../src/crypto/prf.js';
import {
  derivePhase1Keys,
  encryptionKey,
  espKeys,
  hash1,
  hash2,
  hash3,
  hashI,
  hashR,
  keymat,
  presharedKeyHash,
  skeyidA,
  skeyidD,
  skeyidE,
  skeyidPsk,
  skeyidSig,
  type Phase1HashInput,
} from '../../../src/ike/keys.js';

/** Expected values computed by test/vectors/keys-gen.py (python hashlib/hmac, written from RFC 2409). */
interface KeyCase {
  name: string;
  hash: HashName;
  cipher: CipherName;
  auth: 'psk' | 'signature';
  dh: { gxi: string; gxr: string; gxy: string };
  psk: string;
  nonceI: string;
  nonceR: string;
  ckyI: string;
  ckyR: string;
  saIb: string;
  idIib: string;
  idIrb: string;
  expected: Record<'skeyid' | 'skeyidD' | 'skeyidA' | 'skeyidE' | 'encKey' | 'iv0' | 'hashI' | 'hashR' | 'presharedKeyHash', string> & {
    encKeyExpanded: boolean;
  };
  phase2: {
    msgId: number;
    rest1: string;
    rest2: string;
    nonceI: string;
    nonceR: string;
    protocol: number;
    spi: string;
    qmDh: { gxy: string };
    keymatLength: number;
    expected: Record<'hash1' | 'hash2' | 'hash3' | 'keymat' | 'keymatPfs', string>;
  };
}

const CASES = (
  JSON.parse(readFileSync(new URL('../../vectors/keys-ikev1.json', import.meta.url), 'utf8')) as { cases: KeyCase[] }
).cases;
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

describe('vector coverage', () => {
  it('includes expansion cases and every cipher, hash and auth kind', () => {
    expect(CASES.filter((c) => c.expected.encKeyExpanded).map((c) => c.name)).toEqual(
      expect.arrayContaining(['sha1-aes256-psk', 'md5-aes256-psk', 'sha1-3des-psk', 'md5-3des-psk']),
    );
    expect(new Set(CASES.map((c) => c.cipher))).toEqual(new Set(['des', '3des', 'aes128', 'aes192', 'aes256']));
    expect(new Set(CASES.map((c) => c.hash))).toEqual(new Set(['md5', 'sha1', 'sha256', 'sha384', 'sha512']));
    expect(new Set(CASES.map((c) => c.auth))).toEqual(new Set(['psk', 'signature']));
  });
});

for (const c of CASES) {
  describe(`key schedule ${c.name}`, () => {
    const prf = hmacPrf(c.hash);
    const [gxi, gxr, gxy] = [hex(c.dh.gxi), hex(c.dh.gxr), hex(c.dh.gxy)];
    const [ckyI, ckyR, nonceI, nonceR] = [hex(c.ckyI), hex(c.ckyR), hex(c.nonceI), hex(c.nonceR)];
    const e = c.expected;

    it('derivePhase1Keys matches the reference', () => {
      const keys = derivePhase1Keys({
        hash: c.hash,
        cipher: c.cipher,
        auth: c.auth === 'psk' ? { method: 'psk', psk: hex(c.psk) } : { method: 'signature' },
        nonceI,
        nonceR,
        gxi,
        gxr,
        gxy,
        ckyI,
        ckyR,
      });
      expect({
        skeyid: keys.skeyid.toString('hex'),
        skeyidD: keys.skeyidD.toString('hex'),
        skeyidA: keys.skeyidA.toString('hex'),
        skeyidE: keys.skeyidE.toString('hex'),
        encKey: keys.encKey.toString('hex'),
        iv0: keys.iv0.toString('hex'),
      }).toEqual({ skeyid: e.skeyid, skeyidD: e.skeyidD, skeyidA: e.skeyidA, skeyidE: e.skeyidE, encKey: e.encKey, iv0: e.iv0 });
    });

    it('the single-step functions match the reference', () => {
      const skeyid = c.auth === 'psk' ? skeyidPsk(prf, hex(c.psk), nonceI, nonceR) : skeyidSig(prf, nonceI, nonceR, gxy);
      expect(skeyid.toString('hex')).toBe(e.skeyid);
      const d = skeyidD(prf, skeyid, gxy, ckyI, ckyR);
      const a = skeyidA(prf, skeyid, d, gxy, ckyI, ckyR);
      const ee = skeyidE(prf, skeyid, a, gxy, ckyI, ckyR);
      expect([d, a, ee].map((b) => b.toString('hex'))).toEqual([e.skeyidD, e.skeyidA, e.skeyidE]);
      expect(encryptionKey(prf, ee, e.encKey.length / 2).toString('hex')).toBe(e.encKey);
      expect(presharedKeyHash(prf, skeyid, hex(c.psk)).toString('hex')).toBe(e.presharedKeyHash);
    });

    it('HASH_I and HASH_R match the reference', () => {
      const input: Phase1HashInput = { gxi, gxr, ckyI, ckyR, saIb: hex(c.saIb) };
      const skeyid = hex(e.skeyid);
      expect(hashI(prf, skeyid, input, hex(c.idIib)).toString('hex')).toBe(e.hashI);
      expect(hashR(prf, skeyid, input, hex(c.idIrb)).toString('hex')).toBe(e.hashR);
    });

    it('HASH(1), HASH(2), HASH(3) and KEYMAT with and without PFS match the reference', () => {
      const p = c.phase2;
      const a = hex(e.skeyidA);
      const d = hex(e.skeyidD);
      expect(hash1(prf, a, p.msgId, hex(p.rest1)).toString('hex')).toBe(p.expected.hash1);
      expect(hash2(prf, a, p.msgId, hex(p.nonceI), hex(p.rest2)).toString('hex')).toBe(p.expected.hash2);
      expect(hash3(prf, a, p.msgId, hex(p.nonceI), hex(p.nonceR)).toString('hex')).toBe(p.expected.hash3);
      const input = { protocol: p.protocol, spi: hex(p.spi), nonceI: hex(p.nonceI), nonceR: hex(p.nonceR) };
      expect(keymat(prf, d, input, p.keymatLength).toString('hex')).toBe(p.expected.keymat);
      const pfs = { ...input, gxy: hex(p.qmDh.gxy) };
      expect(keymat(prf, d, pfs, p.keymatLength).toString('hex')).toBe(p.expected.keymatPfs);
      const split = espKeys(prf, d, pfs, 32, 20);
      expect(split.encKey.toString('hex')).toBe(p.expected.keymatPfs.slice(0, 64));
      expect(split.integKey.toString('hex')).toBe(p.expected.keymatPfs.slice(64));
    });
  });
}

describe('encryptionKey (RFC 2409 appendix B)', () => {
  const prf = hmacPrf('sha1');
  const e = Buffer.alloc(20, 0x5a);

  it('takes the leading bytes of SKEYID_e when it is long enough', () => {
    expect(encryptionKey(prf, e, 16)).toEqual(e.subarray(0, 16));
    expect(encryptionKey(prf, e, 20)).toEqual(e);
  });

  it('expands with K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1) when it is shorter', () => {
    const k1 = prf.compute(e, Buffer.from([0]));
    const k2 = prf.compute(e, k1);
    expect(encryptionKey(prf, e, 32)).toEqual(Buffer.concat([k1, k2]).subarray(0, 32));
    expect(encryptionKey(prf, e, 24)).toEqual(Buffer.concat([k1, k2]).subarray(0, 24));
  });
});

describe('keymat arguments', () => {
  const prf = hmacPrf('md5');
  const input = { protocol: 3, spi: Buffer.alloc(4), nonceI: Buffer.alloc(8), nonceR: Buffer.alloc(8) };

  it('returns exactly the requested length, a prefix of any longer request', () => {
    const long = keymat(prf, Buffer.alloc(16), input, 100);
    expect(long.length).toBe(100);
    expect(keymat(prf, Buffer.alloc(16), input, 17)).toEqual(long.subarray(0, 17));
    expect(keymat(prf, Buffer.alloc(16), input, 0).length).toBe(0);
  });

  it('rejects a protocol id that is not a byte', () => {
    expect(() => keymat(prf, Buffer.alloc(16), { ...input, protocol: 256 }, 16)).toThrow(
      new RangeError('protocol id 256 is not a byte'),
    );
  });

  it('rejects a message id that is not a 32-bit unsigned integer', () => {
    expect(() => hash1(prf, Buffer.alloc(16), -1, Buffer.alloc(0))).toThrow(
      new RangeError('message id -1 is not a 32-bit unsigned integer'),
    );
    expect(() => hash3(prf, Buffer.alloc(16), 2 ** 32, Buffer.alloc(0), Buffer.alloc(0))).toThrow(RangeError);
  });
});
