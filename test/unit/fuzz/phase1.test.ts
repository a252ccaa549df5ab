/**
 * Phase 1 under fuzzing, both ends. The client's whole pre-authentication surface: AM2 with every payload
 * mutated yet a HASH_R that verifies (so SA selection, KE checks, NAT-D, lifetimes and AM3 are reached), AM2
 * as mutated bytes, and refusals. The gateway's: AM1 mutated, and AM3 mutated under valid encryption.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { createDh } from '../../../src/crypto/dh-groups.js';
import { AuthError, ProtocolError } from '../../../src/errors.js';
import { ExchangeType, IdType, PayloadType } from '../../../src/ike/constants.js';
import { IkeSa } from '../../../src/ike/ike-sa.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { AggressiveModeResponder } from '../../../src/gateway/exchanges/aggressive-mode.js';
import { responderParams } from '../../../src/gateway/phase1-setup.js';
import { anyPayload, bytes, mutated, mutatedList, payloadOf } from './mutate.js';
import { am2Bed, am2Extra, am2Header, forgeAm2, type Am2Bed } from './phase1-fixture.js';
import { caseOf, outcome, seeded, target } from './runs.js';
import { CLIENT, GATEWAY_CONFIG, GW, phase1Pending, plainMutations, plainOf, sealFor, type Plain } from './sessions.js';

let bed: Am2Bed | undefined;
const theBed = (): Am2Bed => (bed ??= am2Bed());
const lazy = <T>(make: (b: Am2Bed) => fc.Arbitrary<T>): fc.Arbitrary<T> => fc.constant(null).chain(() => make(theBed()));


/** A refusal (informational answer) names the notify type the gateway sent: its first notification's. */
function refusedWith(list: readonly Payload[]): number | undefined {
  const n = list.find((p) => p.type === PayloadType.NOTIFICATION);
  return n?.type === PayloadType.NOTIFICATION ? n.messageType : undefined;
}

describe('fuzz: the client receives AM2', () => {
  const lists = lazy((b) => mutatedList(b.base, am2Extra(b), 5));
  target('AggressiveModeInitiator.receive: mutated AM2 with a valid HASH_R', [lists, am2Header], (list, h) => {
    const b = theBed();
    const forged = forgeAm2(b, list, h);
    const got = outcome(() => b.init.receive(forged.datagram, CLIENT, GW), refusedWith(list));
    // With the HASH_R the client computes, an aggressive-mode answer is never refused as unauthentic.
    if (!got.ok && forged.sa && h.exchangeType === ExchangeType.AGGRESSIVE) expect(got.error).not.toBeInstanceOf(AuthError);
    if (!got.ok) return caseOf(got.error);
    // Established: the client arrived at the keys the forger derived, and AM3 proves it with HASH_I.
    expect(forged.sa).toBeDefined();
    expect(got.value.sa.keys).toEqual(forged.sa!.keys);
    const mirror = new IkeSa(b.ckyI, b.ckyR, forged.sa!.suite, forged.sa!.keys);
    const am3 = mirror.open(got.value.am3);
    expect(am3.payloads[0]).toEqual({ type: PayloadType.HASH, data: forged.hashI });
    expect(got.value.ikeLifetimeSeconds).toBeGreaterThanOrEqual(0);
    return 'established';
  });

  const bytesAm2 = lazy((b) => mutated(forgeAm2(b, b.base, { exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 }).datagram));
  target('AggressiveModeInitiator.receive: AM2 as mutated bytes', [bytesAm2], (d) => {
    const got = outcome(() => theBed().init.receive(d, CLIENT, GW));
    return got.ok ? 'established' : caseOf(got.error);
  });

  const refusal = fc.array(fc.oneof(payloadOf(PayloadType.NOTIFICATION), anyPayload), { maxLength: 4 });
  target('AggressiveModeInitiator.receive: an informational answer is a refusal', [refusal], (list) => {
    const b = theBed();
    const d = encodeMessage({ initiatorCookie: b.ckyI, responderCookie: b.ckyR, exchangeType: ExchangeType.INFORMATIONAL, flags: 0, messageId: 0 }, list);
    const got = outcome(() => b.init.receive(d, CLIENT, GW), refusedWith(list));
    expect(got.ok).toBe(false);
    if (!got.ok) expect(got.error instanceof AuthError || got.error instanceof ProtocolError).toBe(true);
    return got.ok ? 'established' : got.error.constructor.name;
  });

  target('AggressiveModeInitiator.accepts: any datagram', [fc.oneof(bytes(64), bytesAm2)], (d) => {
    const b = theBed();
    const yes = b.init.accepts(d);
    expect(yes).toBe(d.length >= 28 && d.subarray(0, 8).equals(b.ckyI) && (d[18] === 4 || d[18] === 5) && d[17] === 0x10 && d.readUInt32BE(24) >= 28);
    return yes ? 'accepted' : 'declined';
  });
});

const GATEWAY_DH = createDh(2, { privateKey: Buffer.alloc(32, 0x42) });
const params = () => ({ ...responderParams(GATEWAY_CONFIG, CLIENT, 500, seeded('am1-gateway')), createDh: () => GATEWAY_DH });

describe('fuzz: the gateway receives AM1 and AM3', () => {
  const am1 = () => decodeMessage(theBed().init.start());
  const am1Extra = lazy((b) =>
    fc.oneof(
      payloadOf(PayloadType.SA),
      fc.constantFrom(...b.offered.proposals[0]!.transforms).map((t): Payload => ({ ...b.offered, raw: undefined, proposals: [{ ...b.offered.proposals[0]!, transforms: [t] }] })),
      payloadOf(PayloadType.ID).map((p) => (p.type === PayloadType.ID ? { ...p, idType: IdType.KEY_ID, data: Buffer.from('mygroup') } : p)),
      payloadOf(PayloadType.KE),
      payloadOf(PayloadType.VENDOR_ID),
      anyPayload,
    ),
  );
  const am1s = fc.oneof(
    lazy(() => mutatedList(am1().payloads.map((p) => ('raw' in p ? { ...p, raw: undefined } : p)) as Payload[], am1Extra).map((l) => {
      const h = am1().header;
      return encodeMessage({ initiatorCookie: h.initiatorCookie, responderCookie: h.responderCookie, exchangeType: h.exchangeType, flags: 0, messageId: 0 }, l);
    })),
    lazy((b) => mutated(b.init.start(), 8)),
  );
  target('AggressiveModeResponder.start: mutated AM1', [am1s], (d) => {
    const got = outcome(() => AggressiveModeResponder.start(d, params()));
    if (!got.ok) return caseOf(got.error);
    const am2 = decodeMessage(got.value.am2);
    expect(am2.header.initiatorCookie).toEqual(d.subarray(0, 8));
    expect(am2.header.exchangeType).toBe(ExchangeType.AGGRESSIVE);
    return 'answered';
  });

  /** Per input: a gateway peer that has sent AM2, and a mirror of its SA to seal AM3 with (same keys, still at IV0). */
  function sentAm2() {
    const { result, peer } = phase1Pending();
    return { result, peer, mirror: new IkeSa(result.sa.cookieI, result.sa.cookieR, result.sa.suite, result.sa.keys) };
  }
  let am3Base: Payload[] | undefined;
  function base(): Payload[] {
    if (!am3Base) {
      const { result, mirror } = sentAm2();
      am3Base = mirror.open(result.am3).payloads;
    }
    return am3Base;
  }
  const am3Plain: fc.Arbitrary<Plain> = fc.oneof(
    lazy(() => mutatedList(base().slice(1), anyPayload).map((rest) => plainOf([base()[0]!, ...rest]))),
    lazy(() => plainMutations(base())),
  );
  // Mostly AM3's own header; sometimes informational, or a message id other than 0.
  target('GatewayPeer.receive: AM3 of mutated plaintext, validly encrypted', [am3Plain, fc.nat({ max: 9 })], (plain, variant) => {
    const { peer, mirror } = sentAm2();
    const exchangeType = variant === 0 ? ExchangeType.INFORMATIONAL : ExchangeType.AGGRESSIVE;
    const d = sealFor(mirror, { exchangeType, msgId: variant === 1 ? 7 : 0 }, plain, { kind: 'none' });
    const actions = peer.receive(d);
    expect(Array.isArray(actions)).toBe(true);
    if (peer.stageName === 'xauth-request') expect(actions.map((a) => a.kind)).toEqual(['send']);
    return peer.stageName;
  });
});

