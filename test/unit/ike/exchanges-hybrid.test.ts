/**
 * Aggressive mode with hybrid authentication (HybridInitRSA), initiator side, against the hybrid test
 * responder: AM2 with CERT* + SIG -> chain and signature checked, SKEYID from the nonces, AM3 with HASH_I,
 * INITIAL-CONTACT and Cisco's PRESHARED_KEY_HASH; and every way the gateway's proof can be wrong.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ProtocolError } from '../../../src/errors.js';
import { Doi, ExchangeType, NotifyType, PayloadType, ProtocolId, VendorId } from '../../../src/ike/constants.js';
import type { AggressiveModeParams } from '../../../src/ike/exchanges/aggressive-mode.js';
import { IkeAuthMethod } from '../../../src/ike/ike-attributes.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { makePki, type Pki } from '../../helpers/pki.js';
import { FakeResponder } from './fake-responder.js';
import { HybridResponder, type HybridAm2Options } from './fake-hybrid-responder.js';
import { initiator, LOCAL, POLICY, PSK, REMOTE } from './established.js';
import { thrown } from '../../helpers/thrown.js';

let pki: Pki;
beforeAll(() => {
  pki = makePki();
}, 60_000);
afterAll(() => pki.remove());

const HYBRID = { ...POLICY, authMode: 'hybrid' as const };
const trustRoot = () => ({ anchors: [new X509Certificate(pki.root.der)] });
const gatewayProof = (): HybridAm2Options => ({ certs: [pki.gateway.der, pki.intermediate.der], keyPem: pki.gateway.keyPem });

function hybridInitiator(over: Partial<AggressiveModeParams> = {}) {
  return initiator({ policy: HYBRID, trust: trustRoot(), ...over });
}

/** AM1 -> hybrid AM2 -> AM3; returns both sides and AM3 as the responder read it. */
function run(am2: Partial<HybridAm2Options> = {}, over: Partial<AggressiveModeParams> = {}) {
  const init = hybridInitiator(over);
  const resp = new HybridResponder(PSK);
  const d = resp.answerHybridAm1(init.start(), { ...gatewayProof(), ...am2 });
  const result = init.receive(d, LOCAL, REMOTE);
  return { init, resp, result, am3: resp.readAm3(result.am3) };
}

describe('hybrid AM2 -> AM3', () => {
  it('verifies the chain and the signature, derives the signature SKEYID, and sends HASH_I, INITIAL-CONTACT and PRESHARED_KEY_HASH', () => {
    const { result, resp, am3 } = run();
    expect(result.sa.suite.authMethod).toBe(IkeAuthMethod.HybridInitRSA);
    expect(result.sa.suite.name).toBe('hybrid(rsa)-aes256-sha1');
    expect(result.sa.keys).toEqual(resp.keys);
    expect(result.gatewayChain).toEqual(['O=vpnc-ts test, CN=gw.example.test', 'O=vpnc-ts test, CN=Test Intermediate CA', 'O=vpnc-ts test, CN=Test Root CA']);
    const spi = Buffer.concat([result.sa.cookieI, resp.ckyR]);
    expect(am3.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.NOTIFICATION, PayloadType.NOTIFICATION, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID]);
    expect(am3[1]).toEqual({ type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.INITIAL_CONTACT, spi, data: Buffer.alloc(0) });
    expect(am3[2]).toEqual({
      type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: 40503, spi, data: resp.presharedKeyHash(),
    });
    expect(am3.slice(3)).toEqual([{ type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNKNOWN }, { type: PayloadType.VENDOR_ID, data: VendorId.CISCO_UNITY }]);
  });

  it('the ISAKMP SA works both ways afterwards (SKEYID_a, SKEYID_e, IV chain)', () => {
    const { result, resp } = run();
    const notify: Payload = { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: 36136, spi: Buffer.alloc(16), data: Buffer.from([0, 0, 0, 1]) };
    const msg = result.sa.open(resp.seal(ExchangeType.INFORMATIONAL, 0x1234, [notify]));
    expect(() => result.sa.verifyHash(msg)).not.toThrow();
    expect(msg.payloads[1]).toEqual(notify);
    expect(resp.verify(resp.open(result.sa.sealHashed(ExchangeType.INFORMATIONAL, 0x4321, [notify])))).toEqual([notify]);
  });

  it('accepts the certificates in any order and a leaf straight under the trusted root; omits INITIAL-CONTACT on rekey', () => {
    expect(run({ certs: [pki.intermediate.der, pki.gateway.der] }).result.gatewayChain).toHaveLength(3);
    const direct = run({ certs: [pki.gatewayByRoot.der], keyPem: pki.gatewayByRoot.keyPem }, { initialContact: false });
    expect(direct.result.gatewayChain).toEqual(['O=vpnc-ts test, CN=gw-direct.example.test', 'O=vpnc-ts test, CN=Test Root CA']);
    expect(direct.am3.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.NOTIFICATION, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID]);
    expect(direct.am3[1]).toMatchObject({ messageType: NotifyType.CISCO_PRESHARED_KEY_HASH });
  });

  it('ignores CERT payloads of other encodings', () => {
    const edit = (p: Payload[]): Payload[] => [...p.slice(0, 4), { type: PayloadType.CERT, encoding: 1, data: Buffer.from('pkcs7?') }, ...p.slice(4)];
    expect(run({ edit }).result.gatewayChain).toHaveLength(3);
  });
});

describe('hybrid AM2 refused', () => {
  function refusal(am2: Partial<HybridAm2Options>, over: Partial<AggressiveModeParams> = {}): Error {
    const init = hybridInitiator(over);
    const d = new HybridResponder(PSK).answerHybridAm1(init.start(), { ...gatewayProof(), ...am2 });
    return thrown(() => init.receive(d, LOCAL, REMOTE));
  }

  it('a gateway certificate from a CA we do not trust: AuthError naming the subject and the issuer', () => {
    const err = refusal({ certs: [pki.gatewayByOther.der], keyPem: pki.gatewayByOther.keyPem });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe(
      'gateway certificate "O=Someone Else, CN=gw.other.test" is not trusted: its issuer "O=Someone Else, CN=Other Root CA" is not a trusted CA (check CA-File / CA-Dir)',
    );
  });

  it('a chain that would verify, but no trusted CA configured', () => {
    const err = refusal({}, { trust: { anchors: [] } });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/^gateway certificate "O=vpnc-ts test, CN=gw.example.test": intermediate CA "O=vpnc-ts test, CN=Test Intermediate CA" is not trusted/);
  });

  it('an expired gateway certificate (checked at the injected time)', () => {
    const later = new Date(Date.now() + 20 * 365 * 86400_000);
    const err = refusal({}, { trust: { ...trustRoot(), now: () => later } });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/^gateway certificate "O=vpnc-ts test, CN=gw.example.test" has expired/);
  });

  it('a signature by a key other than the leaf certificate\'s', () => {
    const err = refusal({ keyPem: pki.intermediate.keyPem });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('the gateway\'s signature does not verify with the key of "O=vpnc-ts test, CN=gw.example.test" (not a PKCS#1 signature by that key)');
  });

  it('a signature over something else than HASH_R (e.g. a PSK-keyed hash)', () => {
    const err = refusal({ signWhat: (h) => createHash('sha1').update(h).digest() });
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/^the gateway's signature does not match HASH_R \(key of "O=vpnc-ts test, CN=gw.example.test"\)/);
  });

  it('no CERT payload: AuthError; no SIG payload: INVALID-SIGNATURE as vpnc', () => {
    const noCert = refusal({ certs: [] });
    expect([noCert.constructor, noCert.message]).toEqual([AuthError, 'gateway sent no X.509 certificate (CERT payload) for hybrid authentication']);
    const noSig = refusal({ edit: (p) => p.filter((x) => x.type !== PayloadType.SIG) }) as ProtocolError;
    expect([noSig.constructor, noSig.message, noSig.notify]).toEqual([ProtocolError, 'AM2 lacks the SIG payload hybrid authentication needs', NotifyType.INVALID_SIGNATURE]);
    const noId = refusal({ edit: (p) => p.filter((x) => x.type !== PayloadType.ID) });
    expect(noId.message).toBe('AM2 lacks one of SA, KE, nonce or ID');
  });

  it('hybrid without trust anchors given to the exchange is refused before anything is believed', () => {
    const init = initiator({ policy: HYBRID });
    const d = new HybridResponder(PSK).answerHybridAm1(init.start(), gatewayProof());
    expect(thrown(() => init.receive(d, LOCAL, REMOTE))).toEqual(new AuthError('hybrid authentication needs trusted CA certificates (CA-File / CA-Dir)'));
  });
});

describe('psk client meets certificates', () => {
  it('a PSK AM2 with an extra CERT payload still works (the HASH decides)', () => {
    const init = initiator();
    const resp = new FakeResponder(PSK);
    const edit = (p: Payload[]): Payload[] => [...p, { type: PayloadType.CERT, encoding: 4, data: Buffer.from('not even DER') }];
    const result = init.receive(resp.answerAm1(init.start(), { edit }), LOCAL, REMOTE);
    const am3 = resp.readAm3(result.am3);
    expect(am3.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.NOTIFICATION, PayloadType.VENDOR_ID, PayloadType.VENDOR_ID]);
    expect(am3[1]).toMatchObject({ messageType: NotifyType.INITIAL_CONTACT });
    expect(result.gatewayChain).toBeUndefined();
  });

  it('a hybrid gateway answering a PSK offer: a hint to set IKE Authmode hybrid', () => {
    const init = initiator();
    const hashless = new FakeResponder(PSK).answerAm1(init.start(), {
      edit: (p) => [...p.filter((x) => x.type !== PayloadType.HASH), { type: PayloadType.SIG, data: Buffer.alloc(256, 1) }],
    });
    const e = thrown(() => init.receive(hashless, LOCAL, REMOTE)) as ProtocolError;
    expect([e.constructor, e.message, e.notify]).toEqual([
      ProtocolError, 'gateway uses certificate (hybrid) authentication: set "IKE Authmode hybrid" and CA-File', NotifyType.INVALID_HASH_INFORMATION,
    ]);
  });
});
