/**
 * Whether a verified certificate is the gateway's, not merely one the trusted CA issued: it names the gateway we
 * connect to (a subjectAltName IP equal to its address, or a DNS name / CN matching the name we were given), it
 * may serve (an extended key usage, when present, allows a server or IKE), and the ID the gateway sent (IDir) is
 * one of the certificate's. Without these checks any certificate of the CA would do, another user's client
 * certificate included (RFC 4945 3.1, 4.1.3.12). vpnc checks none of it. The project's gateway judges a client's
 * certificate the same way (checkClientIdentity): a client's usage, and IDii one of its names.
 */
import { X509Certificate } from 'node:crypto';
import { AuthError } from '../errors.js';
import { subjectOf } from './cert-verify.js';
import { IdType } from './constants.js';
import { keyUsageOf, subjectDer } from './der-name.js';
import type { IdPayload } from './payloads/id.js';
import { formatIpv4Bytes } from '../wire/ipv4-text.js';

/** Who the gateway must be: the address we send to, and the host name it was configured by (none for an address). */
export interface GatewayIdentity {
  readonly address: string;
  readonly name?: string | undefined;
}

/** Extended key usages that allow a gateway: serverAuth, ipsecIKE (RFC 4945), iKEIntermediate, anyExtendedKeyUsage. */
const GATEWAY_USAGES = ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.17', '1.3.6.1.5.5.8.2.2', '2.5.29.37.0'];

/** Extended key usages that allow a client: clientAuth, ipsecIKE, anyExtendedKeyUsage. */
const CLIENT_USAGES = ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.17', '2.5.29.37.0'];

/**
 * The certificate's usages allow its role: an extended key usage, when present, one of `allowed` (else it is
 * "not `whose`: ... allows no `uses`"), and the key usage signing (RFC 4945 5.1.3.2).
 */
function checkUsages(leaf: X509Certificate, who: string, allowed: readonly string[], whose: string, uses: string): void {
  const usages = leaf.keyUsage;
  if (usages && usages.length > 0 && !usages.some((u) => allowed.includes(u))) {
    throw new AuthError(`the certificate "${who}" is not ${whose}: its extended key usage (${usages.join(', ')}) allows no ${uses} use`);
  }
  checkSigningUsage(leaf, who);
}

/** RFC 4945 5.1.3.2: with a keyUsage extension, digitalSignature or nonRepudiation must be set for the key to sign IKE. */
function checkSigningUsage(leaf: X509Certificate, who: string): void {
  let usage;
  try {
    usage = keyUsageOf(leaf.raw);
  } catch (err) {
    throw new AuthError(`the certificate "${who}": its key usage cannot be read (${(err as Error).message})`, { cause: err });
  }
  if (usage && !usage.digitalSignature && !usage.nonRepudiation) {
    throw new AuthError(`the certificate "${who}" may not sign: its key usage has neither digitalSignature nor nonRepudiation`);
  }
}

/** A node:crypto check that throws (TypeError "Invalid name") for names it cannot parse: those match nothing. */
function matches(check: () => string | undefined): boolean {
  try {
    return check() !== undefined;
  } catch {
    return false;
  }
}

function idMatches(id: IdPayload, leaf: X509Certificate): boolean {
  const text = id.data.toString('latin1');
  switch (id.idType) {
    case IdType.IPV4_ADDR:
      return id.data.length === 4 && matches(() => leaf.checkIP(formatIpv4Bytes(id.data)));
    case IdType.FQDN:
      return matches(() => leaf.checkHost(text));
    case IdType.USER_FQDN:
      return matches(() => leaf.checkEmail(text));
    case IdType.DER_ASN1_DN:
      return matches(() => (subjectDer(leaf.raw).equals(id.data) ? 'dn' : undefined));
    default:
      return false;
  }
}

/** Throws AuthError naming what does not fit unless `leaf` (already verified up to a trust anchor) is the gateway's. */
export function checkGatewayIdentity(leaf: X509Certificate, expected: GatewayIdentity, idR?: IdPayload): void {
  const who = subjectOf(leaf);
  checkUsages(leaf, who, GATEWAY_USAGES, "a gateway's", 'server or IKE');
  const named = matches(() => leaf.checkIP(expected.address)) || (expected.name !== undefined && matches(() => leaf.checkHost(expected.name!)));
  if (!named) {
    const alt = leaf.subjectAltName ? `; it names ${leaf.subjectAltName}` : '; it has no subjectAltName';
    throw new AuthError(`the certificate "${who}" does not name the gateway ${expected.name ? `${expected.name} (${expected.address})` : expected.address}${alt}`);
  }
  if (idR && !idMatches(idR, leaf)) {
    throw new AuthError(`the gateway's ID (type ${idR.idType}) is not one of its certificate "${who}"`);
  }
}

/** Throws AuthError naming what does not fit unless `leaf` (verified up to a trust anchor) may be the client that sent `idI`. */
export function checkClientIdentity(leaf: X509Certificate, idI: IdPayload): void {
  const who = subjectOf(leaf);
  checkUsages(leaf, who, CLIENT_USAGES, "a client's", 'client or IKE');
  if (!idMatches(idI, leaf)) throw new AuthError(`the client's ID (type ${idI.idType}) is not one of its certificate "${who}"`);
}
