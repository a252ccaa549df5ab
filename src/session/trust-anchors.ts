/**
 * Loads the CA certificates hybrid authentication trusts, as vpnc hands them to its TLS library: every
 * certificate of `CA-File` (a PEM bundle) and of the PEM files in `CA-Dir` (an OpenSSL hashed-name directory
 * such as /etc/ssl/certs: `<hash>.0` links and `*.pem` files; duplicates are kept once).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { X509Certificate } from 'node:crypto';
import { parsePemCertificates } from '../ike/cert-verify.js';
import { ConfigError } from '../errors.js';

/** Where the trusted CAs live (config keys CA-File and CA-Dir). */
export interface TrustLocations {
  readonly caFile: string | undefined;
  readonly caDir: string | undefined;
}

/** File names in a CA directory worth reading: hashed names (`1a2b3c4d.0`) and PEM/CRT files. */
const CA_DIR_ENTRY = /^(?:[0-9a-f]{8}\.\d+|.*\.(?:pem|crt))$/i;

/** Reads the CA file; a missing or certificate-less file is a ConfigError (exit 1). */
function readCaFile(path: string, onSkip: (m: string) => void): X509Certificate[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read CA-File ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  const certs = parsePemCertificates(text, (m) => onSkip(`${path}: ${m}`));
  if (certs.length === 0) throw new ConfigError(`CA-File ${path} holds no PEM certificate`);
  return certs;
}

/** Reads the PEM certificates of a CA directory; a missing directory yields none (the chain check then says so). */
function readCaDir(dir: string, onSkip: (m: string) => void): X509Certificate[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => CA_DIR_ENTRY.test(n)).sort();
  } catch (err) {
    onSkip(`CA-Dir ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return [];
  }
  const out: X509Certificate[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (!statSync(path).isFile()) continue;
      out.push(...parsePemCertificates(readFileSync(path, 'utf8'), (m) => onSkip(`${path}: ${m}`)));
    } catch (err) {
      onSkip(`${path}: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The trust anchors from CA-File and CA-Dir, deduplicated by fingerprint, CA-File first. `onSkip` hears about
 * unreadable entries (debug log).
 */
export function loadTrustAnchors(where: TrustLocations, onSkip: (message: string) => void = () => {}): X509Certificate[] {
  const all = [...(where.caFile ? readCaFile(where.caFile, onSkip) : []), ...(where.caDir ? readCaDir(where.caDir, onSkip) : [])];
  const seen = new Set<string>();
  return all.filter((c) => !seen.has(c.fingerprint256) && seen.add(c.fingerprint256));
}
