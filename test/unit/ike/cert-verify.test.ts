/**
 * Hybrid authentication's certificate checks with a PKI the test makes with the openssl CLI: chain building
 * (leaf -> intermediate -> trusted root, in any payload order), untrusted issuers, bad issuer signatures,
 * validity dates, and the RSA signature of HASH_R (PKCS#1 type 1 without DigestInfo).
 */
import { constants, createHash, privateEncrypt, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import {
  authenticateGateway, parseDerCertificates, parsePemCertificates, pickLeaf, subjectOf, verifyChain, verifySignedHash,
} from '../../../src/ike/cert-verify.js';
import { makePki, type Pki } from '../../helpers/pki.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
}, 60_000);
afterAll(() => pki.remove());

const x = (der: Buffer) => new X509Certificate(der);
const sign = (keyPem: string, hash: Buffer) => privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, hash);
const HASH_R = createHash('sha1').update('HASH_R stand-in').digest();

function authError(fn: () => unknown): AuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error('nothing was thrown');
}

describe('parsing', () => {
  it('reads every certificate of a PEM bundle, also TRUSTED/X509 labels, and skips broken blocks', () => {
    const skipped: string[] = [];
    const trusted = pki.root.certPem.replace(/CERTIFICATE/g, 'TRUSTED CERTIFICATE');
    const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const certs = parsePemCertificates(`junk\n${pki.intermediate.certPem}${broken}${trusted}`, (m) => skipped.push(m));
    expect(certs.map(subjectOf)).toEqual(['O=vpnc-ts test, CN=Test Intermediate CA', 'O=vpnc-ts test, CN=Test Root CA']);
    expect(skipped).toHaveLength(1);
    expect(parsePemCertificates('no certificates here')).toEqual([]);
  });

  it('a CERT payload that is not DER X.509 is an AuthError naming its position', () => {
    expect(parseDerCertificates([pki.gateway.der]).map(subjectOf)).toEqual(['O=vpnc-ts test, CN=gw.example.test']);
    expect(authError(() => parseDerCertificates([pki.gateway.der, Buffer.from('3003020100', 'hex')])).message).toMatch(
      /^gateway certificate 2 of 2 cannot be parsed: /,
    );
  });
});

describe('pickLeaf', () => {
  it('takes the certificate that issued none of the others, whatever the order', () => {
    const leaf = x(pki.gateway.der);
    const inter = x(pki.intermediate.der);
    expect(pickLeaf([leaf, inter])).toBe(leaf);
    expect(pickLeaf([inter, leaf])).toBe(leaf);
    expect(pickLeaf([x(pki.root.der), inter, leaf])).toBe(leaf);
    expect(authError(() => pickLeaf([])).message).toBe('gateway sent no X.509 certificate (CERT payload) for hybrid authentication');
  });
});

describe('verifyChain', () => {
  it('leaf -> intermediate (sent by the gateway) -> trusted root', () => {
    const chain = verifyChain([x(pki.intermediate.der), x(pki.gateway.der)], { anchors: [x(pki.root.der)] });
    expect(chain.map(subjectOf)).toEqual(['O=vpnc-ts test, CN=gw.example.test', 'O=vpnc-ts test, CN=Test Intermediate CA', 'O=vpnc-ts test, CN=Test Root CA']);
  });

  it('leaf straight under a trusted root, among unrelated anchors; a trusted intermediate is enough too', () => {
    const anchors = [x(pki.otherRoot.der), x(pki.root.der)];
    expect(verifyChain([x(pki.gatewayByRoot.der)], { anchors }).map(subjectOf)).toEqual(['O=vpnc-ts test, CN=gw-direct.example.test', 'O=vpnc-ts test, CN=Test Root CA']);
    expect(verifyChain([x(pki.gateway.der)], { anchors: [x(pki.intermediate.der)] })).toHaveLength(2);
  });

  it('a leaf that is itself trusted stands alone', () => {
    expect(verifyChain([x(pki.gateway.der)], { anchors: [x(pki.gateway.der)] })).toHaveLength(1);
  });

  it('a leaf from another CA is refused, naming the subject and the untrusted issuer', () => {
    const e = authError(() => verifyChain([x(pki.gatewayByOther.der)], { anchors: [x(pki.root.der)] }));
    expect(e.message).toBe(
      'gateway certificate "O=Someone Else, CN=gw.other.test" is not trusted: its issuer "O=Someone Else, CN=Other Root CA" is not a trusted CA (check CA-File / CA-Dir)',
    );
    expect(e.code).toBe('VPNC_ERR_AUTH');
  });

  it('a missing intermediate leaves the chain short of the root', () => {
    const e = authError(() => verifyChain([x(pki.gateway.der)], { anchors: [x(pki.root.der)] }));
    expect(e.message).toMatch(/^gateway certificate "O=vpnc-ts test, CN=gw.example.test" is not trusted: its issuer "O=vpnc-ts test, CN=Test Intermediate CA" is not a trusted CA/);
  });

  it('an intermediate that does not chain on is named as such', () => {
    const e = authError(() => verifyChain([x(pki.gateway.der), x(pki.intermediate.der)], { anchors: [x(pki.otherRoot.der)] }));
    expect(e.message).toBe(
      'gateway certificate "O=vpnc-ts test, CN=gw.example.test": intermediate CA "O=vpnc-ts test, CN=Test Intermediate CA" is not trusted: its issuer "O=vpnc-ts test, CN=Test Root CA" is not a trusted CA (check CA-File / CA-Dir)',
    );
  });

  it('a leaf whose issuer signature was tampered with is refused although the issuer name matches', () => {
    const tampered = Buffer.from(pki.gatewayByRoot.der);
    tampered[tampered.length - 1]! ^= 0x01;
    const e = authError(() => verifyChain([x(tampered)], { anchors: [x(pki.root.der)] }));
    expect(e.message).toBe(
      'gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" is not trusted: its signature does not verify with the key of "O=vpnc-ts test, CN=Test Root CA" (issuer name matches, key does not)',
    );
  });

  it('a gateway certificate cannot act as an issuer (not a CA)', () => {
    // Trusting only a leaf does not make what it "issued" trusted: the anchor must be a CA.
    expect(() => verifyChain([x(pki.gateway.der)], { anchors: [x(pki.gatewayByRoot.der)] })).toThrow(AuthError);
  });

  it('checks validity dates: expired and not yet valid leaf, expired anchor', () => {
    const leaf = x(pki.gatewayByRoot.der);
    const anchors = [x(pki.root.der)];
    const later = new Date(Date.now() + 20 * 365 * 86400_000);
    const earlier = new Date(Date.now() - 86400_000);
    expect(authError(() => verifyChain([leaf], { anchors, now: () => later })).message).toBe(
      `gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" has expired (valid until ${leaf.validTo})`,
    );
    expect(authError(() => verifyChain([leaf], { anchors, now: () => earlier })).message).toBe(
      `gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" is not yet valid (valid from ${leaf.validFrom})`,
    );
    // The test roots expire ten days before the certificates they issued: in between, the anchor is refused.
    const between = new Date(new Date(anchors[0]!.validTo).getTime() + 86400_000);
    expect(authError(() => verifyChain([leaf], { anchors, now: () => between })).message).toBe(
      `trusted CA certificate "O=vpnc-ts test, CN=Test Root CA" has expired (valid until ${anchors[0]!.validTo})`,
    );
  });
});

describe('verifySignedHash', () => {
  const leaf = () => x(pki.gateway.der);

  it('accepts HASH_R signed with the leaf key (PKCS#1 type 1, no DigestInfo)', () => {
    expect(() => verifySignedHash(leaf(), sign(pki.gateway.keyPem, HASH_R), HASH_R)).not.toThrow();
  });

  it('refuses a signature by another key, of another hash, or of another length', () => {
    expect(authError(() => verifySignedHash(leaf(), sign(pki.gatewayByRoot.keyPem, HASH_R), HASH_R)).message).toBe(
      'the gateway\'s signature does not verify with the key of "O=vpnc-ts test, CN=gw.example.test" (not a PKCS#1 signature by that key)',
    );
    const other = createHash('sha1').update('something else').digest();
    expect(authError(() => verifySignedHash(leaf(), sign(pki.gateway.keyPem, other), HASH_R)).message).toMatch(/does not match HASH_R/);
    expect(authError(() => verifySignedHash(leaf(), sign(pki.gateway.keyPem, HASH_R.subarray(0, 16)), HASH_R)).message).toMatch(/does not match HASH_R/);
    expect(authError(() => verifySignedHash(leaf(), Buffer.alloc(256, 7), HASH_R)).message).toMatch(/not a PKCS#1 signature/);
    expect(authError(() => verifySignedHash(leaf(), Buffer.alloc(0), HASH_R)).message).toMatch(/not a PKCS#1 signature/);
  });

  it('authenticateGateway: the chain, then the signature', () => {
    const anchors = { anchors: [x(pki.root.der)] };
    const ders = [pki.gateway.der, pki.intermediate.der];
    expect(authenticateGateway(ders, sign(pki.gateway.keyPem, HASH_R), HASH_R, anchors).map(subjectOf)[0]).toBe('O=vpnc-ts test, CN=gw.example.test');
    // Signed by the intermediate's key, not the leaf's: the chain is fine, the signature is not.
    expect(() => authenticateGateway(ders, sign(pki.intermediate.keyPem, HASH_R), HASH_R, anchors)).toThrow(/does not verify with the key of "O=vpnc-ts test, CN=gw.example.test"/);
  });
});
