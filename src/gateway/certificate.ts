/**
 * The gateway's own certificate and key, and the CAs whose clients it accepts, for main mode with RSA signatures
 * (`Certificate`, `Private key`, `Client CA` in its configuration). Read once when the configuration is parsed,
 * each file at its line, so that a file that cannot be read or parsed is an error naming the line. The private
 * key is an unencrypted PEM (PKCS#1 or PKCS#8): the gateway is a test tool and starts without a terminal.
 */
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePemCertificates, subjectOf, type TrustAnchors } from '../ike/cert-verify.js';

/** What main mode needs: our chain (DER, ours first), its key, and the anchors a client's chain must reach. */
export interface GatewayCertificate {
  readonly chain: readonly Buffer[];
  readonly leaf: X509Certificate;
  readonly key: KeyObject;
  readonly clientTrust: TrustAnchors;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    throw new Error(`cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** The certificates of a PEM file, at least one. */
export function readCertificates(path: string): X509Certificate[] {
  const skipped: string[] = [];
  const certs = parsePemCertificates(read(path), (reason) => skipped.push(reason));
  if (skipped.length > 0) throw new Error(`${path}: a certificate in it cannot be parsed (${skipped[0]})`);
  if (certs.length === 0) throw new Error(`${path} holds no PEM certificate`);
  return certs;
}

/** An unencrypted PEM private key. */
export function readPrivateKey(path: string): KeyObject {
  const pem = read(path);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4, *ENCRYPTED/.test(pem)) throw new Error(`${path} is encrypted; the gateway takes an unencrypted key`);
  try {
    return createPrivateKey({ key: pem });
  } catch (err) {
    throw new Error(`${path} is not a PEM private key (${(err as Error).message})`);
  }
}

/** The three parts checked together: the key is the certificate's, an RSA key (IKEv1 RSA signatures). */
export function gatewayCertificate(chain: readonly X509Certificate[], key: KeyObject, clientCas: readonly X509Certificate[], configuredBy: string): GatewayCertificate {
  const leaf = chain[0]!;
  const ours = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!leaf.publicKey.export({ type: 'spki', format: 'der' }).equals(ours)) throw new Error(`the private key is not the key of the certificate "${subjectOf(leaf)}"`);
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`the key of "${subjectOf(leaf)}" is ${key.asymmetricKeyType ?? 'unknown'}; IKEv1 RSA signatures need RSA`);
  return { chain: chain.map((c) => c.raw), leaf, key, clientTrust: { anchors: clientCas, configuredBy } };
}
