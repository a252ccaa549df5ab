/**
 * Hybrid authentication under fuzzing: the gateway's certificate chain and signature as the client reads them
 * (authenticateGateway), with certificates mutated anywhere or inside their public key, reordered, dropped or
 * replaced; and the hybrid AM2 with its CERT and SIG payloads mutated while the SIG signs the HASH_R the client
 * computes. Only AuthError (or a typed refusal before it) may come out, and success means the signature holds.
 */
import { constants, privateEncrypt, publicDecrypt, X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { AuthError } from '../../../src/errors.js';
import { authenticateGateway } from '../../../src/ike/cert-verify.js';
import { CertEncoding, ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { IkeSa } from '../../../src/ike/ike-sa.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { makePki, type Pki } from '../../helpers/pki.js';
import { anyPayload, bytes, mutated, mutatedList, payloadOf } from './mutate.js';
import { am2Bed, am2Extra, am2Header, forgeAm2, HYBRID_POLICY, type Am2Bed } from './phase1-fixture.js';
import { caseOf, outcome, target } from './runs.js';
import { CLIENT, GW } from './sessions.js';

let pki: Pki;
let bed: Am2Bed;
const HASH = Buffer.alloc(20, 0x5c);
beforeAll(() => {
  pki = makePki();
  bed = am2Bed(HYBRID_POLICY, trust());
}, 60_000);
afterAll(() => pki.remove());

const trust = () => ({ anchors: [new X509Certificate(pki.root.der)], now: () => new Date(Date.now() + 86_400_000) });
const all = () => [pki.gateway, pki.intermediate, pki.root, pki.gatewayByRoot, pki.otherRoot, pki.gatewayByOther];
/** Defers building an arbitrary until the PKI exists (arbitraries are drawn inside the test). */
const lazy = <T>(make: () => fc.Arbitrary<T>): fc.Arbitrary<T> => fc.constant(null).chain(make);

/** The byte range of a certificate's SubjectPublicKeyInfo. */
function spkiRange(der: Buffer): [number, number] {
  const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  const at = der.indexOf(spki);
  return [at, at + spki.length];
}

const certArbs = new Map<Buffer, fc.Arbitrary<Buffer>>();
/** A certificate mutated anywhere, or only inside its public key (names and extensions intact). */
function mutatedCert(der: Buffer): fc.Arbitrary<Buffer> {
  let arb = certArbs.get(der);
  if (!arb) certArbs.set(der, (arb = makeMutatedCert(der)));
  return arb;
}

function makeMutatedCert(der: Buffer): fc.Arbitrary<Buffer> {
  const [start, end] = spkiRange(der);
  const inKey = fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }).map((edits) => {
    const b = Buffer.from(der);
    for (const [at, v] of edits) b[start + (at % (end - start))] = v;
    return b;
  });
  return fc.oneof(mutated(der, 0, 3), inKey, fc.constant(der));
}

/** A chain as a gateway might send it: ours mutated, reordered, cut short, padded with other certificates. */
const chains = lazy(() =>
  fc.oneof(
    fc.tuple(mutatedCert(pki.gateway.der), mutatedCert(pki.intermediate.der)).map(([g, i]) => [g, i]),
    fc.tuple(mutatedCert(pki.intermediate.der), mutatedCert(pki.gateway.der)).map(([i, g]) => [i, g]),
    fc.array(fc.oneof(fc.constantFrom(...all().map((c) => c.der)), mutatedCert(pki.gateway.der), bytes(64)), { maxLength: 4 }),
  ),
);
let signed: { good: Buffer; other: Buffer } | undefined;
const signatures = lazy(() => {
  const sign = (keyPem: string) => privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, HASH);
  signed ??= { good: sign(pki.gateway.keyPem), other: sign(pki.gatewayByRoot.keyPem) };
  return fc.oneof(fc.constant(signed.good), mutated(signed.good, 0, 2), bytes(256), fc.constant(signed.other));
});

describe('fuzz: hybrid authentication', () => {
  target('authenticateGateway: mutated certificate chains and signatures', [chains, signatures], (ders, sig) => {
    const got = outcome(() => authenticateGateway(ders, sig, HASH, trust()));
    if (!got.ok) {
      expect(got.error).toBeInstanceOf(AuthError);
      return caseOf(got.error);
    }
    // Success means: the leaf's key recovers HASH from the signature and the chain ends at our root.
    const [leaf, ...rest] = got.value;
    expect(publicDecrypt({ key: leaf!.publicKey, padding: constants.RSA_PKCS1_PADDING }, sig)).toEqual(HASH);
    expect(rest.at(-1)?.fingerprint256 ?? leaf!.fingerprint256).toBe(new X509Certificate(pki.root.der).fingerprint256);
    return 'authenticated';
  });

  const certPayload = (data: Buffer): Payload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data });
  const hybridLists = lazy(() => {
    const base = [...bed.base.slice(0, 4), certPayload(pki.gateway.der), certPayload(pki.intermediate.der), ...bed.base.slice(4)];
    const extra = fc.oneof(
      mutatedCert(pki.gateway.der).map(certPayload),
      mutatedCert(pki.intermediate.der).map(certPayload),
      fc.constantFrom(...all().map((c) => certPayload(c.der))),
      payloadOf(PayloadType.CERT),
      payloadOf(PayloadType.SIG),
      am2Extra(bed),
      anyPayload,
    );
    return fc.oneof(fc.constant(base), mutatedList(base, extra, 4));
  });
  target('AggressiveModeInitiator.receive (hybrid): mutated AM2 with a valid SIG', [hybridLists, am2Header], (list, h) => {
    const n = list.find((p) => p.type === PayloadType.NOTIFICATION);
    const forged = forgeAm2(bed, list, h, HYBRID_POLICY, pki.gateway.keyPem);
    const got = outcome(() => bed.init.receive(forged.datagram, CLIENT, GW), h.exchangeType === ExchangeType.INFORMATIONAL && n?.type === PayloadType.NOTIFICATION ? n.messageType : undefined);
    if (!got.ok) return caseOf(got.error);
    expect(got.value.sa.keys).toEqual(forged.sa!.keys);
    expect(got.value.gatewayChain?.[0]).toContain('gw');
    const am3 = new IkeSa(bed.ckyI, bed.ckyR, forged.sa!.suite, forged.sa!.keys).open(got.value.am3);
    expect(am3.payloads[0]).toEqual({ type: PayloadType.HASH, data: forged.hashI });
    return 'established';
  });
});
