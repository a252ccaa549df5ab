/**
 * Diffie-Hellman groups by IKE group number (the GROUP_DESCRIPTION attribute): MODP groups 1 and 2
 * (RFC 2409 section 6), 5 and 14-18 (RFC 3526), and the ECP groups 19-21 (RFC 5903).
 *
 * Wire forms, which is what this module speaks:
 * - MODP: the KE payload carries g^x as a big-endian integer left-padded with zeros to the prime's length
 *   (RFC 2409 section 5); the shared secret g^xy is padded the same way.
 * - ECP: the KE payload carries x | y, each coordinate padded to the field size, without SEC1's 0x04 prefix;
 *   the shared secret is the x coordinate of the shared point (RFC 5903 sections 7 and 9).
 *
 * node:crypto (OpenSSL) does the arithmetic. Group 1 (768 bits) works with OpenSSL 3 under Node 20, so no
 * fallback is needed; test/unit/crypto/dh-groups.test.ts checks it against a BigInt computation.
 */
import { createDiffieHellman, createECDH, createPublicKey, diffieHellman, generateKeyPairSync, getDiffieHellman, type KeyObject } from 'node:crypto';
import { ProtocolError } from '../errors.js';

/**
 * The supported groups by IKE group number (IANA "Group Description"; ike/ike-attributes.ts names them all): kind,
 * size in bits, KE payload length and shared-secret length in bytes, and the OpenSSL name (the MODP primes come
 * from OpenSSL's built-in RFC 2409/3526 groups; the tests check them independently).
 */
export const DH_GROUP_SPEC = {
  1: { kind: 'modp', bits: 768, publicLength: 96, secretLength: 96, openssl: 'modp1' },
  2: { kind: 'modp', bits: 1024, publicLength: 128, secretLength: 128, openssl: 'modp2' },
  5: { kind: 'modp', bits: 1536, publicLength: 192, secretLength: 192, openssl: 'modp5' },
  14: { kind: 'modp', bits: 2048, publicLength: 256, secretLength: 256, openssl: 'modp14' },
  15: { kind: 'modp', bits: 3072, publicLength: 384, secretLength: 384, openssl: 'modp15' },
  16: { kind: 'modp', bits: 4096, publicLength: 512, secretLength: 512, openssl: 'modp16' },
  17: { kind: 'modp', bits: 6144, publicLength: 768, secretLength: 768, openssl: 'modp17' },
  18: { kind: 'modp', bits: 8192, publicLength: 1024, secretLength: 1024, openssl: 'modp18' },
  19: { kind: 'ecp', bits: 256, publicLength: 64, secretLength: 32, openssl: 'prime256v1' },
  20: { kind: 'ecp', bits: 384, publicLength: 96, secretLength: 48, openssl: 'secp384r1' },
  21: { kind: 'ecp', bits: 521, publicLength: 132, secretLength: 66, openssl: 'secp521r1' },
} as const;

/** A supported IKE Diffie-Hellman group number. */
export type DhGroupId = keyof typeof DH_GROUP_SPEC;

/** The supported group numbers, ascending. */
export const DH_GROUPS: readonly DhGroupId[] = Object.keys(DH_GROUP_SPEC).map((g) => Number(g) as DhGroupId);

/**
 * The short Weierstrass parameters y^2 = x^3 - 3x + b (mod p) of the ECP groups (RFC 5903 section 3),
 * used to check that a peer's point lies on the curve before OpenSSL sees it.
 */
const CURVE = {
  19: {
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  20: {
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  21: {
    p: (1n << 521n) - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
} as const;

/** ISAKMP notify INVALID-KEY-INFORMATION (RFC 2408 section 3.14.1): the answer to an unusable KE payload. */
const INVALID_KEY_INFORMATION = 17;

/** One side of a Diffie-Hellman exchange. */
export interface DhKeyPair {
  /** The IKE group number. */
  readonly group: DhGroupId;
  /** Our public value in KE-payload form: fixed length `DH_GROUP_SPEC[group].publicLength`. */
  readonly publicValue: Buffer;
  /**
   * g^xy from the peer's KE payload data: fixed length `DH_GROUP_SPEC[group].secretLength`.
   * Throws ProtocolError (notify INVALID-KEY-INFORMATION) when the peer's value is unusable.
   */
  computeSecret(peerPublic: Uint8Array): Buffer;
}

/** Options for createDh. */
export interface DhOptions {
  /** A fixed private value (big-endian) instead of a random one: for known-answer tests only. */
  readonly privateKey?: Uint8Array;
}

/** True when `group` is a supported IKE group number. */
export function isDhGroupId(group: number): group is DhGroupId {
  return Object.hasOwn(DH_GROUP_SPEC, group);
}

/** A new key pair in `group` (random unless options.privateKey is given). */
export function createDh(group: DhGroupId, options: DhOptions = {}): DhKeyPair {
  if (!isDhGroupId(group)) throw new RangeError(`unsupported Diffie-Hellman group ${String(group)}`);
  return isEcpGroup(group) ? createEcp(group, options) : createModp(group, options);
}

/**
 * Checks a peer's KE payload data for `group`: exact length, 1 < y < p-1 for MODP, a point on the curve for
 * ECP. Throws ProtocolError with notify INVALID-KEY-INFORMATION (17) and a message naming the fault.
 */
export function checkPeerPublic(group: DhGroupId, peerPublic: Uint8Array): void {
  const spec = DH_GROUP_SPEC[group];
  if (peerPublic.length !== spec.publicLength) {
    throw invalidKey(`DH group ${group} public value is ${peerPublic.length} bytes, expected ${spec.publicLength}`);
  }
  if (!isEcpGroup(group)) {
    const y = toBigInt(peerPublic);
    if (y <= 1n || y >= modpPrime(group) - 1n) {
      throw invalidKey(`DH group ${group} public value is out of range (must be 1 < y < p-1)`);
    }
    return;
  }
  const { p, b } = CURVE[group];
  const half = spec.publicLength / 2;
  const x = toBigInt(peerPublic.subarray(0, half));
  const y = toBigInt(peerPublic.subarray(half));
  if (x >= p || y >= p) throw invalidKey(`DH group ${group} public point has a coordinate not below the field prime`);
  if (mod(y * y - (x * x * x - 3n * x + b), p) !== 0n) {
    throw invalidKey(`DH group ${group} public value is not a point on the curve`);
  }
}

/** The prime p of a MODP group, big-endian (OpenSSL's copy of the RFC 2409/3526 prime). */
export function modpPrimeBytes(group: DhGroupId): Buffer {
  const spec = DH_GROUP_SPEC[group];
  if (spec.kind !== 'modp') throw new RangeError(`DH group ${group} is not a MODP group`);
  return getDiffieHellman(spec.openssl).getPrime();
}

type EcpGroupId = keyof typeof CURVE;

function isEcpGroup(group: DhGroupId): group is EcpGroupId {
  return Object.hasOwn(CURVE, group);
}

const primes = new Map<DhGroupId, { bytes: Buffer; value: bigint }>();

function modpPrimeEntry(group: DhGroupId): { bytes: Buffer; value: bigint } {
  let entry = primes.get(group);
  if (entry === undefined) {
    const bytes = modpPrimeBytes(group);
    entry = { bytes, value: toBigInt(bytes) };
    primes.set(group, entry);
  }
  return entry;
}

function modpPrime(group: DhGroupId): bigint {
  return modpPrimeEntry(group).value;
}

const GENERATOR = Buffer.from([2]);

/**
 * createDiffieHellman(prime) checks the prime (~40 ms for group 2, on the path to the first packet); the named
 * groups of generateKeyPairSync('dh') skip that and pick a sensible exponent size. The peer's public value
 * becomes a KeyObject through a SubjectPublicKeyInfo built on our own key's algorithm identifier.
 */
/** generateKeyPairSync's 'dh' form, which @types/node 20 does not declare. */
type DhKeyGen = (type: 'dh', options: { group: string }) => { privateKey: KeyObject; publicKey: KeyObject };

function createModpFast(group: DhGroupId): DhKeyPair {
  const spec = DH_GROUP_SPEC[group];
  const { privateKey, publicKey } = (generateKeyPairSync as unknown as DhKeyGen)('dh', { group: spec.openssl });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING { 0 unused bits, INTEGER y } }
  const outer = derHeaderLength(spki, 0);
  const algorithm = derElement(spki, outer);
  const bitString = outer + algorithm.length;
  const y = derIntegerValue(spki.subarray(bitString + derHeaderLength(spki, bitString) + 1));
  const publicValue = leftPad(y, spec.publicLength);
  rememberPrime(group, algorithm);
  return {
    group,
    publicValue,
    computeSecret(peerPublic: Uint8Array): Buffer {
      checkPeerPublic(group, peerPublic);
      const peerBits = derTlv(0x03, Buffer.concat([Buffer.from([0]), derInteger(Buffer.from(peerPublic))]));
      const peerKey = createPublicKey({ key: derTlv(0x30, Buffer.concat([algorithm, peerBits])), format: 'der', type: 'spki' });
      try {
        return leftPad(diffieHellman({ privateKey, publicKey: peerKey }), spec.secretLength);
      } catch {
        throw invalidKey(`DH group ${group} public value is not in the group's prime-order subgroup`);
      }
    },
  };
}

/**
 * Takes the prime from the key's AlgorithmIdentifier (SEQUENCE { OID, SEQUENCE { INTEGER p, INTEGER g } }),
 * so that checking the peer's value does not need getDiffieHellman() (which re-checks the prime: ~30 ms).
 */
function rememberPrime(group: DhGroupId, algorithm: Buffer): void {
  if (primes.has(group)) return;
  const oidAt = derHeaderLength(algorithm, 0);
  const paramsAt = oidAt + derElement(algorithm, oidAt).length;
  const pAt = paramsAt + derHeaderLength(algorithm, paramsAt);
  const bytes = Buffer.from(derIntegerValue(algorithm.subarray(pAt)));
  primes.set(group, { bytes, value: toBigInt(bytes) });
}

/** Bytes of the tag and length fields of the DER element at `off`. */
function derHeaderLength(der: Buffer, off = 0): number {
  const first = der[off + 1]!;
  return first & 0x80 ? 2 + (first & 0x7f) : 2;
}

/** The whole DER element (tag, length, value) at `off`. */
function derElement(der: Buffer, off: number): Buffer {
  const first = der[off + 1]!;
  let len = first;
  if (first & 0x80) {
    len = 0;
    for (let i = 0; i < (first & 0x7f); i++) len = (len << 8) | der[off + 2 + i]!;
  }
  return der.subarray(off, off + derHeaderLength(der, off) + len);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function derTlv(tag: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

/** A non-negative INTEGER from big-endian bytes. */
function derInteger(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  return derTlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** The value bytes of the INTEGER element at the start of `der`, without a sign byte. */
function derIntegerValue(der: Buffer): Buffer {
  const v = derElement(der, 0).subarray(derHeaderLength(der, 0));
  return v[0] === 0 ? v.subarray(1) : v;
}

function createModp(group: DhGroupId, options: DhOptions): DhKeyPair {
  if (options.privateKey === undefined) return createModpFast(group);
  const length = DH_GROUP_SPEC[group].publicLength;
  const dh = createDiffieHellman(modpPrimeEntry(group).bytes, GENERATOR);
  dh.setPrivateKey(Buffer.from(options.privateKey));
  const publicValue = leftPad(dh.generateKeys(), length);
  return {
    group,
    publicValue,
    computeSecret(peerPublic: Uint8Array): Buffer {
      checkPeerPublic(group, peerPublic);
      return leftPad(dh.computeSecret(Buffer.from(peerPublic)), length);
    },
  };
}

function createEcp(group: EcpGroupId, options: DhOptions): DhKeyPair {
  const spec = DH_GROUP_SPEC[group];
  const ecdh = createECDH(spec.openssl);
  if (options.privateKey !== undefined) ecdh.setPrivateKey(Buffer.from(options.privateKey));
  else ecdh.generateKeys();
  // getPublicKey() is SEC1 uncompressed: 0x04 | x | y with fixed-size coordinates.
  const publicValue = ecdh.getPublicKey().subarray(1);
  return {
    group,
    publicValue,
    computeSecret(peerPublic: Uint8Array): Buffer {
      checkPeerPublic(group, peerPublic);
      const point = Buffer.concat([Buffer.from([0x04]), peerPublic]);
      return leftPad(ecdh.computeSecret(point), spec.secretLength);
    },
  };
}

function invalidKey(message: string): ProtocolError {
  return new ProtocolError(message, INVALID_KEY_INFORMATION);
}

function leftPad(value: Buffer, length: number): Buffer {
  if (value.length === length) return value;
  if (value.length > length) throw new RangeError(`value of ${value.length} bytes exceeds ${length}`);
  const out = Buffer.alloc(length);
  value.copy(out, length - value.length);
  return out;
}

function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex'));
}

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}
