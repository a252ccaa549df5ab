/**
 * Checking a peer's certificate proof: the gateway's in hybrid authentication (draft-ietf-ipsec-isakmp-hybrid-auth,
 * as vpnc does it) and in main mode with signatures, and, in the project's gateway, a client's in main mode (the
 * role names whose certificate it is in the messages). The peer proves itself with an X.509 certificate chain
 * (CERT payloads, encoding 4 "X.509 Certificate - Signature") and an RSA signature of its hash (SIG payload:
 * HASH_R of a gateway, HASH_I of a client). IKEv1 signs without a DigestInfo: the SIG is the hash padded with
 * PKCS#1 v1.5 block type 1 and "encrypted" with the private key, so checking it means decrypting it with the leaf
 * certificate's public key and comparing the result with the expected hash.
 *
 * Pure: certificates and trust anchors come in as bytes or parsed objects, the time as an argument.
 */
import { constants, publicDecrypt, timingSafeEqual, X509Certificate } from 'node:crypto';
import { AuthError } from '../errors.js';

/** How many issuers above the leaf a chain may have before we give up (OpenSSL's default depth is 100). */
const MAX_CHAIN_DEPTH = 10;

const PEM_CERTIFICATE = /-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----[\s\S]*?-----END (?:X509 |TRUSTED )?CERTIFICATE-----/g;

/** What judging a peer's certificate needs. */
export interface TrustAnchors {
  /** Trusted CA certificates (the client's CA-File and CA-Dir; the gateway's Client CA). */
  readonly anchors: readonly X509Certificate[];
  /** Where the anchors are configured, for the message when none issued a certificate (default "CA-File / CA-Dir"). */
  readonly configuredBy?: string;
  /** The time certificates must be valid at (tests inject it); default now. */
  readonly now?: () => Date;
}

/**
 * Whose certificate is judged: the gateway's (hybrid and certificate authentication, in the client) or a client's
 * (certificate authentication, in the project's gateway). The word starts the messages.
 */
export type CertificateRole = 'gateway' | 'client';

/**
 * Every certificate in a PEM text (a CA bundle or one hashed-name file), in order. Blocks that do not parse
 * are skipped, as OpenSSL skips them when loading a directory; `onSkip` hears about them.
 */
export function parsePemCertificates(pem: string, onSkip: (reason: string) => void = () => {}): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of pem.match(PEM_CERTIFICATE) ?? []) {
    try {
      out.push(new X509Certificate(block.replace(/(X509|TRUSTED) CERTIFICATE/g, 'CERTIFICATE')));
    } catch (err) {
      onSkip((err as Error).message);
    }
  }
  return out;
}

/** The gateway's certificates from its CERT payloads (DER). A certificate that does not parse is an AuthError. */
export function parseDerCertificates(ders: readonly Buffer[], role: CertificateRole = 'gateway'): X509Certificate[] {
  return ders.map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch (err) {
      throw new AuthError(`${role} certificate ${i + 1} of ${ders.length} cannot be parsed: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** A one-line name for messages: the subject DN on one line. */
export function subjectOf(cert: X509Certificate): string {
  return oneLine(cert.subject);
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

/** Does `issuer` name-match and signature-match as the issuer of `cert`? */
function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

/**
 * The end-entity certificate among those the gateway sent: the one that issued none of the others (vpnc takes
 * the position in the payload order on trust; gateways differ in that order, the issuing relation does not).
 * Among several candidates a non-CA certificate wins, then the first.
 */
export function pickLeaf(certs: readonly X509Certificate[], role: CertificateRole = 'gateway'): X509Certificate {
  if (certs.length === 0) throw new AuthError(`${role} sent no X.509 certificate (CERT payload)${role === 'gateway' ? ' for hybrid authentication' : ''}`);
  const candidates = certs.filter((c) => !certs.some((other) => other !== c && other.checkIssued(c)));
  const pool = candidates.length > 0 ? candidates : certs;
  return pool.find((c) => !c.ca) ?? pool[0]!;
}

/** Throws unless `cert` is valid at `now`. */
function checkValidity(cert: X509Certificate, now: Date, role: string): void {
  const from = new Date(cert.validFrom);
  const to = new Date(cert.validTo);
  if (now < from) throw new AuthError(`${role} certificate "${subjectOf(cert)}" is not yet valid (valid from ${cert.validFrom})`);
  if (now > to) throw new AuthError(`${role} certificate "${subjectOf(cert)}" has expired (valid until ${cert.validTo})`);
}

/** The explanation when no trusted issuer or presented intermediate issued `cert`. */
function noIssuerReason(cert: X509Certificate, candidates: readonly X509Certificate[], configuredBy: string): string {
  const named = candidates.filter((c) => cert.checkIssued(c));
  if (named.length > 0) {
    return `its signature does not verify with the key of "${subjectOf(named[0]!)}" (issuer name matches, key does not)`;
  }
  return `its issuer "${oneLine(cert.issuer)}" is not a trusted CA (check ${configuredBy})`;
}

/**
 * Builds and checks the chain leaf -> presented intermediates -> a trust anchor: every certificate valid at
 * `now`, every link signed by the next certificate's key, every issuer a CA. Returns the chain, leaf first,
 * anchor last. Throws AuthError naming the certificate and the reason.
 */
export function verifyChain(presented: readonly X509Certificate[], trust: TrustAnchors, role: CertificateRole = 'gateway'): X509Certificate[] {
  const now = trust.now?.() ?? new Date();
  const leaf = pickLeaf(presented, role);
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH; depth++) {
    checkValidity(current, now, depth === 0 ? role : 'intermediate CA');
    if (trust.anchors.some((a) => a.fingerprint256 === current.fingerprint256)) return chain;
    const anchor = trust.anchors.find((a) => a.ca && issuedBy(current, a));
    if (anchor) {
      checkValidity(anchor, now, 'trusted CA');
      chain.push(anchor);
      return chain;
    }
    const next = presented.find((c) => c.ca && !chain.includes(c) && issuedBy(current, c));
    if (!next) {
      const prefix = current === leaf ? `${role} certificate` : `${role} certificate "${subjectOf(leaf)}": intermediate CA`;
      throw new AuthError(`${prefix} "${subjectOf(current)}" is not trusted: ${noIssuerReason(current, [...trust.anchors, ...presented], trust.configuredBy ?? 'CA-File / CA-Dir')}`);
    }
    chain.push(next);
    current = next;
  }
  throw new AuthError(`${role} certificate "${subjectOf(leaf)}": chain longer than ${MAX_CHAIN_DEPTH} certificates`);
}

/**
 * Checks a peer's SIG payload: decrypts it with the leaf's RSA public key (PKCS#1 v1.5 type 1, no DigestInfo)
 * and compares the result with the expected hash (HASH_R of a gateway, HASH_I of a client). Throws AuthError on
 * any mismatch.
 */
export function verifySignedHash(leaf: X509Certificate, signature: Buffer, expectedHash: Buffer, role: CertificateRole = 'gateway'): void {
  const who = subjectOf(leaf);
  const hashName = role === 'gateway' ? 'HASH_R' : 'HASH_I';
  if (leaf.publicKey.asymmetricKeyType !== 'rsa') {
    throw new AuthError(`${role} certificate "${who}" has a ${leaf.publicKey.asymmetricKeyType ?? 'unknown'} key; ${role === 'gateway' ? 'hybrid(rsa)' : 'RSA signatures'} need${role === 'gateway' ? 's' : ''} RSA`);
  }
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: leaf.publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch (err) {
    throw new AuthError(`the ${role}'s signature does not verify with the key of "${who}" (not a PKCS#1 signature by that key)`, { cause: err });
  }
  if (recovered.length !== expectedHash.length || !timingSafeEqual(recovered, expectedHash)) {
    throw new AuthError(`the ${role}'s signature does not match ${hashName} (key of "${who}"): the hash-value decrypted from the signature and the expected one differ`);
  }
}

/**
 * A peer's certificate authentication in one call: parse its certificates, verify the chain against the trust
 * anchors, then the signature over the hash it signs. Returns the chain (leaf first).
 */
export function authenticatePeer(certDers: readonly Buffer[], signature: Buffer, expectedHash: Buffer, trust: TrustAnchors, role: CertificateRole = 'gateway'): X509Certificate[] {
  const chain = verifyChain(parseDerCertificates(certDers, role), trust, role);
  verifySignedHash(chain[0]!, signature, expectedHash, role);
  return chain;
}

/** Hybrid and certificate authentication of the gateway (the client's side). */
export function authenticateGateway(certDers: readonly Buffer[], signature: Buffer, expectedHash: Buffer, trust: TrustAnchors): X509Certificate[] {
  return authenticatePeer(certDers, signature, expectedHash, trust, 'gateway');
}
