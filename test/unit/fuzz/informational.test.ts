/**
 * Informational exchanges under fuzzing: what the client does with the gateway's (open, verifyHash,
 * parseInformational, as session/gateway-messages.ts does) and what the gateway's peer does with the client's,
 * on validly sealed messages with mutated payloads; parseInformational on arbitrary payload lists; and the
 * builders' messages (DPD, DELETE, load balancing) read back exactly.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ExchangeType, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { buildDeleteAll, buildDeleteEsp, buildDpd, buildEmptyInformational, buildLoadBalance, parseInformational, verifyInformational, type InformationalEvent } from '../../../src/ike/exchanges/informational.js';
import { messageIdBytes } from '../../../src/ike/crypt.js';
import type { OpenedMessage } from '../../../src/ike/ike-sa.js';
import { encodePayloadChain } from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { spiFromBytes, zeroCookie } from '../../../src/wire/sa-ids.js';
import { anyPayload, bytes, payloadOf } from './mutate.js';
import { caseOf, outcome, target } from './runs.js';
import { handshake, messageId, plainMutations, ready, sealFor, type Handshake } from './sessions.js';

let shared: Handshake | undefined;
const session = (): Handshake => (shared ??= handshake());

const spi16 = Buffer.alloc(16, 0x1c);
const BASE: Payload[] = [
  { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.ISAKMP, messageType: NotifyType.R_U_THERE, spi: spi16, data: Buffer.from([0, 0, 1, 2]) },
  { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.IPSEC_ESP, spiSize: 4, spis: [Buffer.from('c1c1c1c1', 'hex'), Buffer.from('11223344', 'hex')] },
  { type: PayloadType.DELETE, doi: 1, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [spi16] },
  { type: PayloadType.NOTIFICATION, doi: 1, protocol: ProtocolId.ISAKMP, messageType: NotifyType.CISCO_LOAD_BALANCE, spi: spi16, data: Buffer.from([198, 51, 100, 7]) },
];
const extra = fc.oneof(payloadOf(PayloadType.NOTIFICATION), payloadOf(PayloadType.DELETE), anyPayload);

/** What every list of events must satisfy, whatever the message held. */
function checkEvents(events: InformationalEvent[], payloads: readonly Payload[]): void {
  expect(events.length).toBeLessThanOrEqual(payloads.length);
  const firstIsakmp = events.findIndex((e) => e.kind === 'delete-isakmp');
  if (firstIsakmp >= 0) expect(events.slice(firstIsakmp).every((e) => e.kind === 'delete-isakmp')).toBe(true);
  for (const e of events) {
    if (e.kind === 'delete-esp') expect(e.spis.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff)).toBe(true);
    if (e.kind === 'load-balance') expect(e.address).toMatch(/^\d{1,3}(\.\d{1,3}){3}$/);
    if (e.kind === 'r-u-there' || e.kind === 'r-u-there-ack') expect(e.seq).toBeLessThanOrEqual(0xffffffff);
  }
}

const kinds = (events: InformationalEvent[]) => (events.length ? [...new Set(events.map((e) => e.kind))].sort().join('+') : 'no event');

describe('fuzz: informational messages', () => {
  target('parseInformational on arbitrary payload lists', [fc.array(fc.oneof(extra, fc.constantFrom(...BASE)), { maxLength: 6 })], (payloads) => {
    const msg: OpenedMessage = {
      header: { initiatorCookie: zeroCookie(), responderCookie: zeroCookie(), nextPayload: 8, version: 0x10, exchangeType: 5, flags: 1, messageId: 1, length: 28 },
      payloads,
      chain: encodePayloadChain(payloads),
    };
    const events = parseInformational(msg);
    checkEvents(events, payloads);
    return kinds(events);
  });

  target('the client reads the gateway\'s informational messages: mutated, validly sealed', [plainMutations(BASE, extra), messageId, fc.boolean()], (plain, msgId, hashed) => {
    const { sa } = session();
    const d = sealFor(sa, { exchangeType: ExchangeType.INFORMATIONAL, msgId }, plain, hashed ? { kind: 'hash' } : { kind: 'none' });
    const msg = outcome(() => sa.open(d));
    if (!msg.ok) return `not opened: ${caseOf(msg.error)}`;
    const auth = outcome(() => sa.verifyHash(msg.value));
    if (hashed && msg.value.payloads[0]?.type === PayloadType.HASH) expect(auth.ok).toBe(true);
    if (!auth.ok) return caseOf(auth.error);
    const events = parseInformational(msg.value);
    checkEvents(events, msg.value.payloads);
    return kinds(events);
  });

  target('GatewayPeer.receive in ready: mutated informational messages, validly sealed', [plainMutations(BASE, extra), messageId], (plain, msgId) => {
    const h = ready();
    const actions = h.peer.receive(sealFor(h.gatewaySa, { exchangeType: ExchangeType.INFORMATIONAL, msgId }, plain));
    const closed = actions.some((a) => a.kind === 'close');
    expect(closed).toBe(h.peer.stageName === 'closed');
    return actions.length ? [...new Set(actions.map((a) => a.kind))].sort().join('+') : 'nothing';
  });

  target('verifyInformational on any opened message', [plainMutations(BASE, extra), messageId, fc.constantFrom('none', 'hash', 'vpnc')], (plain, msgId, form) => {
    const { sa } = session();
    // vpnc's hash-only keepalive hashes a zero byte after the message id (phase2_authpacket with no payload).
    const vpnc = { first: PayloadType.HASH, chain: encodePayloadChain([{ type: PayloadType.HASH, data: sa.prf.compute(sa.keys.skeyidA, Buffer.from([0]), messageIdBytes(msgId)) }]) };
    const d = sealFor(sa, { exchangeType: ExchangeType.INFORMATIONAL, msgId }, form === 'vpnc' ? vpnc : plain, { kind: form === 'hash' ? 'hash' : 'none' });
    const msg = outcome(() => sa.open(d));
    if (!msg.ok) return 'not opened';
    const ok = outcome(() => verifyInformational(sa, msg.value)).ok;
    if (form === 'vpnc' || (form === 'hash' && msg.value.payloads[0]?.type === PayloadType.HASH)) expect(ok).toBe(true);
    return `${form}: ${ok ? 'authentic' : 'refused'}`;
  });

  const spis = fc.array(bytes(4, 4).map(spiFromBytes), { maxLength: 4 });
  target('DPD, DELETE, load balancing and keepalive messages read back as built', [fc.nat({ max: 0xffffffff }), fc.boolean(), spis, fc.ipV4(), messageId], (seq, ack, esp, address, msgId) => {
    const { sa, gatewaySa } = session();
    const read = (d: Buffer) => {
      const msg = gatewaySa.open(d);
      verifyInformational(gatewaySa, msg);
      return parseInformational(msg);
    };
    expect(read(buildDpd(sa, msgId, ack, seq))).toEqual([{ kind: ack ? 'r-u-there-ack' : 'r-u-there', seq }]);
    expect(read(buildDeleteAll(sa, msgId, esp))).toEqual([...(esp.length ? [{ kind: 'delete-esp', spis: esp }] : []), { kind: 'delete-isakmp' }]);
    expect(read(buildDeleteEsp(sa, msgId, esp))).toEqual([{ kind: 'delete-esp', spis: esp }]);
    expect(read(buildLoadBalance(sa, msgId, Buffer.from(address.split('.').map(Number))))).toEqual([{ kind: 'load-balance', address }]);
    expect(read(buildEmptyInformational(sa, msgId))).toEqual([]);
  });
});
