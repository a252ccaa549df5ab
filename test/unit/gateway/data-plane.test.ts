/**
 * The gateway's data plane over in-memory endpoints, the pool, the TUN setup commands and the small
 * encoders: packets from the TUN device leave as ESP on the client's path and come back in.
 */
import { describe, expect, it } from 'vitest';
import { ESP_HEADROOM, EspStatus } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import { EspSa } from '../../../src/esp/sa.js';
import { resolveEspSuite } from '../../../src/esp/transforms.js';
import { createMemoryPair, type MemoryEndpoint } from '../../../src/io/memory.js';
import type { PacketBatch } from '../../../src/io/endpoint.js';
import { decodeIpv4Header, encodeIpv4Header, IpProtocol } from '../../../src/io/ipv4.js';
import { DataPlane, describePath, type EspPath } from '../../../src/gateway/data-plane.js';
import type { QuickModeKeys } from '../../../src/ike/exchanges/quick-mode-responder.js';
import { splitEntry } from '../../../src/gateway/exchanges/mode-config.js';
import { checkCredentials } from '../../../src/gateway/exchanges/xauth.js';
import { buildPlainNotify } from '../../../src/ike/exchanges/informational.js';
import { parseIpv4, parseIpv4Cidr } from '../../../src/wire/ipv4-text.js';
import { copyCookie, spiFromNumber } from '../../../src/wire/sa-ids.js';
import { tunSetupCommands } from '../../../src/gateway/net-setup.js';
import { AddressPool, rangeToCidrs } from '../../../src/gateway/pool.js';
import { decodeMessage } from '../../../src/ike/message.js';
import { ExchangeType, NotifyType, PayloadType } from '../../../src/ike/constants.js';

const GATEWAY = parseIpv4('198.51.100.1');
const CLIENT = parseIpv4('198.51.100.2');
const INNER = parseIpv4('192.0.2.10');
const HOST = parseIpv4('203.0.113.2');
const suite = resolveEspSuite(12, 128, 2);
const keymatIn = Buffer.alloc(suite.keymatLength, 0x11);
const keymatOut = Buffer.alloc(suite.keymatLength, 0x22);
const keys: QuickModeKeys = {
  suite,
  spiIn: spiFromNumber(0x1001),
  spiOut: spiFromNumber(0x2002),
  keymatIn,
  keymatOut,
  encapMode: 1,
  name: 'aes128-sha1',
  lifetimeSeconds: 0,
  lifetimeKilobytes: 0,
};

function ipPacket(src: number, dst: number, payload: string): Buffer {
  const body = Buffer.from(payload);
  const p = Buffer.alloc(20 + body.length);
  encodeIpv4Header(p, 0, { totalLength: p.length, protocol: IpProtocol.UDP, source: src, destination: dst, tos: 0x10 });
  body.copy(p, 20);
  return p;
}

/** Collects what arrives on an endpoint. */
function collect(e: MemoryEndpoint): Array<{ data: Buffer; address: number; port: number }> {
  const got: Array<{ data: Buffer; address: number; port: number }> = [];
  e.start((b: PacketBatch) => {
    for (let i = 0; i < b.count; i++) got.push({ data: Buffer.from(b.packet(i)), address: b.address(i), port: b.port(i) });
  });
  return got;
}

/** Lets the memory pairs deliver (each hop is one turn of the event loop). */
const tick = async () => {
  for (let i = 0; i < 4; i++) await new Promise((r) => setImmediate(r));
};

function bed(path: EspPath, lifetime: Partial<Pick<QuickModeKeys, 'lifetimeSeconds' | 'lifetimeKilobytes'>> = {}) {
  const [tun, tunOs] = createMemoryPair({ kind: 'tun' }, { kind: 'tun' });
  const [raw, rawNet] = createMemoryPair({ address: GATEWAY }, { address: CLIENT });
  const [natt, nattNet] = createMemoryPair({ address: GATEWAY, port: 4500 }, { address: CLIENT, port: 4500 });
  const [cisco, ciscoNet] = createMemoryPair({ address: GATEWAY, port: 10000 }, { address: CLIENT, port: 10000 });
  const plane = new DataPlane({ tun, raw, natt, cisco }, GATEWAY);
  tun.start(plane.onTun);
  raw.start(plane.onRaw);
  natt.start((b) => { for (let i = 0; i < b.count; i++) plane.receiveEsp(b.buffer, b.offset(i), b.length(i), 'udp', b.address(i), b.port(i)); });
  cisco.start((b) => { for (let i = 0; i < b.count; i++) plane.receiveEsp(b.buffer, b.offset(i), b.length(i), 'cisco', b.address(i), b.port(i)); });
  plane.install('peer', INNER, { ...keys, ...lifetime }, path);
  // The client's view of the same SAs.
  const clientOut = EspSa.fromKeymat(spiFromNumber(0x1001), suite, keymatIn);
  const clientIn = EspSa.fromKeymat(spiFromNumber(0x2002), suite, keymatOut);
  return { plane, tunOs, rawNet, nattNet, ciscoNet, clientOut, clientIn };
}

function clientEsp(sa: EspSa, inner: Buffer): Buffer {
  const buf = Buffer.alloc(ESP_HEADROOM + inner.length + 64);
  inner.copy(buf, ESP_HEADROOM);
  const span = createPacketSpan();
  expect(encapsulate(sa, buf, ESP_HEADROOM, inner.length, span)).toBe(EspStatus.OK);
  return Buffer.from(buf.subarray(span.offset, span.offset + span.length));
}

function openEsp(sa: EspSa, esp: Buffer): Buffer {
  const span = createPacketSpan();
  expect(decapsulate(sa, esp, 0, esp.length, span)).toBe(EspStatus.OK);
  return Buffer.from(esp.subarray(span.offset, span.offset + span.length));
}

describe('DataPlane: SA lifetimes', () => {
  it('after its kilobyte lifetime a pair carries nothing either way, and expire() removes it for a DELETE', async () => {
    const b = bed({ kind: 'udp', address: CLIENT, port: 4500 }, { lifetimeKilobytes: 1 });
    const onWire = collect(b.nattNet);
    const big = ipPacket(HOST, INNER, 'x'.repeat(600));
    b.tunOs.send(big, 0, big.length);
    b.tunOs.send(big, 0, big.length);
    await tick();
    expect(onWire).toHaveLength(2); // 1240 bytes: the second packet crosses the 1024-byte limit
    b.tunOs.send(big, 0, big.length);
    const up = clientEsp(b.clientOut, ipPacket(INNER, HOST, 'late'));
    b.nattNet.send(up, 0, up.length);
    await tick();
    expect(onWire).toHaveLength(2);
    expect(b.plane.counters).toMatchObject({ toClients: 2, fromClients: 0, expired: 2 });
    expect(b.plane.expire(Date.now())).toEqual([{ peerKey: 'peer', spis: [0x1001, 0x2002] }]);
    expect(b.plane.size).toBe(0);
    expect(b.plane.expire(Date.now())).toEqual([]);
  });

  it('a pair with a lifetime in seconds lasts until then; without one it never expires', () => {
    const timed = bed({ kind: 'udp', address: CLIENT, port: 4500 }, { lifetimeSeconds: 10 });
    expect(timed.plane.expire(Date.now() + 9_000)).toEqual([]);
    expect(timed.plane.expire(Date.now() + 10_001)).toEqual([{ peerKey: 'peer', spis: [0x1001, 0x2002] }]);
    const forever = bed({ kind: 'udp', address: CLIENT, port: 4500 });
    expect(forever.plane.expire(Date.now() + 10 ** 12)).toEqual([]);
  });
});

describe('DataPlane', () => {
  it('raw ESP: TUN packets leave with our outer IPv4 header (protocol 50, TOS copied); ESP in reaches the TUN', async () => {
    const b = bed({ kind: 'raw', address: CLIENT });
    const onWire = collect(b.rawNet);
    const toOs = collect(b.tunOs);
    const down = ipPacket(HOST, INNER, 'to the client');
    b.tunOs.send(down, 0, down.length);
    await tick();
    expect(onWire).toHaveLength(1);
    const outer = decodeIpv4Header(onWire[0]!.data, 0, onWire[0]!.data.length);
    expect([outer.protocol, outer.source, outer.destination, outer.tos, outer.ttl]).toEqual([50, GATEWAY, CLIENT, 0x10, 64]);
    expect(openEsp(b.clientIn, onWire[0]!.data.subarray(20))).toEqual(down);

    const up = ipPacket(INNER, HOST, 'from the client');
    const esp = clientEsp(b.clientOut, up);
    const withIp = Buffer.alloc(20 + esp.length);
    encodeIpv4Header(withIp, 0, { totalLength: withIp.length, protocol: 50, source: CLIENT, destination: GATEWAY });
    esp.copy(withIp, 20);
    b.rawNet.send(withIp, 0, withIp.length);
    await tick();
    expect(toOs.map((p) => p.data)).toEqual([up]);
    expect(b.plane.counters).toMatchObject({ toClients: 1, fromClients: 1, dropped: 0 });
  });

  it('UDP 4500: follows the client to a new NAT mapping once a packet authenticates', async () => {
    const b = bed({ kind: 'udp', address: CLIENT, port: 4444 });
    const onWire = collect(b.nattNet);
    collect(b.tunOs);
    const up = clientEsp(b.clientOut, ipPacket(INNER, HOST, 'hello'));
    b.nattNet.send(up, 0, up.length); // arrives from CLIENT:4500, not 4444
    await tick();
    const down = ipPacket(HOST, INNER, 'reply');
    b.tunOs.send(down, 0, down.length);
    await tick();
    expect(onWire.map((p) => [p.address, p.port])).toEqual([[GATEWAY, 4500]]);
    expect(openEsp(b.clientIn, onWire[0]!.data)).toEqual(down);
  });

  it('drops spoofed inner sources, unknown SPIs, forged ICVs and packets for addresses without a tunnel', async () => {
    const b = bed({ kind: 'cisco', address: CLIENT, port: 10000 });
    const toOs = collect(b.tunOs);
    const onWire = collect(b.ciscoNet);
    const spoofed = clientEsp(b.clientOut, ipPacket(parseIpv4('192.0.2.99'), HOST, 'spoof'));
    b.ciscoNet.send(spoofed, 0, spoofed.length);
    const unknown = Buffer.from(clientEsp(b.clientOut, ipPacket(INNER, HOST, 'x')));
    unknown.writeUInt32BE(0xdead, 0);
    b.ciscoNet.send(unknown, 0, unknown.length);
    const forged = clientEsp(b.clientOut, ipPacket(INNER, HOST, 'y'));
    forged[forged.length - 1]! ^= 1;
    b.ciscoNet.send(forged, 0, forged.length);
    const nowhere = ipPacket(HOST, parseIpv4('192.0.2.77'), 'nobody');
    b.tunOs.send(nowhere, 0, nowhere.length);
    await tick();
    expect(toOs).toEqual([]);
    expect(onWire).toEqual([]);
    expect(b.plane.counters).toMatchObject({ spoofed: 1, unknownSpi: 1, dropped: 1, noTunnel: 1 });
  });

  it('forgets SA pairs by SPI and by peer', () => {
    const b = bed({ kind: 'raw', address: CLIENT });
    expect(b.plane.size).toBe(1);
    b.plane.removeSpis([spiFromNumber(0x2002)]);
    expect(b.plane.size).toBe(0);
    b.plane.install('peer', INNER, keys, { kind: 'raw', address: CLIENT });
    b.plane.removePeer('peer');
    expect(b.plane.size).toBe(0);
    expect(describePath({ kind: 'cisco', address: CLIENT, port: 10000 })).toBe('Cisco UDP to 198.51.100.2:10000');
  });
});

describe('pool and routes', () => {
  it('hands out the lowest free address and takes it back', () => {
    const pool = new AddressPool(parseIpv4('192.0.2.10'), parseIpv4('192.0.2.11'));
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([parseIpv4('192.0.2.10'), parseIpv4('192.0.2.11'), undefined]);
    pool.release(parseIpv4('192.0.2.10'));
    expect(pool.available).toBe(1);
    expect(pool.allocate()).toBe(parseIpv4('192.0.2.10'));
  });

  it('covers a range with the fewest CIDR blocks', () => {
    expect(rangeToCidrs(parseIpv4('192.0.2.10'), parseIpv4('192.0.2.50'))).toEqual([
      '192.0.2.10/31', '192.0.2.12/30', '192.0.2.16/28', '192.0.2.32/28', '192.0.2.48/31', '192.0.2.50/32',
    ]);
    expect(rangeToCidrs(parseIpv4('10.0.0.0'), parseIpv4('10.0.255.255'))).toEqual(['10.0.0.0/16']);
    expect(rangeToCidrs(parseIpv4('0.0.0.0'), parseIpv4('255.255.255.255'))).toEqual(['0.0.0.0/0']);
  });

  it('brings the TUN device up with its MTU and routes the pool through it', () => {
    expect(tunSetupCommands('gw0', 1412, ['192.0.2.10/31'])).toEqual([
      ['link', 'set', 'dev', 'gw0', 'mtu', '1412', 'up'],
      ['route', 'replace', '192.0.2.10/31', 'dev', 'gw0'],
    ]);
  });
});

describe('small encoders', () => {
  it('a split include entry is address, mask, protocol, source port, destination port', () => {
    expect(splitEntry(parseIpv4Cidr('10.1.0.0/16')).toString('hex')).toBe('0a010000ffff0000000000000000');
  });

  it('checks XAUTH credentials against the accounts', () => {
    const accounts = [{ name: 'alice', password: 'wonderland' }];
    expect(checkCredentials(accounts, { username: 'alice', password: 'wonderland' })).toBe(true);
    expect(checkCredentials(accounts, { username: 'alice', password: 'wonderlan' })).toBe(false);
    expect(checkCredentials(accounts, { username: 'bob', password: 'wonderland' })).toBe(false);
  });

  it('refuses a first message with a plain informational notify', () => {
    const msg = decodeMessage(buildPlainNotify(copyCookie(Buffer.alloc(8, 1)), copyCookie(Buffer.alloc(8, 2)), NotifyType.NO_PROPOSAL_CHOSEN));
    expect(msg.header.exchangeType).toBe(ExchangeType.INFORMATIONAL);
    expect(msg.payloads).toMatchObject([{ type: PayloadType.NOTIFICATION, messageType: NotifyType.NO_PROPOSAL_CHOSEN }]);
  });
});
