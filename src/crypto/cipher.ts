/**
 * The block ciphers IKEv1 and ESP use, in CBC mode without padding (callers pad: IKE with zeros, ESP with its
 * own trailer). node:crypto does the work; single DES, which OpenSSL 3 only offers through its legacy provider,
 * falls back to node-forge when OpenSSL refuses it.
 *
 * Whether a weak cipher may be used at all (vpnc's --enable-weak-encryption) is the caller's policy; the
 * `weak` flag below only says which ones vpnc considers weak (single DES and 3DES).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import { VpncError } from '../errors.js';

/** Block size, key length (bytes), vpnc's weakness verdict and OpenSSL name of each cipher. */
export const CIPHER_SPEC = {
  des: { blockSize: 8, keyLength: 8, weak: true, openssl: 'des-cbc' },
  '3des': { blockSize: 8, keyLength: 24, weak: true, openssl: 'des-ede3-cbc' },
  aes128: { blockSize: 16, keyLength: 16, weak: false, openssl: 'aes-128-cbc' },
  aes192: { blockSize: 16, keyLength: 24, weak: false, openssl: 'aes-192-cbc' },
  aes256: { blockSize: 16, keyLength: 32, weak: false, openssl: 'aes-256-cbc' },
} as const;

/** A supported CBC cipher. */
export type CipherName = keyof typeof CIPHER_SPEC;

/** A cipher the runtime cannot provide (single DES with neither OpenSSL legacy support nor node-forge). */
export class CipherUnavailableError extends VpncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VPNC_ERR_CIPHER_UNAVAILABLE', message, options);
  }
}

/** The result of a CBC operation. */
export interface CbcResult {
  /** The output, a new Buffer of the input's length. */
  readonly data: Buffer;
  /** The last ciphertext block (of the output when encrypting, of the input when decrypting): the next IV
   * when messages are chained; a copy of the IV when the input is empty. */
  readonly lastBlock: Buffer;
}

/** True when `name` is a supported cipher. */
export function isCipherName(name: string): name is CipherName {
  return Object.hasOwn(CIPHER_SPEC, name);
}

/** Block size in bytes (also the IV length). */
export function blockSize(name: CipherName): number {
  return CIPHER_SPEC[name].blockSize;
}

/** Key length in bytes. */
export function keyLength(name: CipherName): number {
  return CIPHER_SPEC[name].keyLength;
}

/** CBC-encrypt `plaintext` (a whole number of blocks) with `key` and `iv`. */
export function cbcEncrypt(name: CipherName, key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): CbcResult {
  checkArguments(name, key, iv, plaintext);
  const data = runCbc(name, 'encrypt', key, iv, plaintext);
  return { data, lastBlock: lastBlockOf(data, iv, CIPHER_SPEC[name].blockSize) };
}

/** CBC-decrypt `ciphertext` (a whole number of blocks) with `key` and `iv`. */
export function cbcDecrypt(name: CipherName, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): CbcResult {
  checkArguments(name, key, iv, ciphertext);
  const lastBlock = lastBlockOf(ciphertext, iv, CIPHER_SPEC[name].blockSize);
  return { data: runCbc(name, 'decrypt', key, iv, ciphertext), lastBlock };
}

/** Where single DES comes from on this runtime, or `undefined` when it is unavailable. */
export function singleDesProvider(): 'openssl' | 'node-forge' | undefined {
  if (opensslHasSingleDes()) return 'openssl';
  return loadForge() === undefined ? undefined : 'node-forge';
}

function checkArguments(name: CipherName, key: Uint8Array, iv: Uint8Array, data: Uint8Array): void {
  const spec = CIPHER_SPEC[name];
  if (key.length !== spec.keyLength) {
    throw new RangeError(`${name}: key is ${key.length} bytes, expected ${spec.keyLength}`);
  }
  if (iv.length !== spec.blockSize) {
    throw new RangeError(`${name}: IV is ${iv.length} bytes, expected ${spec.blockSize}`);
  }
  if (data.length % spec.blockSize !== 0) {
    throw new RangeError(`${name}: input of ${data.length} bytes is not a multiple of the block size ${spec.blockSize}`);
  }
}

function lastBlockOf(data: Uint8Array, iv: Uint8Array, size: number): Buffer {
  const source = data.length === 0 ? iv : data.subarray(data.length - size);
  return Buffer.from(source);
}

function runCbc(name: CipherName, direction: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, input: Uint8Array): Buffer {
  if (name === 'des' && !opensslHasSingleDes()) return forgeDesCbc(direction, key, iv, input);
  const algorithm = CIPHER_SPEC[name].openssl;
  const cipher = direction === 'encrypt' ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  const head = cipher.update(input);
  const tail = cipher.final();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

let opensslDes: boolean | undefined;

/** OpenSSL 3 has single DES only when the legacy provider is loaded (e.g. node --openssl-legacy-provider). */
function opensslHasSingleDes(): boolean {
  if (opensslDes === undefined) {
    try {
      createCipheriv('des-cbc', Buffer.alloc(8), Buffer.alloc(8));
      opensslDes = true;
    } catch {
      opensslDes = false;
    }
  }
  return opensslDes;
}

type Forge = typeof import('node-forge');
let forge: Forge | null | undefined;

/** node-forge is loaded on first use only: it is large and only single DES needs it. */
function loadForge(): Forge | undefined {
  if (forge === undefined) {
    try {
      forge = createRequire(import.meta.url)('node-forge') as Forge;
    } catch {
      forge = null;
    }
  }
  return forge ?? undefined;
}

function forgeDesCbc(direction: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, input: Uint8Array): Buffer {
  const lib = loadForge();
  if (lib === undefined) {
    throw new CipherUnavailableError(
      'single DES is unavailable: OpenSSL 3 offers it only with its legacy provider (node --openssl-legacy-provider) and node-forge could not be loaded',
    );
  }
  const binary = (bytes: Uint8Array): string => Buffer.from(bytes).toString('binary');
  const keyBuffer = lib.util.createBuffer(binary(key));
  const cipher = direction === 'encrypt' ? lib.cipher.createCipher('DES-CBC', keyBuffer) : lib.cipher.createDecipher('DES-CBC', keyBuffer);
  cipher.start({ iv: binary(iv) });
  // Whole blocks are processed by update(); finish() is not called because it would add or strip padding.
  cipher.update(lib.util.createBuffer(binary(input)));
  return Buffer.from(cipher.output.getBytes(), 'binary');
}
