/**
 * The algorithms the gateway can be told to accept, by the names its config file uses (`aes256-sha1`,
 * `3des-md5`, `dh2`), mapped to the IKE (RFC 2409 appendix A) and IPsec DOI (RFC 2407 4.4.4, 4.5) numbers.
 */
import type { CipherName } from '../crypto/cipher.js';
import type { HashName } from '../crypto/hash.js';
import { DH_GROUP_SPEC } from '../crypto/dh-groups.js';
import { IkeEncryption, IkeHash } from '../ike/ike-attributes.js';
import { AuthAlgorithm, EspTransformId } from '../ike/ipsec-attributes.js';

/** A phase-1 cipher the gateway accepts. */
export interface IkeCipherSpec {
  readonly name: string;
  readonly id: number;
  /** KEY_LENGTH attribute in bits; 0 when the cipher has a fixed key. */
  readonly keyBits: number;
  readonly cipher: CipherName;
}

/** A phase-1 hash the gateway accepts. */
export interface IkeHashSpec {
  readonly name: string;
  readonly id: number;
  readonly hash: HashName;
}

/** One `IKE proposals` entry: a cipher and a hash (the group is chosen from `IKE DH groups`). */
export interface IkeProposal {
  readonly cipher: IkeCipherSpec;
  readonly hash: IkeHashSpec;
  /** As written, for logs. */
  readonly name: string;
}

/** One `ESP proposals` entry. */
export interface EspProposal {
  /** IPsec DOI ESP transform id. */
  readonly transformId: number;
  /** KEY_LENGTH in bits; 0 when the transform has a fixed key. */
  readonly keyBits: number;
  /** AUTHENTICATION_ALGORITHM value. */
  readonly auth: number;
  readonly name: string;
}

const IKE_CIPHERS: readonly IkeCipherSpec[] = [
  { name: 'aes128', id: IkeEncryption.AES_CBC, keyBits: 128, cipher: 'aes128' },
  { name: 'aes192', id: IkeEncryption.AES_CBC, keyBits: 192, cipher: 'aes192' },
  { name: 'aes256', id: IkeEncryption.AES_CBC, keyBits: 256, cipher: 'aes256' },
  { name: '3des', id: IkeEncryption['3DES_CBC'], keyBits: 0, cipher: '3des' },
  { name: 'des', id: IkeEncryption.DES_CBC, keyBits: 0, cipher: 'des' },
];

const IKE_HASHES: readonly IkeHashSpec[] = [
  { name: 'md5', id: IkeHash.MD5, hash: 'md5' },
  { name: 'sha1', id: IkeHash.SHA, hash: 'sha1' },
  { name: 'sha256', id: IkeHash.SHA2_256, hash: 'sha256' },
  { name: 'sha384', id: IkeHash.SHA2_384, hash: 'sha384' },
  { name: 'sha512', id: IkeHash.SHA2_512, hash: 'sha512' },
];

const ESP_CIPHERS: Readonly<Record<string, { id: number; keyBits: number }>> = {
  aes128: { id: EspTransformId.AES, keyBits: 128 },
  aes192: { id: EspTransformId.AES, keyBits: 192 },
  aes256: { id: EspTransformId.AES, keyBits: 256 },
  '3des': { id: EspTransformId['3DES'], keyBits: 0 },
  null: { id: EspTransformId.NULL, keyBits: 0 },
};

const ESP_AUTHS: Readonly<Record<string, number>> = {
  md5: AuthAlgorithm.HMAC_MD5,
  sha1: AuthAlgorithm.HMAC_SHA,
  sha256: AuthAlgorithm.HMAC_SHA2_256,
};

/** Splits `cipher-hash`; undefined when there is no single dash. */
function splitPair(token: string): [string, string] | undefined {
  const parts = token.toLowerCase().split('-');
  return parts.length === 2 && parts[0] && parts[1] ? [parts[0], parts[1]] : undefined;
}

/** Parses an `IKE proposals` token such as `aes256-sha1`; throws a plain Error naming what is wrong. */
export function parseIkeProposal(token: string): IkeProposal {
  const pair = splitPair(token);
  if (!pair) throw new Error(`"${token}" is not cipher-hash (e.g. aes256-sha1)`);
  const cipher = IKE_CIPHERS.find((c) => c.name === pair[0]);
  if (!cipher) throw new Error(`unknown IKE cipher "${pair[0]}" (one of ${IKE_CIPHERS.map((c) => c.name).join(', ')})`);
  const hash = IKE_HASHES.find((h) => h.name === pair[1]);
  if (!hash) throw new Error(`unknown IKE hash "${pair[1]}" (one of ${IKE_HASHES.map((h) => h.name).join(', ')})`);
  return { cipher, hash, name: `${cipher.name}-${hash.name}` };
}

/** Parses an `ESP proposals` token such as `aes128-sha1` or `null-sha1`. */
export function parseEspProposal(token: string): EspProposal {
  const pair = splitPair(token);
  if (!pair) throw new Error(`"${token}" is not cipher-hash (e.g. aes256-sha1)`);
  const cipher = ESP_CIPHERS[pair[0]];
  if (!cipher) throw new Error(`unknown ESP cipher "${pair[0]}" (one of ${Object.keys(ESP_CIPHERS).join(', ')})`);
  const auth = ESP_AUTHS[pair[1]];
  if (auth === undefined) throw new Error(`unknown ESP hash "${pair[1]}" (one of ${Object.keys(ESP_AUTHS).join(', ')})`);
  return { transformId: cipher.id, keyBits: cipher.keyBits, auth, name: `${pair[0]}-${pair[1]}` };
}

/** Parses a DH group as vpnc names them (`dh2`) or as a bare number (`2`), MODP or ECP. */
export function parseDhGroup(token: string): number {
  const m = /^(?:dh)?(\d+)$/i.exec(token);
  const n = m ? Number(m[1]) : NaN;
  if (!Object.hasOwn(DH_GROUP_SPEC, n)) {
    throw new Error(`unknown DH group "${token}" (one of ${Object.keys(DH_GROUP_SPEC).map((g) => `dh${g}`).join(', ')})`);
  }
  return n;
}

/** The IKE proposals used when the config names none: strong ones only, as vpnc refuses weak picks. */
export const DEFAULT_IKE_PROPOSALS: readonly string[] = ['aes256-sha1', 'aes192-sha1', 'aes128-sha1'];
/** The ESP proposals used when the config names none. */
export const DEFAULT_ESP_PROPOSALS: readonly string[] = ['aes256-sha1', 'aes192-sha1', 'aes128-sha1'];
/** The DH groups accepted when the config names none: vpnc's MODP groups. */
export const DEFAULT_DH_GROUPS: readonly number[] = [2, 5, 14, 15, 16, 17, 18];
