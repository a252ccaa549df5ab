/**
 * The client's pre-authentication surface, made fuzzable: an AggressiveModeInitiator with a fixed DH key (real
 * exponentiation, so a mutated KE meets the real checks), the gateway's AM2 to it as the base, and a forger that
 * gives any (mutated) AM2 payload list the HASH_R, or for hybrid authentication the SIG, that the client will
 * compute for it, so a mutation of SA, KE, nonce, ID, NAT-D, notifies or certificates gets past authentication.
 */
import { constants, privateEncrypt, type X509Certificate } from 'node:crypto';
import fc from 'fast-check';
import { createDh } from '../../../src/crypto/dh-groups.js';
import { hmacPrf } from '../../../src/crypto/prf.js';
import { ExchangeType, IdType, PayloadType } from '../../../src/ike/constants.js';
import { AggressiveModeInitiator } from '../../../src/ike/exchanges/aggressive-mode.js';
import { IkeSa } from '../../../src/ike/ike-sa.js';
import { derivePhase1Keys, hashI, hashR, type Phase1HashInput } from '../../../src/ike/keys.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import { encodePayloadBody, type IdPayload, type Payload, type SaPayload } from '../../../src/ike/payloads/index.js';
import { selectPhase1Suite, type Phase1Policy } from '../../../src/ike/proposals.js';
import { AggressiveModeResponder } from '../../../src/gateway/exchanges/aggressive-mode.js';
import { responderParams } from '../../../src/gateway/phase1-setup.js';
import type { IkeCookie } from '../../../src/wire/sa-ids.js';
import { anyPayload, attributes, mutatedAttributes, payloadOf } from './mutate.js';
import { seeded } from './runs.js';
import { CLIENT, GATEWAY_CONFIG } from './sessions.js';

export const PSK_POLICY: Phase1Policy = { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false };
export const HYBRID_POLICY: Phase1Policy = { ...PSK_POLICY, authMode: 'hybrid' };
const PSK = Buffer.from('s');
const CLIENT_DH = createDh(2, { privateKey: Buffer.alloc(32, 0x31) });
const GATEWAY_DH = createDh(2, { privateKey: Buffer.alloc(32, 0x42) });

/** The client of one policy, what its AM1 said, and the gateway's genuine AM2 payloads as the base to mutate. */
export interface Am2Bed {
  readonly init: AggressiveModeInitiator;
  readonly ckyI: IkeCookie;
  readonly ckyR: IkeCookie;
  readonly offered: SaPayload;
  readonly nonceI: Buffer;
  readonly idIib: Buffer;
  readonly base: Payload[];
}

export function am2Bed(policy: Phase1Policy = PSK_POLICY, trust?: { anchors: X509Certificate[] }): Am2Bed {
  const init = new AggressiveModeInitiator({
    policy, groupName: 'mygroup', idType: IdType.KEY_ID, psk: PSK, nattMode: 'natt', dpd: true, initialContact: true,
    random: seeded('am2-client'), dh: CLIENT_DH, ...(trust ? { trust } : {}),
  });
  const am1 = decodeMessage(init.start());
  const find = <T extends Payload>(type: number) => am1.payloads.find((p) => p.type === type) as T;
  const offered = find<SaPayload>(PayloadType.SA);
  // The gateway answers PSK+XAUTH; for a hybrid client the base keeps its structure, the forger signs it.
  const pskAm1 = policy.authMode === 'psk' ? init.start() : new AggressiveModeInitiator({
    policy: PSK_POLICY, groupName: 'mygroup', idType: IdType.KEY_ID, psk: PSK, nattMode: 'natt', dpd: true, initialContact: true, random: seeded('am2-client'), dh: CLIENT_DH,
  }).start();
  const am2 = AggressiveModeResponder.start(pskAm1, { ...responderParams(GATEWAY_CONFIG, CLIENT, 500, seeded('am2-gateway')), createDh: () => GATEWAY_DH }).am2;
  const decoded = decodeMessage(am2);
  let base = decoded.payloads.map((p) => ('raw' in p ? { ...p, raw: undefined } : p)) as Payload[];
  if (policy.authMode === 'hybrid') {
    const chosen = offered.proposals[0]!.transforms[0]!;
    base = base.map((p) => (p.type === PayloadType.SA ? { ...p, proposals: [{ ...p.proposals[0]!, transforms: [chosen] }] } : p));
    base = base.filter((p) => p.type !== PayloadType.HASH).concat([{ type: PayloadType.SIG, data: Buffer.alloc(256) }]);
  }
  return { init, ckyI: am1.header.initiatorCookie, ckyR: decoded.header.responderCookie, offered, nonceI: find<{ type: 10; data: Buffer }>(PayloadType.NONCE).data, idIib: find<IdPayload>(PayloadType.ID).raw!, base };
}

/** What the forger derived: the keys the client must arrive at, and AM3's expected HASH_I. */
export interface Forged {
  readonly datagram: Buffer;
  readonly sa: IkeSa | undefined;
  readonly hashI: Buffer | undefined;
}

export interface Am2Header {
  readonly exchangeType: number;
  readonly flags: number;
  readonly messageId: number;
  readonly ckyI?: IkeCookie;
}

const last = (list: readonly Payload[], type: number) => [...list].reverse().find((p) => p.type === type);

/**
 * AM2 carrying `list`, its HASH payloads (psk) or SIG payloads (hybrid, signed with `keyPem`) replaced by the
 * values the client will compute from the list's last SA, KE, nonce and ID, when it can compute them at all.
 */
export function forgeAm2(bed: Am2Bed, list: readonly Payload[], h: Am2Header, policy: Phase1Policy = PSK_POLICY, keyPem?: string): Forged {
  const sa = last(list, PayloadType.SA);
  const ke = last(list, PayloadType.KE);
  const nonce = last(list, PayloadType.NONCE);
  const id = last(list, PayloadType.ID);
  let payloads = [...list];
  let ikeSa: IkeSa | undefined;
  let expectI: Buffer | undefined;
  if (sa?.type === PayloadType.SA && ke?.type === PayloadType.KE && nonce?.type === PayloadType.NONCE && id?.type === PayloadType.ID) {
    try {
      const suite = selectPhase1Suite(sa, policy);
      const gxy = CLIENT_DH.computeSecret(ke.data);
      const auth = policy.authMode === 'hybrid' ? ({ method: 'signature' } as const) : ({ method: 'psk', psk: PSK } as const);
      const keys = derivePhase1Keys({ hash: suite.hash, cipher: suite.cipher, auth, nonceI: bed.nonceI, nonceR: nonce.data, gxi: CLIENT_DH.publicValue, gxr: ke.data, gxy, ckyI: bed.ckyI, ckyR: bed.ckyR });
      const input: Phase1HashInput = { gxi: CLIENT_DH.publicValue, gxr: ke.data, ckyI: bed.ckyI, ckyR: bed.ckyR, saIb: bed.offered.raw! };
      const prf = hmacPrf(suite.hash);
      const r = hashR(prf, keys.skeyid, input, encodePayloadBody(id));
      const sig = keyPem ? signature(keyPem, r) : undefined;
      payloads = payloads.map((p) => (p.type === PayloadType.HASH ? { ...p, data: r } : p.type === PayloadType.SIG && sig ? { ...p, data: sig } : p));
      ikeSa = new IkeSa(bed.ckyI, bed.ckyR, suite, keys);
      expectI = hashI(prf, keys.skeyid, input, bed.idIib);
    } catch {
      /* the client refuses this SA or KE before any hash: nothing to forge */
    }
  }
  const datagram = encodeMessage({ initiatorCookie: h.ckyI ?? bed.ckyI, responderCookie: bed.ckyR, exchangeType: h.exchangeType, flags: h.flags, messageId: h.messageId }, payloads);
  return { datagram, sa: ikeSa, hashI: expectI };
}

/** Signatures made so far (RSA signing costs milliseconds; most inputs keep HASH_R as it was). */
const signatures = new Map<string, Buffer | undefined>();
function signature(keyPem: string, hash: Buffer): Buffer | undefined {
  const key = `${keyPem.length}/${hash.toString('hex')}`;
  if (signatures.has(key)) return signatures.get(key);
  let sig: Buffer | undefined;
  try {
    sig = privateEncrypt({ key: keyPem, padding: constants.RSA_PKCS1_PADDING }, hash);
  } catch {
    sig = undefined; // a hash too long for the key: the client's check refuses it
  }
  if (signatures.size > 1000) signatures.clear();
  signatures.set(key, sig);
  return sig;
}

/** AM2's header: mostly what the client expects, sometimes another exchange type, flags or message id. */
export const am2Header: fc.Arbitrary<Am2Header> = fc.record({
  exchangeType: fc.oneof({ weight: 8, arbitrary: fc.constant(ExchangeType.AGGRESSIVE) }, { weight: 1, arbitrary: fc.constant(ExchangeType.INFORMATIONAL) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
  flags: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) }),
  messageId: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 0xffffffff }) }),
});

/** The gateway's SA answer varied: one of the transforms the client offered, its attributes edited. */
export function saVariant(bed: Am2Bed): fc.Arbitrary<Payload> {
  const offered = bed.offered.proposals[0]!;
  return fc.tuple(fc.constantFrom(...offered.transforms), fc.nat(), fc.boolean()).chain(([t, n, many]) =>
    fc.oneof(mutatedAttributes(t.attributes), attributes(8)).map((attrs): Payload => ({
      type: PayloadType.SA,
      doi: bed.offered.doi,
      situation: bed.offered.situation,
      proposals: [{ ...offered, transforms: many ? [t, { ...t, number: n & 0xff, attributes: attrs }] : [{ ...t, attributes: attrs }] }],
    })),
  );
}

/** Payloads an AM2 may plausibly carry: lifetimes, vendor IDs, NAT-D, certificates, signatures, anything. */
export function am2Extra(bed: Am2Bed): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 2, arbitrary: saVariant(bed) },
    { weight: 2, arbitrary: payloadOf(PayloadType.NOTIFICATION).map((p) => (p.type === PayloadType.NOTIFICATION ? { ...p, messageType: 24576 } : p)) },
    payloadOf(PayloadType.VENDOR_ID),
    payloadOf(PayloadType.NAT_D),
    payloadOf(PayloadType.NAT_D_DRAFT),
    payloadOf(PayloadType.KE),
    payloadOf(PayloadType.ID),
    anyPayload,
  );
}
