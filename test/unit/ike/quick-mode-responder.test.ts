/**
 * The gateway's own quick mode (it rekeys the ESP SAs), answered by the client: the configured PFS group is
 * enforced (a rekey may not drop PFS or change its group), and the IDs must be this tunnel's (our address,
 * the gateway's side inside the target network). Then QM3 yields the same KEYMAT on both sides.
 */
import { describe, expect, it } from 'vitest';
import { createDh } from '../../../src/crypto/dh-groups.js';
import { ProtocolError } from '../../../src/errors.js';
import { thrown } from '../../helpers/thrown.js';
import { Doi, ExchangeType, IdType, IpsecSituation, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { addressRange, networkRange, type TunnelIds } from '../../../src/ike/exchanges/quick-mode-ids.js';
import { bigIntToIpv6, ipv6PrefixMask, parseIpv6 } from '../../../src/wire/ipv6-text.js';
import { clientRekeyPolicy, QuickModeResponder } from '../../../src/ike/exchanges/quick-mode-responder.js';
import type { OpenedMessage } from '../../../src/ike/ike-sa.js';
import { AuthAlgorithm, EncapsulationMode, EspTransformId, IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { hash3, keymat } from '../../../src/ike/keys.js';
import { tvAttribute, type IdPayload, type Payload, type SaPayload } from '../../../src/ike/payloads/index.js';
import { establish, type Established } from './established.js';
import { spiFromNumber, spiToBytes } from '../../../src/wire/sa-ids.js';

const OURS = addressRange('192.0.2.10')!;
const TARGET = networkRange('203.0.113.0', 24)!;
const GW_SPI = spiFromNumber(0x11223344);
const OUR_SPI = spiFromNumber(0x55667788);
const MSG_ID = 0x7a7a;

function id(idType: number, ...octets: number[]): IdPayload {
  return { type: PayloadType.ID, idType, protocol: 0, port: 0, data: Buffer.from(octets) };
}
const GW_ID = id(IdType.IPV4_ADDR_SUBNET, 203, 0, 113, 0, 255, 255, 255, 0);
const OUR_ID = id(IdType.IPV4_ADDR, 192, 0, 2, 10);

interface Qm1 {
  group?: number;
  ids?: IdPayload[];
  /** Leave the KE payload out although `group` names a PFS group. */
  noKe?: boolean;
}

function qm1(e: Established, o: Qm1 = {}): { datagram: Buffer; nonceI: Buffer; dh: ReturnType<typeof createDh> | undefined } {
  const attributes = [
    tvAttribute(IpsecAttribute.ENCAPSULATION_MODE, EncapsulationMode.TUNNEL),
    tvAttribute(IpsecAttribute.AUTHENTICATION_ALGORITHM, AuthAlgorithm.HMAC_SHA),
    tvAttribute(IpsecAttribute.KEY_LENGTH, 256),
    ...(o.group ? [tvAttribute(IpsecAttribute.GROUP_DESCRIPTION, o.group)] : []),
  ];
  const sa: SaPayload = {
    type: PayloadType.SA,
    doi: Doi.IPSEC,
    situation: IpsecSituation.IDENTITY_ONLY,
    proposals: [{ number: 1, protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(GW_SPI), transforms: [{ number: 1, id: EspTransformId.AES, attributes }] }],
  };
  const nonceI = Buffer.alloc(20, 0x42);
  const dh = o.group ? createDh(o.group as Parameters<typeof createDh>[0]) : undefined;
  const payloads: Payload[] = [sa, { type: PayloadType.NONCE, data: nonceI }];
  if (dh && !o.noKe) payloads.push({ type: PayloadType.KE, data: dh.publicValue });
  payloads.push(...(o.ids ?? [GW_ID, OUR_ID]));
  return { datagram: e.resp.seal(ExchangeType.QUICK, MSG_ID, payloads), nonceI, dh };
}

/** The client's answer to the gateway's QM1 (the responder is made from QM1, as the session makes it), then QM3. */
interface Answering {
  receive(qm1: OpenedMessage): Buffer;
  finish(qm3: OpenedMessage): ReturnType<QuickModeResponder['finish']>;
}

function answering(e: Established, pfsGroup: number, tunnel: TunnelIds): Answering {
  const policy = clientRekeyPolicy({ weakEncryption: false, weakAuthentication: false, noEncryption: false }, EncapsulationMode.TUNNEL, pfsGroup);
  let r: QuickModeResponder | undefined;
  return {
    receive: (qm1) => (r = new QuickModeResponder({ sa: e.result.sa, policy, tunnel, clientIdIndex: 1, spiIn: OUR_SPI }, qm1)).qm2,
    finish: (qm3) => r!.finish(qm3),
  };
}

function responder(e: Established, pfsGroup: number): Answering {
  return answering(e, pfsGroup, { ours: OURS, theirs: TARGET });
}

const OURS6 = addressRange('2001:db8:1::10')!;
const v6 = (text: string) => [...parseIpv6(text)];
const mask6 = (len: number) => [...bigIntToIpv6(ipv6PrefixMask(len))];
/** The IPv6 tunnel's responder: our IPv6 address, all of IPv6 asked for. */
function responder6(e: Established): Answering {
  return answering(e, 0, { ours: OURS6, theirs: networkRange('::', 0)! });
}

function refusal(pfsGroup: number, o: Qm1, r6 = false): ProtocolError {
  const e = establish();
  const r = r6 ? responder6(e) : responder(e, pfsGroup);
  try {
    r.receive(e.result.sa.open(qm1(e, o).datagram));
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('the quick mode was accepted');
}

describe('the gateway rekeys: PFS as configured', () => {
  it('with --pfs dh2 a rekey with group 2 is answered with our KE, and QM3 gives both sides the same KEYMAT', () => {
    const e = establish();
    const r = responder(e, 2);
    const { datagram, nonceI, dh } = qm1(e, { group: 2 });
    const qm2 = e.resp.open(r.receive(e.result.sa.open(datagram)));
    const rest = e.resp.verify(qm2, nonceI);
    expect(rest.map((p) => p.type)).toEqual([PayloadType.SA, PayloadType.NONCE, PayloadType.KE, PayloadType.ID, PayloadType.ID]);
    const nonceR = (rest[1] as { data: Buffer }).data;
    const gxy = dh!.computeSecret((rest[2] as { data: Buffer }).data);
    const finished = r.finish(e.result.sa.open(e.resp.seal(ExchangeType.QUICK, MSG_ID, [], () => hash3(e.resp.prf, e.resp.keys.skeyidA, MSG_ID, nonceI, nonceR))));
    expect(finished.spiOut).toEqual(GW_SPI);
    const theirs = keymat(e.resp.prf, e.resp.keys.skeyidD, { protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(OUR_SPI), nonceI, nonceR, gxy }, finished.suite.keymatLength);
    expect(finished.keymatIn).toEqual(theirs);
  });

  it('with --pfs dh2 a rekey without PFS is refused (NO-PROPOSAL-CHOSEN, naming the group)', () => {
    const err = refusal(2, {});
    expect(err.notify).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
    expect(err.message).toMatch(/^none of the gateway's quick mode proposals is acceptable with PFS group 2 \(acceptable: 12\/256\/auth2 .*, encapsulation 1\); offered: 12\/256\/auth2\/encap1$/);
  });

  it('with --pfs dh2 a rekey with group 5 is refused', () => {
    expect(refusal(2, { group: 5 }).notify).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
  });

  it('without PFS configured, a rekey with or without PFS is answered', () => {
    for (const group of [0, 2]) {
      const e = establish();
      expect(() => responder(e, 0).receive(e.result.sa.open(qm1(e, { group }).datagram))).not.toThrow();
    }
  });
});

describe('the gateway rekeys: the IDs must be this tunnel\'s', () => {
  it('another address for our side is refused (INVALID-ID-INFORMATION)', () => {
    const err = refusal(0, { ids: [GW_ID, id(IdType.IPV4_ADDR, 192, 0, 2, 11)] });
    expect(err.notify).toBe(NotifyType.INVALID_ID_INFORMATION);
    expect(err.message).toBe("quick mode ID for the client's side is 192.0.2.11, not the client's address 192.0.2.10");
  });

  it('a wider network than the target network for the gateway\'s side is refused', () => {
    const err = refusal(0, { ids: [id(IdType.IPV4_ADDR_SUBNET, 0, 0, 0, 0, 0, 0, 0, 0), OUR_ID] });
    expect(err.message).toBe("quick mode ID for the gateway's side is 0.0.0.0-255.255.255.255, outside the target network 203.0.113.0-203.0.113.255");
  });

  it('a narrower one, a range, and our address as a /32 subnet are accepted', () => {
    const ok = [
      [id(IdType.IPV4_ADDR_SUBNET, 203, 0, 113, 128, 255, 255, 255, 128), OUR_ID],
      [id(IdType.IPV4_ADDR_RANGE, 203, 0, 113, 5, 203, 0, 113, 9), id(IdType.IPV4_ADDR_SUBNET, 192, 0, 2, 10, 255, 255, 255, 255)],
      [],
    ];
    for (const ids of ok) {
      const e = establish();
      expect(() => responder(e, 0).receive(e.result.sa.open(qm1(e, { ids }).datagram))).not.toThrow();
    }
  });

  it('one ID alone, a non-IPv4 ID and a backwards range are refused', () => {
    expect(refusal(0, { ids: [GW_ID] }).message).toBe('quick mode carries 1 ID payloads, not 2');
    expect(refusal(0, { ids: [id(IdType.FQDN, 0x61), OUR_ID] }).message).toBe('quick mode ID is not an IPv4 or IPv6 address, subnet or range');
    expect(refusal(0, { ids: [id(IdType.IPV4_ADDR_RANGE, 203, 0, 113, 9, 203, 0, 113, 5), OUR_ID] }).notify).toBe(NotifyType.INVALID_ID_INFORMATION);
  });
});

describe('the gateway rekeys the IPv6 tunnel: IPv6 IDs', () => {
  const ours6 = id(IdType.IPV6_ADDR, ...v6('2001:db8:1::10'));
  const net6 = id(IdType.IPV6_ADDR_SUBNET, ...v6('2001:db8:2::'), ...mask6(64));

  it('its network and our IPv6 address are accepted, also our address as a /128 subnet or a range of one', () => {
    const ok = [
      [net6, ours6],
      [id(IdType.IPV6_ADDR_RANGE, ...v6('2001:db8:2::1'), ...v6('2001:db8:2::ff')), id(IdType.IPV6_ADDR_SUBNET, ...v6('2001:db8:1::10'), ...mask6(128))],
      [net6, id(IdType.IPV6_ADDR_RANGE, ...v6('2001:db8:1::10'), ...v6('2001:db8:1::10'))],
    ];
    for (const ids of ok) {
      const e = establish();
      expect(() => responder6(e).receive(e.result.sa.open(qm1(e, { ids }).datagram))).not.toThrow();
    }
  });

  it('another IPv6 address for our side, IPv4 IDs, mixed families and malformed IPv6 IDs are refused', () => {
    const cases: Array<[IdPayload[], string]> = [
      [[net6, id(IdType.IPV6_ADDR, ...v6('2001:db8:1::11'))], "quick mode ID for the client's side is 2001:db8:1::11, not the client's address 2001:db8:1::10"],
      [[GW_ID, OUR_ID], 'quick mode IDs 192.0.2.10 and 203.0.113.0-203.0.113.255 are not both IPv6'],
      [[GW_ID, ours6], 'quick mode IDs 2001:db8:1::10 and 203.0.113.0-203.0.113.255 are not both IPv6'],
      [[id(IdType.IPV6_ADDR_SUBNET, ...v6('2001:db8:2::')), ours6], 'quick mode ID is not an IPv4 or IPv6 address, subnet or range'],
      [[id(IdType.IPV6_ADDR_RANGE, ...v6('2001:db8:2::9'), ...v6('2001:db8:2::1')), ours6], 'quick mode ID is not an IPv4 or IPv6 address, subnet or range'],
      [[net6, id(IdType.IPV6_ADDR, 1, 2, 3, 4)], 'quick mode ID is not an IPv4 or IPv6 address, subnet or range'],
    ];
    for (const [ids, message] of cases) {
      const err = refusal(0, { ids }, true);
      expect(err.notify).toBe(NotifyType.INVALID_ID_INFORMATION);
      expect(err.message).toBe(message);
    }
  });

  it('the IPv4 tunnel refuses IPv6 IDs', () => {
    expect(refusal(0, { ids: [net6, ours6] }).message).toBe('quick mode IDs 2001:db8:1::10 and 2001:db8:2::-2001:db8:2:0:ffff:ffff:ffff:ffff are not both IPv4');
  });
});

describe('the same responder in the gateway\'s role (the client starts the quick mode)', () => {
  const gatewayPolicy = {
    proposals: [{ transformId: EspTransformId.AES, keyBits: 128, auth: AuthAlgorithm.HMAC_SHA, name: 'aes128-sha1' }, { transformId: EspTransformId.AES, keyBits: 256, auth: AuthAlgorithm.HMAC_SHA, name: 'aes256-sha1' }],
    preference: 'ours' as const, requirePfs: false, dhGroups: [2], encapModes: [EncapsulationMode.TUNNEL], lifetimeSeconds: 600, lifetimeKilobytes: 0,
  };
  const gateway = (e: Established, datagram: Buffer) =>
    new QuickModeResponder({ sa: e.result.sa, policy: gatewayPolicy, tunnel: { ours: OURS, theirs: networkRange('0.0.0.0', 0)! }, clientIdIndex: 0, spiIn: OUR_SPI }, e.result.sa.open(datagram));

  it('IDci is the client\'s address; a lower lifetime of ours is stated in RESPONDER-LIFETIME and kept', () => {
    const e = establish();
    const { datagram, nonceI } = qm1(e, { ids: [OUR_ID, GW_ID] });
    const r = gateway(e, datagram);
    const rest = e.resp.verify(e.resp.open(r.qm2), nonceI);
    expect(rest.map((p) => p.type)).toEqual([PayloadType.SA, PayloadType.NONCE, PayloadType.ID, PayloadType.ID, PayloadType.NOTIFICATION]);
    expect(rest[4]).toMatchObject({ messageType: NotifyType.RESPONDER_LIFETIME, protocol: ProtocolId.IPSEC_ESP, spi: spiToBytes(OUR_SPI) });
    const nonceR = (rest[1] as { data: Buffer }).data;
    const keys = r.finish(e.result.sa.open(e.resp.seal(ExchangeType.QUICK, MSG_ID, [], () => hash3(e.resp.prf, e.resp.keys.skeyidA, MSG_ID, nonceI, nonceR))));
    expect([keys.name, keys.lifetimeSeconds, keys.encapMode]).toEqual(['aes256-sha1', 600, EncapsulationMode.TUNNEL]);
  });

  it('a proposal naming a PFS group without a KE payload is refused with INVALID-KEY-INFORMATION, as before the merge (review finding)', () => {
    const e = establish();
    const { datagram } = qm1(e, { ids: [OUR_ID, GW_ID], group: 2, noKe: true });
    const err = thrown(() => gateway(e, datagram)) as ProtocolError;
    expect([err.message, err.notify]).toEqual(['PFS proposed without a KE payload', NotifyType.INVALID_KEY_INFORMATION]);
  });

  it('an IDci other than the client\'s address is refused', () => {
    const e = establish();
    const { datagram } = qm1(e, { ids: [id(IdType.IPV4_ADDR, 192, 0, 2, 11), GW_ID] });
    expect(() => gateway(e, datagram)).toThrow("quick mode ID for the client's side is 192.0.2.11, not the client's address 192.0.2.10");
  });
});
