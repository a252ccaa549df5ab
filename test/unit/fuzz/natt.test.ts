/**
 * The NAT-T demultiplexer (esp/natt-demux.ts, used by the client's IKE socket after the float and by the
 * gateway's port 4500) under fuzzing: every datagram gets exactly one kind by RFC 3948's rules, wherever it
 * lies in the receive arena; what a sender frames (marker + IKE, ESP, keepalive) comes back as that; and each
 * kind reaches its parser (decodeHeader / the peer, or decapsulate) without anything untyped escaping.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { ESP_HEADROOM, EspStatus, espStatusName } from '../../../src/esp/constants.js';
import { classifyNattDatagram, NattDatagram, NON_ESP_MARKER_LENGTH } from '../../../src/esp/natt-demux.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import { decodeHeader } from '../../../src/ike/message.js';
import { ALL_COMBOS, saPair } from '../esp/fixtures.js';
import { anyPayload, bytes, mutated } from './mutate.js';
import { caseOf, outcome, target } from './runs.js';
import { handshake, messageId, plainOf, sealFor, type Handshake } from './sessions.js';

const MARKER = Buffer.alloc(NON_ESP_MARKER_LENGTH);
const KEEPALIVE = Buffer.from([0xff]);
const NAMES = Object.fromEntries(Object.entries(NattDatagram).map(([k, v]) => [v, k])) as Record<NattDatagram, string>;

/** Datagrams as they come: arbitrary, with zero prefixes, keepalive-like, short, and framed ones mutated. */
const datagrams = fc.oneof(
  bytes(40),
  bytes(12).map((b) => Buffer.concat([MARKER.subarray(0, b.length % 5), b])),
  fc.constantFrom(KEEPALIVE, Buffer.from([0xff, 0xff]), Buffer.from([0]), MARKER, Buffer.alloc(8), Buffer.alloc(9)),
  mutated(Buffer.concat([MARKER, Buffer.alloc(28, 1)]), 0, 2),
);

let shared: Handshake | undefined;
const session = (): Handshake => (shared ??= handshake());
const esp = saPair(ALL_COMBOS.find((c) => c.keyBits === 256 && c.auth === 2)!, 0x1234abcd, 'natt');

describe('fuzz: the NAT-T demultiplexer', () => {
  target('classifyNattDatagram gives every datagram one kind by RFC 3948, anywhere in the arena', [datagrams, fc.nat({ max: 64 }), fc.nat({ max: 16 })], (d, lead, tail) => {
    const arena = Buffer.alloc(lead + d.length + tail, 0xee);
    d.copy(arena, lead);
    const kind = classifyNattDatagram(arena, lead, d.length);
    expect(kind).toBe(classifyNattDatagram(d, 0, d.length));
    const marker = d.length >= 4 && d.readUInt32BE(0) === 0;
    const keepalive = d.length === 1 && d[0] === 0xff;
    expect(kind === NattDatagram.KEEPALIVE).toBe(keepalive);
    expect(kind === NattDatagram.IKE).toBe(marker);
    expect(kind === NattDatagram.ESP).toBe(!marker && !keepalive && d.length > 8);
    expect(kind === NattDatagram.RUNT).toBe(!marker && !keepalive && d.length <= 8);
    return NAMES[kind];
  });

  const framed = fc.oneof(
    fc.tuple(fc.constant('ike' as const), fc.array(anyPayload, { maxLength: 3 }), messageId),
    fc.tuple(fc.constant('esp' as const), bytes(200), fc.constant(0)),
    fc.constant(['keepalive' as const, [], 0] as const),
  );
  target('what a sender frames for port 4500 is read back as that, and reaches its parser', [framed], ([what, content, msgId]) => {
    if (what === 'keepalive') {
      expect(classifyNattDatagram(KEEPALIVE, 0, 1)).toBe(NattDatagram.KEEPALIVE);
      return what;
    }
    if (what === 'ike') {
      const { sa } = session();
      const ike = sealFor(sa, { exchangeType: 5, msgId }, plainOf(content as never));
      const d = Buffer.concat([MARKER, ike]);
      expect(classifyNattDatagram(d, 0, d.length)).toBe(NattDatagram.IKE);
      const inner = d.subarray(NON_ESP_MARKER_LENGTH);
      expect(inner).toEqual(ike);
      expect(decodeHeader(inner).messageId).toBe(msgId);
      return what;
    }
    const packet = Buffer.from(content as Buffer);
    if (packet.length) packet[0] = 0x45;
    const buf = Buffer.alloc(ESP_HEADROOM + packet.length + 64);
    packet.copy(buf, ESP_HEADROOM);
    const span = createPacketSpan();
    expect(encapsulate(esp.tx, buf, ESP_HEADROOM, packet.length, span)).toBe(EspStatus.OK);
    expect(classifyNattDatagram(buf, span.offset, span.length)).toBe(NattDatagram.ESP);
    expect(decapsulate(esp.rx, buf, span.offset, span.length, createPacketSpan())).toBe(EspStatus.OK);
    return what;
  });

  const toGateway = fc
    .tuple(fc.array(anyPayload, { maxLength: 3 }), messageId)
    .chain(([list, msgId]) => mutated(Buffer.concat([MARKER, sealFor(session().gatewaySa, { exchangeType: 5, msgId }, plainOf(list))]), 0, 3));
  target('a port-4500 datagram goes to the IKE or ESP parser and is refused there with a status or a typed error', [fc.oneof(datagrams, toGateway)], (d) => {
    const kind = classifyNattDatagram(d, 0, d.length);
    if (kind === NattDatagram.IKE) {
      const inner = d.subarray(NON_ESP_MARKER_LENGTH);
      const h = outcome(() => decodeHeader(inner));
      if (!h.ok) return `IKE: ${caseOf(h.error)}`;
      const { peer } = session();
      expect(Array.isArray(peer.receive(Buffer.from(inner)))).toBe(true);
      return 'IKE: to the peer';
    }
    if (kind === NattDatagram.ESP) {
      const status = decapsulate(esp.rx, Buffer.from(d), 0, d.length, createPacketSpan());
      expect(status === EspStatus.OK).toBe(false);
      return `ESP: ${espStatusName(status)}`;
    }
    return NAMES[kind];
  });
});
