import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DH_GROUP_SPEC,
  DH_GROUPS,
  checkPeerPublic,
  createDh,
  isDhGroupId,
  modpPrimeBytes,
  type DhGroupId,
} from '../../../src/crypto/dh-groups.js';
import { ProtocolError } from '../../../src/errors.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const vectorsDir = new URL('../../vectors/', import.meta.url);
/** MODP primes computed from their pi formula by test/vectors/keys-gen.py. */
const PRIMES = JSON.parse(readFileSync(new URL('crypto-modp-primes.json', vectorsDir), 'utf8')) as {
  primes: Record<string, string>;
};
const KEYS = JSON.parse(readFileSync(new URL('keys-ikev1.json', vectorsDir), 'utf8')) as {
  cases: Array<{ name: string; dh: { group: DhGroupId; privateI: string; privateR: string; gxi: string; gxr: string; gxy: string } }>;
};

const ALL_GROUPS = DH_GROUPS;
const MODP_GROUPS = ALL_GROUPS.filter((g) => DH_GROUP_SPEC[g].kind === 'modp');
const ECP_GROUPS = ALL_GROUPS.filter((g) => DH_GROUP_SPEC[g].kind === 'ecp');

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}
const big = (b: Buffer): bigint => BigInt('0x' + b.toString('hex'));
const toFixed = (v: bigint, length: number): Buffer => Buffer.from(v.toString(16).padStart(length * 2, '0'), 'hex');

function expectInvalidKey(fn: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).message).toBe(message);
  expect((thrown as ProtocolError).notify).toBe(17);
  expect((thrown as ProtocolError).code).toBe('VPNC_ERR_PROTOCOL');
}

describe('group table', () => {
  it('lists the IKE group numbers', () => {
    expect(ALL_GROUPS).toEqual([1, 2, 5, 14, 15, 16, 17, 18, 19, 20, 21]);
    expect(isDhGroupId(14)).toBe(true);
    expect(isDhGroupId(3)).toBe(false);
    expect(isDhGroupId(22)).toBe(false);
  });

  it('uses the RFC 2409/3526 primes (checked against an independent derivation from pi)', () => {
    for (const group of MODP_GROUPS) {
      const prime = modpPrimeBytes(group);
      expect(prime.length * 8).toBe(DH_GROUP_SPEC[group].bits);
      expect(prime.length).toBe(DH_GROUP_SPEC[group].publicLength);
      expect(prime.toString('hex')).toBe(PRIMES.primes[String(group)]);
    }
  });

  it('has the ECP lengths of RFC 5903 (x|y public value, x as the secret)', () => {
    expect(ECP_GROUPS.map((g) => [g, DH_GROUP_SPEC[g].publicLength, DH_GROUP_SPEC[g].secretLength])).toEqual([
      [19, 64, 32],
      [20, 96, 48],
      [21, 132, 66],
    ]);
  });
});

describe('createDh round trip', () => {
  for (const group of ALL_GROUPS) {
    it(`two parties agree in group ${group}`, () => {
      const a = createDh(group);
      const b = createDh(group);
      const spec = DH_GROUP_SPEC[group];
      expect(a.group).toBe(group);
      expect(a.publicValue.length).toBe(spec.publicLength);
      const secretA = a.computeSecret(b.publicValue);
      expect(secretA.length).toBe(spec.secretLength);
      expect(b.computeSecret(a.publicValue)).toEqual(secretA);
      expect(a.publicValue.equals(b.publicValue)).toBe(false);
    });
  }
});

describe('MODP known answers', () => {
  it('group 1 (768-bit) works under OpenSSL 3 and matches a BigInt computation', () => {
    const p = big(modpPrimeBytes(1));
    const x = hex('0123456789abcdef0123456789abcdef0123456789abcdef');
    const dh = createDh(1, { privateKey: x });
    expect(dh.publicValue).toEqual(toFixed(modPow(2n, big(x), p), 96));
    const peer = createDh(1);
    expect(dh.computeSecret(peer.publicValue)).toEqual(toFixed(modPow(big(peer.publicValue), big(x), p), 96));
  });

  for (const c of KEYS.cases.filter((v, i, all) => all.findIndex((w) => w.dh.group === v.dh.group) === i)) {
    it(`group ${c.dh.group} matches the python reference (${c.name})`, () => {
      const i = createDh(c.dh.group, { privateKey: hex(c.dh.privateI) });
      const r = createDh(c.dh.group, { privateKey: hex(c.dh.privateR) });
      expect(i.publicValue.toString('hex')).toBe(c.dh.gxi);
      expect(r.publicValue.toString('hex')).toBe(c.dh.gxr);
      expect(i.computeSecret(r.publicValue).toString('hex')).toBe(c.dh.gxy);
      expect(r.computeSecret(i.publicValue).toString('hex')).toBe(c.dh.gxy);
    });
  }

  it('left-pads a public value and a secret that have leading zero bytes', () => {
    // x = 1 makes g^x = 2: a one-byte integer that must travel as 128 bytes.
    const dh = createDh(2, { privateKey: Buffer.from([1]) });
    expect(dh.publicValue).toEqual(toFixed(2n, 128));
    const peerPublic = toFixed(5n, 128);
    expect(dh.computeSecret(peerPublic)).toEqual(toFixed(5n, 128));
  });
});

/** RFC 5903 section 8: i, g^i = (gix, giy), r, g^r = (grx, gry), and g^ir's x coordinate. */
const RFC5903: ReadonlyArray<{ group: DhGroupId; i: string; gi: string; r: string; gr: string; girx: string }> = [
  {
    group: 19,
    i: 'c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433',
    gi:
      'dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180' +
      '5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3',
    r: 'c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53',
    gr:
      'd12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63' +
      '56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab',
    girx: 'd6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de',
  },
  {
    group: 20,
    i: '099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194',
    gi:
      '667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa' +
      '9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c',
    r: '41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc',
    gr:
      'e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571' +
      'dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c',
    girx: '11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746',
  },
  {
    group: 21,
    i:
      '0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d4a52',
    gi:
      '0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176ced3e' +
      '017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f9582',
    r:
      '0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb151685eb9',
    gr:
      '00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9460f' +
      '015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0fc56a',
    girx:
      '01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3ddea',
  },
];

describe('ECP known answers (RFC 5903 section 8)', () => {
  for (const v of RFC5903) {
    it(`group ${v.group}`, () => {
      const i = createDh(v.group, { privateKey: hex(v.i) });
      const r = createDh(v.group, { privateKey: hex(v.r) });
      expect(i.publicValue.toString('hex')).toBe(v.gi);
      expect(r.publicValue.toString('hex')).toBe(v.gr);
      expect(i.computeSecret(hex(v.gr)).toString('hex')).toBe(v.girx);
      expect(r.computeSecret(hex(v.gi)).toString('hex')).toBe(v.girx);
    });
  }
});

describe('peer public value validation', () => {
  it('rejects a MODP value of the wrong length', () => {
    const dh = createDh(2);
    expectInvalidKey(() => dh.computeSecret(Buffer.alloc(127, 1)), 'DH group 2 public value is 127 bytes, expected 128');
    expectInvalidKey(() => dh.computeSecret(Buffer.alloc(129, 1)), 'DH group 2 public value is 129 bytes, expected 128');
    expectInvalidKey(() => dh.computeSecret(Buffer.alloc(0)), 'DH group 2 public value is 0 bytes, expected 128');
  });

  for (const group of [1, 2, 14] as const) {
    it(`rejects 0, 1, p-1 and p in group ${group}`, () => {
      const dh = createDh(group);
      const p = big(modpPrimeBytes(group));
      const length = DH_GROUP_SPEC[group].publicLength;
      const message = `DH group ${group} public value is out of range (must be 1 < y < p-1)`;
      for (const y of [0n, 1n, p - 1n, p, (1n << BigInt(length * 8)) - 1n]) {
        expectInvalidKey(() => dh.computeSecret(toFixed(y, length)), message);
      }
      expect(() => dh.computeSecret(toFixed(2n, length))).not.toThrow();
      // p-2 is outside the prime-order subgroup: OpenSSL checks that for the RFC 3526 groups (it knows their q),
      // and the error comes back as INVALID-KEY-INFORMATION; for the RFC 2409 groups only the range is checked.
      if (group === 14) expectInvalidKey(() => dh.computeSecret(toFixed(p - 2n, length)), 'DH group 14 public value is not in the group\'s prime-order subgroup');
      else expect(() => dh.computeSecret(toFixed(p - 2n, length))).not.toThrow();
    });
  }

  it('rejects an ECP value of the wrong length (including a SEC1 0x04-prefixed point)', () => {
    const dh = createDh(19);
    const peer = createDh(19).publicValue;
    expectInvalidKey(
      () => dh.computeSecret(Buffer.concat([Buffer.from([4]), peer])),
      'DH group 19 public value is 65 bytes, expected 64',
    );
    expectInvalidKey(() => dh.computeSecret(peer.subarray(0, 32)), 'DH group 19 public value is 32 bytes, expected 64');
  });

  for (const group of ECP_GROUPS) {
    it(`rejects a point off the curve in group ${group}`, () => {
      const dh = createDh(group);
      const bad = Buffer.from(createDh(group).publicValue);
      bad[bad.length - 1] ^= 1;
      expectInvalidKey(() => dh.computeSecret(bad), `DH group ${group} public value is not a point on the curve`);
      expectInvalidKey(
        () => dh.computeSecret(Buffer.alloc(DH_GROUP_SPEC[group].publicLength)),
        `DH group ${group} public value is not a point on the curve`,
      );
    });

    it(`rejects coordinates not below the field prime in group ${group}`, () => {
      const half = DH_GROUP_SPEC[group].publicLength / 2;
      const value = Buffer.alloc(half * 2, 0xff);
      if (group === 21) {
        value[0] = 0x01; // 2^521 - 1 = p itself
        value[half] = 0x01;
      }
      expectInvalidKey(
        () => checkPeerPublic(group, value),
        `DH group ${group} public point has a coordinate not below the field prime`,
      );
    });

    it(`accepts points OpenSSL generates in group ${group} (the curve constants are right)`, () => {
      for (let n = 0; n < 5; n++) expect(() => checkPeerPublic(group, createDh(group).publicValue)).not.toThrow();
    });
  }

  it('rejects an unsupported group number', () => {
    expect(() => createDh(3 as DhGroupId)).toThrow(new RangeError('unsupported Diffie-Hellman group 3'));
  });
});
