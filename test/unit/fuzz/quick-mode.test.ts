/**
 * Quick mode under fuzzing, in both directions and on both ends, every message validly encrypted and hashed
 * (HASH(1), HASH(2) over Ni_b, HASH(3)) so the mutations reach the parsers: the client's initiator reading QM2,
 * the client's responder to a gateway rekey (QM1, then QM3), the gateway's responder (directly, and through
 * its peer in the ready stage), and the identity checks on arbitrary ID payloads.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { createDh, isDhGroupId } from '../../../src/crypto/dh-groups.js';
import { ExchangeType, IdType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { addressRange, checkQuickModeIds, familyOfIds, idRange, networkRange, quickModeIdData, tunnelIdsOf, type TunnelIds } from '../../../src/ike/exchanges/quick-mode-ids.js';
import { clientRekeyPolicy, QuickModeResponder } from '../../../src/ike/exchanges/quick-mode-responder.js';
import { EncapsulationMode, IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { hash3 } from '../../../src/ike/keys.js';
import { decodeHeader } from '../../../src/ike/message.js';
import type { IdPayload, NoncePayload, Payload, SaPayload } from '../../../src/ike/payloads/index.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { anyPayload, attributes, bytes, mutatedAttributes, payloadOf } from './mutate.js';
import { caseOf, outcome, target } from './runs.js';
import { ESP_POLICY, GATEWAY_CONFIG, messageId, OUR_ADDRESS, peek, plainMutations, plainOf, quickModeInitiator, ready, sealFor, sentOne, TARGET, type Handshake, type Plain } from './sessions.js';

/** One ready session, QM1 as the client sends it and QM2 as the gateway answers (payloads after the HASH). */
interface Bed {
  h: Handshake;
  qm1: Payload[];
  qm2: Payload[];
  nonceI: Buffer;
}
let shared: Bed | undefined;
function bed(): Bed {
  if (shared) return shared;
  const h = ready();
  const qm = quickModeInitiator(h);
  const qm1 = qm.start();
  const qm1Payloads = peek(h.gatewaySa, qm1).slice(1);
  const qm2 = sentOne(h.peer.receive(qm1));
  return (shared = { h, qm1: qm1Payloads, qm2: peek(h.sa, qm2).slice(1), nonceI: (qm1Payloads.find((p) => p.type === PayloadType.NONCE) as NoncePayload).data });
}
const lazy = <T>(make: (b: Bed) => fc.Arbitrary<T>): fc.Arbitrary<T> => fc.constant(null).chain(() => make(bed()));

/** An SA payload near `sa`: its proposals' transforms with edited attributes, some dropped or repeated. */
function saNear(sa: SaPayload): fc.Arbitrary<Payload> {
  const proposals = sa.proposals;
  return fc.tuple(fc.nat(), fc.oneof(mutatedAttributes(proposals[0]!.transforms[0]!.attributes), attributes(8)), fc.nat({ max: 3 }), fc.nat({ max: 255 })).map(([i, attrs, keep, id]): Payload => {
    const p = proposals[i % proposals.length]!;
    const t = { ...p.transforms[0]!, attributes: attrs, id: keep === 0 ? id : p.transforms[0]!.id };
    const chosen = { ...p, transforms: keep === 3 ? [t, t] : [t] };
    return { ...sa, proposals: keep === 2 ? [chosen, ...proposals.slice(0, 2)] : [chosen] };
  });
}

const v4 = (...o: number[]) => Buffer.from(o);
/** ID payloads of every address type, near our tunnel's values and anywhere. */
const idPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.constantFrom<Payload>(
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 0, port: 0, data: v4(192, 0, 2, 10) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: v4(203, 0, 113, 0, 255, 255, 255, 0) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: v4(192, 0, 2, 10, 255, 255, 255, 255) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR_RANGE, protocol: 0, port: 0, data: v4(203, 0, 113, 9, 203, 0, 113, 1) },
  ),
  payloadOf(PayloadType.ID),
);
function qmExtra(sa: SaPayload): fc.Arbitrary<Payload> {
  return fc.oneof(
    { weight: 3, arbitrary: saNear(sa) },
    { weight: 2, arbitrary: idPayload },
    payloadOf(PayloadType.NONCE),
    payloadOf(PayloadType.KE),
    payloadOf(PayloadType.NOTIFICATION).map((p) => (p.type === PayloadType.NOTIFICATION ? { ...p, messageType: 24576, protocol: ProtocolId.IPSEC_ESP } : p)),
    anyPayload,
  );
}
const sa = (list: Payload[]) => list.find((p): p is SaPayload => p.type === PayloadType.SA)!;

describe('fuzz: the client in quick mode', () => {
  const qm2s = lazy((b) => plainMutations(b.qm2, qmExtra(sa(b.qm2))));
  target('QuickModeInitiator.receive: mutated QM2, validly sealed with HASH(2)', [qm2s, messageId, fc.nat({ max: 19 })], (plain, msgId, kind) => {
    const { h, nonceI } = bed();
    const qm = quickModeInitiator(h, msgId);
    qm.start();
    const type = kind === 0 ? ExchangeType.INFORMATIONAL : kind === 1 ? ExchangeType.TRANSACTION : ExchangeType.QUICK;
    const opened = outcome(() => h.sa.open(sealFor(h.sa, { exchangeType: type, msgId }, plain, { kind: 'hash', extra: nonceI })));
    if (!opened.ok) return `not opened: ${caseOf(opened.error)}`;
    const got = outcome(() => qm.receive(opened.value));
    if (!got.ok) return caseOf(got.error);
    const r = got.value;
    expect([r.keymatIn.length, r.keymatOut.length]).toEqual([r.suite.keymatLength, r.suite.keymatLength]);
    expect(Number.isInteger(r.spiOut) && r.spiOut >= 0 && r.spiOut <= 0xffffffff).toBe(true);
    expect(decodeHeader(r.qm3).messageId).toBe(msgId);
    return 'keyed';
  });

  const rekey: Payload[] = [
    {
      type: PayloadType.SA, doi: 1, situation: 1,
      proposals: [{ number: 1, protocol: ProtocolId.IPSEC_ESP, spi: Buffer.from('11223344', 'hex'), transforms: [{ number: 1, id: 12, attributes: [
        { type: IpsecAttribute.ENCAPSULATION_MODE, tv: true, value: Buffer.from([0, 1]) }, { type: IpsecAttribute.AUTHENTICATION_ALGORITHM, tv: true, value: Buffer.from([0, 2]) },
        { type: IpsecAttribute.KEY_LENGTH, tv: true, value: Buffer.from([1, 0]) }, { type: IpsecAttribute.SA_LIFE_TYPE, tv: true, value: Buffer.from([0, 1]) },
        { type: IpsecAttribute.SA_LIFE_DURATION, tv: false, value: Buffer.from([0, 0, 0x0e, 0x10]) },
      ] }] }],
    },
    { type: PayloadType.NONCE, data: Buffer.alloc(20, 0x42) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR_SUBNET, protocol: 0, port: 0, data: v4(203, 0, 113, 0, 255, 255, 255, 0) },
    { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 0, port: 0, data: v4(192, 0, 2, 10) },
  ];
  const tunnel: TunnelIds = { ours: addressRange(OUR_ADDRESS)!, theirs: networkRange(TARGET.address, TARGET.prefixLength)! };
  const qm3Edit = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: bytes(24) }, { weight: 1, arbitrary: fc.array(anyPayload, { maxLength: 2 }) });
  target('QuickModeResponder (client): mutated gateway QM1, then QM3', [plainMutations(rekey, qmExtra(sa(rekey))), messageId, fc.constantFrom(0, 0, 0, 2), qm3Edit], (plain, msgId, pfsGroup, edit) => {
    const { h } = bed();
    const params = { sa: h.sa, policy: clientRekeyPolicy(ESP_POLICY, EncapsulationMode.TUNNEL, pfsGroup), tunnel, clientIdIndex: 1 as const, spiIn: spiFromNumber(0x55667788) };
    const opened = outcome(() => h.sa.open(sealFor(h.sa, { exchangeType: ExchangeType.QUICK, msgId }, plain)));
    if (!opened.ok) return `not opened: ${caseOf(opened.error)}`;
    const qm1 = opened.value;
    const ivQm2 = h.sa.ivs.ivFor(msgId);
    const r = outcome(() => new QuickModeResponder(params, qm1));
    if (!r.ok) return caseOf(r.error);
    const reply = peek(h.sa, r.value.qm2, ivQm2);
    // With several NONCE payloads the responder keeps the first.
    const nonceI = (qm1.payloads.find((p) => p.type === PayloadType.NONCE) as NoncePayload).data;
    const nonceR = (reply.find((p) => p.type === PayloadType.NONCE) as NoncePayload).data;
    const hash: Payload = { type: PayloadType.HASH, data: hash3(h.sa.prf, h.sa.keys.skeyidA, msgId, nonceI, nonceR) };
    const qm3 = edit === null ? [hash] : Array.isArray(edit) ? [hash, ...edit] : [{ type: PayloadType.HASH, data: edit } as Payload];
    const done = outcome(() => r.value.finish(h.sa.open(sealFor(h.sa, { exchangeType: ExchangeType.QUICK, msgId }, plainOf(qm3), { kind: 'none' }))));
    if (edit === null) expect(done.ok).toBe(true);
    if (!done.ok) return `QM2 sent, ${caseOf(done.error)}`;
    expect(done.value.keymatIn.length).toBe(done.value.suite.keymatLength);
    return 'rekeyed';
  });
});

const gatewayPolicy = {
  proposals: GATEWAY_CONFIG.espProposals, preference: 'ours' as const, requirePfs: false, dhGroups: GATEWAY_CONFIG.dhGroups, encapModes: [EncapsulationMode.TUNNEL],
  lifetimeSeconds: 3600, lifetimeKilobytes: 0,
};
const FIXED_KEY = Buffer.alloc(32, 0x42);

describe('fuzz: the gateway in quick mode', () => {
  const qm1s = lazy((b) => plainMutations(b.qm1, qmExtra(sa(b.qm1))));
  target('QuickModeResponder (gateway): mutated QM1, validly sealed, then QM3', [qm1s, messageId, fc.boolean()], (plain, msgId, goodQm3) => {
    const { h } = bed();
    const opened = outcome(() => h.gatewaySa.open(sealFor(h.gatewaySa, { exchangeType: ExchangeType.QUICK, msgId }, plain)));
    if (!opened.ok) return `not opened: ${caseOf(opened.error)}`;
    const ivQm2 = h.gatewaySa.ivs.ivFor(msgId);
    const tunnel = tunnelIdsOf('192.0.2.10', { address: '0.0.0.0', prefixLength: 0 })!;
    const params = { sa: h.gatewaySa, policy: gatewayPolicy, tunnel, clientIdIndex: 0 as const, createDh: (g: number) => createDh(isDhGroupId(g) ? g : 2, { privateKey: FIXED_KEY }) };
    const r = outcome(() => new QuickModeResponder(params, opened.value));
    if (!r.ok) return caseOf(r.error);
    const qm2 = peek(h.gatewaySa, r.value.qm2, ivQm2);
    const nonceI = (opened.value.payloads.find((p) => p.type === PayloadType.NONCE) as NoncePayload).data;
    const nonceR = (qm2.find((p) => p.type === PayloadType.NONCE) as NoncePayload).data;
    const hash = goodQm3 ? hash3(h.gatewaySa.prf, h.gatewaySa.keys.skeyidA, msgId, nonceI, nonceR) : Buffer.alloc(20);
    const done = outcome(() => r.value.finish(h.gatewaySa.open(sealFor(h.gatewaySa, { exchangeType: ExchangeType.QUICK, msgId }, plainOf([{ type: PayloadType.HASH, data: hash }]), { kind: 'none' }))));
    expect(done.ok).toBe(goodQm3);
    return done.ok ? 'keyed' : 'QM3 refused';
  });

  const peerQm1s = lazy((b) => plainMutations(b.qm1, qmExtra(sa(b.qm1))));
  target('GatewayPeer.receive in ready: mutated QM1, validly sealed', [peerQm1s, messageId], (plain, msgId) => {
    const h = ready();
    const actions = h.peer.receive(sealFor(h.gatewaySa, { exchangeType: ExchangeType.QUICK, msgId }, plain));
    expect(actions.length).toBeLessThanOrEqual(1);
    if (actions.length) expect(actions[0]!.kind).toBe('send');
    return actions.length ? 'QM2 sent' : 'refused';
  });
});

describe('fuzz: quick mode identities', () => {
  const family = fc.constantFrom(4 as const, 6 as const);
  const address = (f: 4 | 6) => (f === 4 ? fc.ipV4() : fc.ipV6());
  target('quickModeIdData and idRange round-trip addresses and networks', [family.chain((f) => fc.tuple(fc.constant(f), address(f), address(f), fc.nat({ max: f === 4 ? 32 : 128 })))], ([f, ours, net, len]) => {
    const ids = quickModeIdData(ours, { address: net, prefixLength: len }).map(({ idType, data }): IdPayload => ({ type: PayloadType.ID, idType, protocol: 0, port: 0, data }));
    expect(idRange(ids[0]!)).toEqual(addressRange(ours));
    expect(idRange(ids[1]!)).toEqual(networkRange(net, len));
    expect(familyOfIds(ids)).toBe(f);
    checkQuickModeIds(ids, 0, { ours: addressRange(ours)!, theirs: networkRange(net, len)! });
  });

  const ids = fc.array(idPayload, { maxLength: 3 }) as fc.Arbitrary<IdPayload[]>;
  target('checkQuickModeIds and idRange on arbitrary ID payloads', [ids, fc.constantFrom(0 as const, 1 as const)], (list, ourIndex) => {
    const tunnel: TunnelIds = { ours: addressRange(OUR_ADDRESS)!, theirs: networkRange(TARGET.address, TARGET.prefixLength)! };
    for (const id of list) {
      const r = idRange(id);
      if (r) expect(r.first <= r.last).toBe(true);
    }
    const got = outcome(() => checkQuickModeIds(list, ourIndex, tunnel));
    if (got.ok && list.length) {
      expect(list.length).toBe(2);
      const ours = idRange(list[ourIndex]!)!;
      const theirs = idRange(list[1 - ourIndex]!)!;
      expect([ours.first, ours.last]).toEqual([tunnel.ours.first, tunnel.ours.last]);
      expect(theirs.first >= tunnel.theirs.first && theirs.last <= tunnel.theirs.last).toBe(true);
    }
    return got.ok ? 'accepted' : caseOf(got.error);
  });
});
