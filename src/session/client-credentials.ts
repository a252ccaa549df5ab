/**
 * Our certificate and private key for `--auth-mode cert`, read once at the start and kept in memory (a
 * re-authentication signs again without asking): a PEM chain (`--cert`) with a PEM key (`--key`, PKCS#1 or
 * PKCS#8, encrypted or not; or in the same file), or a PKCS#12 bundle (`--cert` alone). The password of an
 * encrypted key or a PKCS#12 file comes from `--cert-password` or a prompt. node:crypto reads the PEM forms;
 * PKCS#12 is read with node-forge, which node:crypto cannot do (docs/decisions.md).
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import type { VpncConfig } from '../config/validate.js';
import { ConfigError } from '../errors.js';
import { parsePemCertificates, subjectOf } from '../ike/cert-verify.js';
import type { ClientCredentials } from '../ike/exchanges/main-mode.js';
import type { SecretPrompt } from './phase1.js';

/** A password when one is needed: the profile's, else asked (null when it cannot be). */
type PasswordSource = (file: string) => Promise<string>;

function readOrFail(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
}

function isPem(b: Buffer): boolean {
  return b.subarray(0, 4096).toString('latin1').includes('-----BEGIN ');
}

async function pemKey(pem: string, file: string, password: PasswordSource): Promise<KeyObject> {
  // PKCS#8 "ENCRYPTED PRIVATE KEY" or the traditional "Proc-Type: 4,ENCRYPTED" header.
  const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED/.test(pem);
  if (!encrypted) {
    try {
      return createPrivateKey({ key: pem });
    } catch (err) {
      throw new ConfigError(`${file}: not a private key we can read (${(err as Error).message})`);
    }
  }
  const passphrase = await password(file);
  try {
    return createPrivateKey({ key: pem, passphrase });
  } catch {
    throw new ConfigError(`${file}: the password does not decrypt the private key`);
  }
}

function pkcs12(bytes: Buffer, file: string, passphrase: string): { certs: X509Certificate[]; key: KeyObject } {
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.createBuffer(bytes.toString('binary'))), passphrase);
  } catch (err) {
    const m = (err as Error).message;
    throw new ConfigError(`${file}: ${/password|MAC/i.test(m) ? 'the password does not open the PKCS#12 file' : `neither PEM nor PKCS#12 (${m})`}`);
  }
  const bagsOf = (type: string) => p12.getBags({ bagType: type })[type] ?? [];
  const certs = bagsOf(forge.pki.oids.certBag!).flatMap((b) => (b.cert ? [new X509Certificate(forge.pki.certificateToPem(b.cert))] : []));
  const keyBag = [...bagsOf(forge.pki.oids.pkcs8ShroudedKeyBag!), ...bagsOf(forge.pki.oids.keyBag!)].find((b) => b.key);
  if (!keyBag?.key) throw new ConfigError(`${file}: the PKCS#12 file holds no private key`);
  return { certs, key: createPrivateKey(forge.pki.privateKeyToPem(keyBag.key)) };
}

/** Loads our chain (ours first, then the others of the file) and key; throws ConfigError naming the file. */
export async function loadClientCredentials(c: Pick<VpncConfig, 'certFile' | 'keyFile' | 'certPassword' | 'nonInteractive' | 'passwordHelper'>, ask: SecretPrompt): Promise<ClientCredentials> {
  const certFile = c.certFile;
  if (!certFile) throw new ConfigError('IKE Authmode cert needs our certificate: --cert FILE ("IPSec certificate" in a profile)');
  const password: PasswordSource = async (file) => {
    if (c.certPassword !== undefined) return c.certPassword;
    // A password helper asks nobody: it answers under --non-inter too.
    if (c.nonInteractive && !c.passwordHelper) throw new ConfigError(`${file} is encrypted and --non-inter forbids asking for its password (--cert-password or --password-helper)`);
    const answer = await ask(`Enter password for ${file}: `);
    if (answer === null) throw new ConfigError(`${file} is encrypted and no password could be had`);
    return answer;
  };
  const bytes = readOrFail(certFile, 'certificate file');
  let certs: X509Certificate[];
  let key: KeyObject;
  if (isPem(bytes)) {
    const text = bytes.toString('utf8');
    certs = parsePemCertificates(text);
    const keyFile = c.keyFile ?? certFile;
    const keyText = c.keyFile ? readOrFail(c.keyFile, 'private key file').toString('utf8') : text;
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(keyText)) throw new ConfigError(`${keyFile}: no private key in it (give one with --key FILE)`);
    key = await pemKey(keyText, keyFile, password);
  } else {
    ({ certs, key } = pkcs12(bytes, certFile, await password(certFile)));
  }
  if (certs.length === 0) throw new ConfigError(`${certFile}: no certificate in it`);
  if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(`${c.keyFile ?? certFile}: a ${key.asymmetricKeyType ?? 'unknown'} key; certificate authentication signs with RSA`);
  const ours = createPublicKey(key).export({ type: 'spki', format: 'der' });
  const leaf = certs.find((x) => x.publicKey.export({ type: 'spki', format: 'der' }).equals(ours));
  if (!leaf) throw new ConfigError(`${certFile}: no certificate in it matches the private key${certs[0] ? ` (the first is "${subjectOf(certs[0])}")` : ''}`);
  const now = Date.now();
  if (Date.parse(leaf.validTo) < now) throw new ConfigError(`${certFile}: our certificate "${subjectOf(leaf)}" expired on ${leaf.validTo}`);
  if (Date.parse(leaf.validFrom) > now) throw new ConfigError(`${certFile}: our certificate "${subjectOf(leaf)}" is not valid before ${leaf.validFrom}`);
  return { chain: [leaf, ...certs.filter((x) => x !== leaf)].map((x) => x.raw), key };
}
