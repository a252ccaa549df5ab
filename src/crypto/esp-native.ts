/**
 * The native ESP seal/open (native/esp_crypto.cc in the packet I/O addon): one set of OpenSSL contexts per SA
 * direction, keyed once, re-initialised per packet with the IV only, working in place in the caller's Buffer.
 * It does what `esp-cipher.ts` does with node:crypto, byte for byte, without the per-packet Hmac and Cipheriv
 * objects and output Buffers node:crypto needs (the "Native/Binding" pattern: the two are tested pairwise).
 *
 * Covered: AES-CBC-128/192/256 with HMAC-MD5-96, HMAC-SHA1-96, HMAC-SHA2-256-128 or no integrity, and
 * AES-GCM-16. 3DES and NULL stay on node:crypto. CBC always encrypts with the IV bytes it finds in the packet
 * (the caller writes fresh random ones), so `ivMode` does not apply: re-keying a native context with a new IV
 * costs nothing, which is what `whitened` mode works around in JS.
 */
import { createRequire } from 'node:module';
import type { EspCipher, EspCipherParams, OpenResult } from './esp-suite.js';

/** Environment variable that, set to `1`, keeps every SA on the node:crypto path. */
export const NO_NATIVE_CRYPTO_ENV = 'VPNC_TS_NO_NATIVE_CRYPTO';

/** One SA direction's contexts as the addon exposes them. */
interface NativeEspContext {
  /** Returns a {@link SealStatus}. */
  seal(buf: Buffer, espOff: number, textLength: number): number;
  /** Returns an OpenResult number. */
  open(buf: Buffer, espOff: number, textLength: number): number;
}

/** The part of the addon this module uses. */
interface EspCryptoBinding {
  EspSaCrypto: new (
    cipher: string,
    encKey: Buffer,
    salt: Buffer,
    hash: string,
    authKey: Buffer,
    icvLength: number,
  ) => NativeEspContext;
  /** OpenSSL_version() of the library the addon runs on (Node's own). */
  readonly opensslVersion: string;
}

/** What the addon's `seal` returns (native/esp_crypto.h EspSealStatus). */
const SealStatus = {
  OK: 0,
  OUT_OF_RANGE: 1,
  NOT_WHOLE_BLOCKS: 2,
  FAILED: 3,
} as const;

const ADDON_PATH = '../../build/Release/packet_io.node';
/** undefined: not tried yet; null: no addon, or one without ESP crypto. */
let binding: EspCryptoBinding | null | undefined;

/** Loads the addon once (relative to src/crypto or dist/crypto alike); null when it is missing or too old. */
function loadEspBinding(): EspCryptoBinding | null {
  if (binding !== undefined) return binding;
  try {
    const loaded = createRequire(import.meta.url)(ADDON_PATH) as Partial<EspCryptoBinding>;
    binding = typeof loaded.EspSaCrypto === 'function' ? (loaded as EspCryptoBinding) : null;
  } catch {
    binding = null;
  }
  return binding;
}

/** True when `env` asks for node:crypto only (`VPNC_TS_NO_NATIVE_CRYPTO=1`). */
export function nativeCryptoDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[NO_NATIVE_CRYPTO_ENV] === '1';
}

/** OpenSSL version string of the native path, or null when the addon provides no ESP crypto. */
export function nativeEspCryptoVersion(): string | null {
  return loadEspBinding()?.opensslVersion ?? null;
}

/** True if the native path implements this transform (AES-CBC with or without HMAC, AES-GCM). */
export function nativeSupports(p: EspCipherParams): boolean {
  if (p.cipher === 'aes-gcm') return p.hash === null && p.ivLength === 8;
  return p.cipher === 'aes-cbc' && p.ivLength === 16;
}

/** Seal/open through one native SA context; see the module comment. */
class NativeEspCipher implements EspCipher {
  constructor(private readonly ctx: NativeEspContext) {}

  seal(buf: Buffer, espOff: number, textLength: number): void {
    const status = this.ctx.seal(buf, espOff, textLength);
    if (status !== SealStatus.OK) throw new RangeError(sealFailure(status, textLength));
  }

  open(buf: Buffer, espOff: number, textLength: number): OpenResult {
    return this.ctx.open(buf, espOff, textLength) as OpenResult;
  }
}

/** Message for a seal the addon refused (a caller's mistake, as the same call throws on the JS path). */
function sealFailure(status: number, textLength: number): string {
  switch (status) {
    case SealStatus.OUT_OF_RANGE:
      return `ESP seal: ${textLength} bytes of text and the ICV do not fit in the buffer`;
    case SealStatus.NOT_WHOLE_BLOCKS:
      return `ESP seal: ${textLength} bytes are not whole cipher blocks`;
    default:
      return 'ESP seal: OpenSSL failed';
  }
}

/**
 * The native seal/open pair for one SA direction, or null when the addon is not there or lacks the transform
 * (the caller then uses node:crypto). Throws RangeError on keys or lengths the transform cannot take.
 */
export function createNativeEspCipher(p: EspCipherParams): EspCipher | null {
  if (!nativeSupports(p)) return null;
  const b = loadEspBinding();
  if (b === null) return null;
  const icvLength = p.hash === null && p.cipher !== 'aes-gcm' ? 0 : p.icvLength;
  return new NativeEspCipher(new b.EspSaCrypto(p.cipher, p.encKey, p.salt, p.hash ?? '', p.authKey, icvLength));
}
