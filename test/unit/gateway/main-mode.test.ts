/**
 * The gateway's main mode with RSA signatures (phase1-setup.ts, exchanges/main-mode.ts) against the client's
 * MainModeInitiator, datagram for datagram through GatewayPeer, no sockets: the whole exchange and XAUTH after it,
 * each way a client fails to authenticate (AUTHENTICATION-FAILED back, the peer closed), junk under the cookies
 * (refused, the exchange goes on), and the configuration keys Certificate / Private key / Client CA.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, ProtocolError } from '../../../src/errors.js';
import { ExchangeType, IdType, NotifyType, PayloadType } from '../../../src/ike/constants.js';
import { subjectDer } from '../../../src/ike/der-name.js';
import { MainModeInitiator, type MainModeParams } from '../../../src/ike/exchanges/main-mode.js';
import { checkClientIdentity } from '../../../src/ike/gateway-identity.js';
import { IkeSa } from '../../../src/ike/ike-sa.js';
import { decodeMessage } from '../../../src/ike/message.js';
import { parseGatewayConfig, type GatewayConfig } from '../../../src/gateway/config.js';
import { startPhase1 } from '../../../src/gateway/phase1-setup.js';
import { certInitiator } from '../../helpers/cert-initiator.js';
import { CLIENT, GW, mainModeToMm3, mainModeToMm5, sends } from '../../helpers/client-meets-gateway.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../../helpers/pki.js';
import { thrown } from '../../helpers/thrown.js';


let pki: Pki;
let alice: Issued;
beforeAll(() => {
  pki = makePki();
  alice = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
}, 60_000);
afterAll(() => pki.remove());

function gatewayConfig(lines: string[] = [], cert = pki.gatewayByRoot): GatewayConfig {
  return parseGatewayConfig(
    ['Listen 198.51.100.1', 'Pool 192.0.2.10-192.0.2.20', `Certificate ${cert.certPath}`, `Private key ${cert.keyPath}`, `Client CA ${pki.root.certPath}`, ...lines].join('\n'),
    'gw.conf',
  );
}

const initiator = (over: Partial<MainModeParams> = {}, who: Issued = alice): MainModeInitiator => certInitiator(pki, who, over);

/** MM1 to MM4 through a peer of `config` (by default with alice's initiator): MM5 ready. */
const toMm5 = (config: GatewayConfig, init = initiator()) => mainModeToMm5(config, init);

describe('the gateway in main mode with RSA signatures', () => {
  it('MM1 to MM6 with our client: both chains verified, XAUTH follows MM6 (XAUTHInitRSA), no NAT seen', () => {
    const { init, peer, keyed, mm5 } = toMm5(gatewayConfig(['User alice wonderland']));
    expect(keyed.nat).toEqual({ natdType: PayloadType.NAT_D, localBehindNat: false, remoteBehindNat: false });
    const answers = sends(peer.receive(mm5));
    expect(answers).toHaveLength(2);
    const result = init.receiveMm6(answers[0]!);
    expect(result.gatewayChain).toEqual(['O=vpnc-ts test, CN=gw-direct.example.test', 'O=vpnc-ts test, CN=Test Root CA']);
    expect(result.sa.suite.name).toMatch(/^rsa\+xauth-aes/);
    expect(peer.stageName).toBe('xauth-request');
    expect(peer.identity).toBe('O=vpnc-ts test, CN=alice');
    // The second answer is the XAUTH request, under the ISAKMP SA both sides now share.
    expect(result.sa.open(answers[1]!).header.exchangeType).toBe(ExchangeType.TRANSACTION);
  });

  it('without accounts: RSA signatures alone, the peer ready after MM6', () => {
    const { init, peer, mm5 } = toMm5(gatewayConfig());
    const answers = sends(peer.receive(mm5));
    expect(answers).toHaveLength(1);
    expect(init.receiveMm6(answers[0]!).sa.suite.name).toMatch(/^rsa-aes/);
    expect(peer.stageName).toBe('ready');
  });

  it('a retransmitted MM3 and MM5 get the same answers again, the state unmoved', () => {
    const { init, peer, mm3 } = mainModeToMm3(gatewayConfig(), initiator());
    const mm4 = sends(peer.receive(mm3));
    expect(sends(peer.receive(mm3))).toEqual(mm4);
    init.receiveMm4(mm4[0]!, CLIENT, GW);
    const mm6 = sends(peer.receive(init.mm5()));
    expect(sends(peer.receive(init.mm5()))).toEqual(mm6);
    expect(init.receiveMm6(mm6[0]!).gatewayChain).toHaveLength(2);
  });

  it('junk under the cookies in place of MM5 is refused and the real MM5 still succeeds', () => {
    const { init, peer, mm5 } = toMm5(gatewayConfig());
    const junk = Buffer.from(mm5);
    junk.fill(0x5a, 28);
    expect(peer.receive(junk)).toEqual([]);
    expect(peer.stageName).toBe('phase1');
    expect(init.receiveMm6(sends(peer.receive(mm5))[0]!).gatewayChain).toHaveLength(2);
  });

  /** Runs MM5 of `init` to a gateway: the peer must answer AUTHENTICATION-FAILED in the clear and close. */
  function refusedMm5(init: MainModeInitiator, config = gatewayConfig()): Error {
    const { peer, mm5 } = toMm5(config, init);
    const actions = peer.receive(mm5);
    expect(actions.map((a) => a.kind)).toEqual(['send', 'close']);
    expect(peer.stageName).toBe('closed');
    const notify = decodeMessage(sends(actions)[0]!);
    expect(notify.header.exchangeType).toBe(ExchangeType.INFORMATIONAL);
    expect(notify.payloads[0]).toMatchObject({ type: PayloadType.NOTIFICATION, messageType: NotifyType.AUTHENTICATION_FAILED });
    return thrown(() => init.receiveMm6(sends(actions)[0]!));
  }

  it('a client certificate from a CA the gateway does not trust: refused, and the client says so in one line', () => {
    const stranger = issueClientCert(pki, 'stranger-unit', '/O=Someone Else/CN=mallory', pki.otherRoot);
    const err = refusedMm5(initiator({}, stranger));
    expect([err.constructor, err.message]).toEqual([AuthError, "gateway refused phase 1: AUTHENTICATION_FAILED; check our certificate, its key and the gateway's trust in its CA"]);
  });

  it('a signature by another key than the certificate\'s: refused', () => {
    const init = initiator({ credentials: { chain: [alice.der], key: createPrivateKey(pki.gateway.keyPem) } });
    expect(refusedMm5(init)).toBeInstanceOf(AuthError);
  });

  it('an expired client certificate: refused', () => {
    const old = issueClientCert(pki, 'expired-unit', '/O=vpnc-ts test/CN=old-alice', pki.root, { expired: true });
    expect(refusedMm5(initiator({}, old))).toBeInstanceOf(AuthError);
  });

  it("a client's certificate must name its IDii and allow a client's use", () => {
    const aliceCert = new X509Certificate(alice.der);
    const other = { type: PayloadType.ID, idType: IdType.DER_ASN1_DN, protocol: 17, port: 500, data: subjectDer(pki.gateway.der) } as const;
    expect(thrown(() => checkClientIdentity(aliceCert, other)).message).toBe('the client\'s ID (type 9) is not one of its certificate "O=vpnc-ts test, CN=alice"');
    expect(() => checkClientIdentity(aliceCert, { ...other, data: subjectDer(alice.der) })).not.toThrow();
  });

  it('an MM5 that decodes but is none (no ID, no SIG) is refused without moving the IV: the real MM5 still succeeds (review finding)', () => {
    const { init, peer, keyed, mm5 } = toMm5(gatewayConfig());
    const twin = new IkeSa(keyed.sa.cookieI, keyed.sa.cookieR, keyed.sa.suite, keyed.sa.keys);
    const forged = twin.seal(ExchangeType.IDENTITY_PROTECTION, 0, [{ type: PayloadType.VENDOR_ID, data: Buffer.from('not an MM5') }]);
    expect(peer.receive(forged)).toEqual([]);
    expect(peer.stageName).toBe('phase1');
    expect(init.receiveMm6(sends(peer.receive(mm5))[0]!).gatewayChain).toHaveLength(2);
  });

  it('an MM3 without our responder cookie is refused, and the real MM3 is still answered (review finding)', () => {
    const { peer, mm3 } = mainModeToMm3(gatewayConfig(), initiator());
    const zeroed = Buffer.from(mm3);
    zeroed.fill(0, 8, 16);
    expect(peer.receive(zeroed)).toEqual([]);
    expect(sends(peer.receive(mm3))).toHaveLength(1);
  });

  it("a client certificate whose extended key usage is a server's, or whose key usage may not sign: refused naming why (RFC 4945 5.1.3.2)", () => {
    const server = issueClientCert(pki, 'server-eku', '/O=vpnc-ts test/CN=server-eku', pki.root, { extensions: 'extendedKeyUsage = serverAuth' });
    const encipherOnly = issueClientCert(pki, 'ku-encipher', '/O=vpnc-ts test/CN=ku-encipher', pki.root, { extensions: 'keyUsage = keyEncipherment\nextendedKeyUsage = clientAuth' });
    const signs = issueClientCert(pki, 'ku-nonrep', '/O=vpnc-ts test/CN=ku-nonrep', pki.root, { extensions: 'keyUsage = critical, nonRepudiation' });
    const idOf = (c: Issued) => ({ type: PayloadType.ID, idType: IdType.DER_ASN1_DN, protocol: 17, port: 500, data: subjectDer(c.der) }) as const;
    expect(thrown(() => checkClientIdentity(new X509Certificate(server.der), idOf(server))).message).toBe(
      'the certificate "O=vpnc-ts test, CN=server-eku" is not a client\'s: its extended key usage (1.3.6.1.5.5.7.3.1) allows no client or IKE use',
    );
    expect(thrown(() => checkClientIdentity(new X509Certificate(encipherOnly.der), idOf(encipherOnly))).message).toBe(
      'the certificate "O=vpnc-ts test, CN=ku-encipher" may not sign: its key usage has neither digitalSignature nor nonRepudiation',
    );
    expect(() => checkClientIdentity(new X509Certificate(signs.der), idOf(signs))).not.toThrow();
    // Through the gateway: refused in MM5 like any other failing client.
    expect(refusedMm5(initiator({}, encipherOnly))).toBeInstanceOf(AuthError);
  });

  it('MM1 to a gateway without a certificate, AM1-less groups: refused with INVALID-EXCHANGE-TYPE naming why', () => {
    const pskOnly = parseGatewayConfig(['Listen 198.51.100.1', 'Pool 192.0.2.10-192.0.2.20', 'Group g', 'Group secret s'].join('\n'), 'gw.conf');
    const err = thrown(() => startPhase1(initiator().start(), ExchangeType.IDENTITY_PROTECTION, pskOnly, CLIENT, 500)) as ProtocolError;
    expect([err.message, err.notify]).toEqual(['main mode, which this gateway does not take (it has no Certificate: pre-shared keys only, in aggressive mode)', NotifyType.INVALID_EXCHANGE_TYPE]);
    const noGroup = thrown(() => startPhase1(Buffer.alloc(28), ExchangeType.AGGRESSIVE, gatewayConfig(), CLIENT, 500)) as ProtocolError;
    expect(noGroup.notify).toBe(NotifyType.INVALID_EXCHANGE_TYPE);
    expect(noGroup.message).toContain('it has no Group');
  });
});

describe('the configuration keys Certificate, Private key, Client CA', () => {
  const base = ['Listen 198.51.100.1', 'Pool 192.0.2.10-192.0.2.20'];
  const errorOf = (lines: string[]): string => thrown(() => parseGatewayConfig([...base, ...lines].join('\n'), 'gw.conf')).message;

  it('read at their lines: the chain in DER, the key, the clients\' CAs; Group may be left out', () => {
    const c = gatewayConfig();
    expect(c.group).toBeUndefined();
    expect(c.certificate?.chain).toEqual([pki.gatewayByRoot.der]);
    expect(c.certificate?.clientTrust.anchors.map((a) => a.subject)).toEqual([new X509Certificate(pki.root.der).subject]);
  });

  it('each error names the file, and the line where there is one', () => {
    expect(errorOf(['Certificate /nonexistent/gw.pem'])).toBe('gw.conf:3: Certificate: cannot read /nonexistent/gw.pem (ENOENT)');
    expect(errorOf([`Certificate ${pki.gateway.keyPath}`])).toBe(`gw.conf:3: Certificate: ${pki.gateway.keyPath} holds no PEM certificate`);
    expect(errorOf([`Private key ${pki.gateway.certPath}`])).toMatch(new RegExp(`^gw.conf:3: Private key: ${pki.gateway.certPath} is not a PEM private key`));
    expect(errorOf([`Certificate ${pki.gateway.certPath}`, `Private key ${pki.gateway.keyPath}`])).toBe('gw.conf: Client CA missing (Certificate, Private key and Client CA go together)');
    expect(errorOf([`Certificate ${pki.gateway.certPath}`, `Private key ${pki.gatewayByRoot.keyPath}`, `Client CA ${pki.root.certPath}`])).toBe(
      'gw.conf: Private key: the private key is not the key of the certificate "O=vpnc-ts test, CN=gw.example.test"',
    );
    const encrypted = join(pki.dir, 'gw-encrypted.key');
    writeFileSync(encrypted, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n');
    expect(errorOf([`Private key ${encrypted}`])).toBe(`gw.conf:3: Private key: ${encrypted} is encrypted; the gateway takes an unencrypted key`);
  });
});
