/**
 * Main mode with RSA signatures (--auth-mode cert), initiator side, against the main-mode test responder: MM1's
 * proposals (XAUTHInitRSA, RSA), MM3 with CR and NAT-D, the keys both sides derive, MM5's ID (our subject as
 * DER), CERT and SIG_I as the responder checks them, MM6's chain and SIG_R; every way the gateway's proof or
 * its messages can be wrong, and the DER subject reader (against node-forge's encoding, and on junk).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ProtocolError } from '../../../src/errors.js';
import { CertEncoding, ExchangeType, IdType, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { subjectDer } from '../../../src/ike/der-name.js';
import { checkGatewayIdentity } from '../../../src/ike/gateway-identity.js';
import { MainModeInitiator, type MainModeParams } from '../../../src/ike/exchanges/main-mode.js';
import { IkeAuthMethod, IkeAttribute } from '../../../src/ike/ike-attributes.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import { attributeNumber, type Payload, type SaPayload } from '../../../src/ike/payloads/index.js';
import { DecodeError } from '../../../src/wire/errors.js';
import { certInitiator } from '../../helpers/cert-initiator.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../../helpers/pki.js';
import { thrown } from '../../helpers/thrown.js';
import { copyCookie } from '../../../src/wire/sa-ids.js';
import { LOCAL, REMOTE } from './established.js';
import { MainModeResponder } from './fake-main-mode-responder.js';

let pki: Pki;
let alice: Issued;
beforeAll(() => {
  pki = makePki();
  alice = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
}, 60_000);
afterAll(() => pki.remove());

const initiator = (over: Partial<MainModeParams> = {}): MainModeInitiator => certInitiator(pki, alice, over);

/** MM1 .. MM5 with the test responder; `seen` is where the responder sees us from (a NAT when it differs). */
function toMm5(over: Partial<MainModeParams> = {}, seen = LOCAL) {
  const init = initiator(over);
  const resp = new MainModeResponder();
  const mm3 = init.receiveMm2(resp.answerMm1(init.start()), LOCAL, REMOTE);
  const keyed = init.receiveMm4(resp.answerMm3(mm3, seen, REMOTE), LOCAL, REMOTE);
  return { init, resp, mm3, keyed, mm5: resp.readMm5(init.mm5()) };
}

const gatewayProof = () => ({ certs: [pki.gatewayByRoot.der], keyPem: pki.gatewayByRoot.keyPem });

describe('main mode with signatures: the exchange', () => {
  it('MM1 offers XAUTHInitRSA and RSA signatures, one transform per cipher x hash', () => {
    const sa = decodeMessage(initiator().start()).payloads.find((p) => p.type === PayloadType.SA) as SaPayload;
    const methods = new Set(sa.proposals[0]!.transforms.map((t) => attributeNumber(t.attributes.find((a) => a.type === IkeAttribute.AUTHENTICATION_METHOD)!)));
    expect([...methods]).toEqual([IkeAuthMethod.XAUTHInitRSA, IkeAuthMethod.RSA_SIGNATURES]);
    expect(decodeMessage(initiator().start()).header.exchangeType).toBe(ExchangeType.IDENTITY_PROTECTION);
  });

  it('MM3 carries KE, nonce, a CR for any CA and both NAT-D; both sides derive the same keys', () => {
    const { mm3, keyed, resp } = toMm5();
    expect(decodeMessage(mm3).payloads.map((p) => p.type)).toEqual([PayloadType.KE, PayloadType.NONCE, PayloadType.CR, PayloadType.NAT_D, PayloadType.NAT_D]);
    expect(decodeMessage(mm3).payloads[2]).toEqual({ type: PayloadType.CR, encoding: CertEncoding.X509_SIGNATURE, authority: Buffer.alloc(0) });
    expect(keyed.sa.keys).toEqual(resp.keys);
    expect(keyed.nat).toEqual({ natdType: PayloadType.NAT_D, localBehindNat: false, remoteBehindNat: false });
  });

  it('a NAT between us: the responder saw another address; force-natt claims one', () => {
    expect(toMm5({}, { address: '203.0.113.9', port: 4500 }).keyed.nat.localBehindNat).toBe(true);
    expect(toMm5({ nattMode: 'force-natt' }).keyed.nat.localBehindNat).toBe(true);
  });

  it('MM5: our subject as ID_DER_ASN1_DN, our certificate, SIG_I the responder verifies, INITIAL-CONTACT', () => {
    const { mm5 } = toMm5();
    expect(mm5.map((p) => p.type)).toEqual([PayloadType.ID, PayloadType.CERT, PayloadType.SIG, PayloadType.NOTIFICATION]);
    expect(mm5[0]).toMatchObject({ idType: IdType.DER_ASN1_DN, data: subjectDer(alice.der) });
    expect(mm5[1]).toEqual({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: alice.der });
    expect(mm5[3]).toMatchObject({ messageType: NotifyType.INITIAL_CONTACT, protocol: ProtocolId.ISAKMP });
  });

  it('MM6: the gateway chain and SIG_R verify; the SA is the one both sides hold', () => {
    const { init, resp } = toMm5();
    const r = init.receiveMm6(resp.mm6(gatewayProof()));
    expect(r.gatewayChain).toEqual(['O=vpnc-ts test, CN=gw-direct.example.test', 'O=vpnc-ts test, CN=Test Root CA']);
    expect(r.sa.suite.authMethod).toBe(IkeAuthMethod.XAUTHInitRSA);
    expect(r.sa.suite.name).toMatch(/^rsa\+xauth-aes256-sha1$/);
    expect(r.sa.keys).toEqual(resp.keys);
  });
});

describe('main mode with signatures: what the gateway can get wrong', () => {
  it('SIG_R over something else than HASH_R: AuthError', () => {
    const { init, resp } = toMm5();
    const err = thrown(() => init.receiveMm6(resp.mm6({ ...gatewayProof(), signWhat: (h) => Buffer.from(h).fill(1) })));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('does not match HASH_R');
  });

  it('a gateway certificate from a CA we do not trust: AuthError naming it', () => {
    const { init, resp } = toMm5();
    const err = thrown(() => init.receiveMm6(resp.mm6({ certs: [pki.gatewayByOther.der], keyPem: pki.gatewayByOther.keyPem })));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toContain('gw.other.test');
  });

  it("another user's client certificate from the same CA is not the gateway's: AuthError (the review found it accepted)", () => {
    const mallory = issueClientCert(pki, 'mallory', '/O=vpnc-ts test/CN=mallory', pki.root);
    const { init, resp } = toMm5();
    const err = thrown(() => init.receiveMm6(resp.mm6({ certs: [mallory.der], keyPem: mallory.keyPem })));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('the certificate "O=vpnc-ts test, CN=mallory" is not a gateway\'s: its extended key usage (1.3.6.1.5.5.7.3.2) allows no server or IKE use');
  });

  it('a gateway ID that is not its certificate\'s: AuthError', () => {
    const { init, resp } = toMm5();
    const idR = { type: PayloadType.ID, idType: IdType.FQDN, protocol: 17, port: 500, data: Buffer.from('other.example.test') } as const;
    const err = thrown(() => init.receiveMm6(resp.mm6({ ...gatewayProof(), idR })));
    expect(err.message).toBe('the gateway\'s ID (type 2) is not one of its certificate "O=vpnc-ts test, CN=gw-direct.example.test"');
  });

  it('a certificate that names another host: AuthError; the configured name is matched too', () => {
    const leaf = new X509Certificate(pki.gatewayByRoot.der);
    expect(thrown(() => checkGatewayIdentity(leaf, { address: '203.0.113.9' })).message).toBe(
      'the certificate "O=vpnc-ts test, CN=gw-direct.example.test" does not name the gateway 203.0.113.9; it names IP Address:198.51.100.1, DNS:gw.example.test',
    );
    expect(thrown(() => checkGatewayIdentity(leaf, { address: '203.0.113.9', name: 'vpn.example.org' })).message).toContain('does not name the gateway vpn.example.org (203.0.113.9)');
    checkGatewayIdentity(leaf, { address: '203.0.113.9', name: 'gw.example.test' });
    checkGatewayIdentity(leaf, { address: '198.51.100.1' });
  });

  it('MM6 without a certificate: AuthError', () => {
    const { init, resp } = toMm5();
    expect(thrown(() => init.receiveMm6(resp.mm6({ certs: [], keyPem: pki.gatewayByRoot.keyPem })))).toBeInstanceOf(AuthError);
  });

  it('a refusal of MM1 (NO-PROPOSAL-CHOSEN), MM2 without an SA, messages out of turn: ProtocolError', () => {
    const init = initiator();
    const cookies = { initiatorCookie: init.cookieI, responderCookie: copyCookie(Buffer.alloc(8, 7)), flags: 0, messageId: 0 };
    init.start();
    const refusal = encodeMessage({ ...cookies, exchangeType: ExchangeType.INFORMATIONAL }, [
      { type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: NotifyType.NO_PROPOSAL_CHOSEN, spi: Buffer.alloc(0), data: Buffer.alloc(0) } as Payload,
    ]);
    expect((thrown(() => init.receiveMm2(refusal, LOCAL, REMOTE)) as Error).message).toMatch(/^gateway refused phase 1: NO-PROPOSAL-CHOSEN/);
    const empty = encodeMessage({ ...cookies, exchangeType: ExchangeType.IDENTITY_PROTECTION }, []);
    expect(thrown(() => init.receiveMm2(empty, LOCAL, REMOTE))).toBeInstanceOf(ProtocolError);
    expect(thrown(() => init.receiveMm4(empty, LOCAL, REMOTE))).toBeInstanceOf(ProtocolError);
    expect(thrown(() => init.mm5())).toBeInstanceOf(ProtocolError);
    expect(thrown(() => init.receiveMm6(empty))).toBeInstanceOf(ProtocolError);
  });

  it('MM5 is the same bytes each time (a retransmission), MM1 too', () => {
    const { init } = toMm5();
    expect(init.mm5()).toBe(init.mm5());
    expect(init.start()).toBe(init.start());
  });
});

describe('subjectDer', () => {
  it("is the subject Name's DER, as node-forge encodes it", () => {
    for (const c of [alice, pki.root, pki.gateway]) {
      const cert = forge.pki.certificateFromPem(c.certPem);
      const want = Buffer.from(forge.asn1.toDer(forge.pki.distinguishedNameToAsn1(cert.subject)).getBytes(), 'binary');
      expect(subjectDer(c.der)).toEqual(want);
    }
  });

  it('truncated certificates and junk: DecodeError, never anything else', () => {
    for (let n = 0; n < alice.der.length; n += 7) expect(thrown(() => subjectDer(alice.der.subarray(0, n)))).toBeInstanceOf(DecodeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          subjectDer(bytes);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
        }
      }),
      { seed: 20261201, numRuns: 2000 },
    );
  });
});

describe('main mode: what may be MM6 (found by review: one stray datagram ended phase 1)', () => {
  it('the real MM6 and a refusal may; a repeated MM4 and junk with our cookies may not; nothing before MM5', () => {
    const init = initiator();
    const resp = new MainModeResponder();
    const mm3 = init.receiveMm2(resp.answerMm1(init.start()), LOCAL, REMOTE);
    const mm4 = resp.answerMm3(mm3, LOCAL, REMOTE);
    expect(init.acceptsMm6(mm4)).toBe(false);
    init.receiveMm4(mm4, LOCAL, REMOTE);
    resp.readMm5(init.mm5());
    const junk = Buffer.concat([mm4.subarray(0, 28), Buffer.alloc(64, 9)]);
    junk[19] = 0x01; // "encrypted"
    junk.writeUInt32BE(junk.length, 24);
    const refusal = encodeMessage({ initiatorCookie: init.cookieI, responderCookie: resp.ckyR, exchangeType: ExchangeType.INFORMATIONAL, flags: 0, messageId: 0 }, []);
    const mm6 = resp.mm6(gatewayProof());
    expect([init.acceptsMm6(mm4), init.acceptsMm6(junk), init.acceptsMm6(refusal), init.acceptsMm6(mm6)]).toEqual([false, false, true, true]);
    expect(init.receiveMm6(mm6).gatewayChain).toHaveLength(2);
  });
});
