/**
 * TAP device through the addon: Ethernet frames in both directions. The test plays a host on the TAP's
 * link: it asks for the namespace's address with ARP and reads the kernel's answer, and it sends an IPv4
 * frame to a UDP socket in the namespace. Needs root; fails (never skips) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import { openTun, type TunDevice } from '../../src/io/tun.js';
import { openUdp } from '../../src/io/udp.js';
import { createNetns, deleteNetns, nsRun, requireRoot } from '../helpers/netns.js';
import { arpRequest, ethernetFrame, receive, udpPacket } from './io-helpers.js';

requireRoot();

const NS_ADDRESS = '198.51.100.1'; // the namespace's address on the TAP link
const HOST_ADDRESS = '198.51.100.2'; // the host this test plays through the device
const HOST_MAC = Buffer.from('020000000002', 'hex'); // locally administered
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;

let ns = '';
let tap: TunDevice;

beforeAll(() => {
  ns = createNetns('io-tap');
  tap = openTun({ mode: 'tap', name: 'vpntap%d', netns: ns });
  nsRun(ns, 'ip', ['addr', 'add', `${NS_ADDRESS}/24`, 'dev', tap.name]);
  nsRun(ns, 'ip', ['link', 'set', tap.name, 'up']);
});

afterAll(() => {
  tap?.close();
  if (ns) deleteNetns(ns);
});

describe('TAP device in a namespace', () => {
  it('reports its name, ifindex and MAC address as the namespace sees them', () => {
    expect(tap.kind).toBe('tap');
    expect(tap.name).toBe('vpntap0');
    const link = nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', tap.name]);
    expect(link.startsWith(`${tap.ifindex}: vpntap0:`)).toBe(true);
    expect(tap.mac).toHaveLength(6);
    const mac = [...(tap.mac as Buffer)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    expect(link).toContain(`link/ether ${mac}`);
  });

  it('carries an ARP request in and the kernel\'s ARP reply out', async () => {
    const isArpReply = (f: Buffer): boolean => f.readUInt16BE(12) === ETHERTYPE_ARP && f.readUInt16BE(20) === 2;
    const got = receive(tap, 1, isArpReply);
    const request = ethernetFrame(
      Buffer.alloc(6, 0xff),
      HOST_MAC,
      ETHERTYPE_ARP,
      arpRequest(HOST_MAC, parseIpv4(HOST_ADDRESS), parseIpv4(NS_ADDRESS)),
    );
    expect(tap.send(request, 0, request.length)).toBe(true);
    const [reply] = (await got).packets;
    const mac = tap.mac as Buffer;
    expect(reply.subarray(0, 6).equals(HOST_MAC)).toBe(true); // to us
    expect(reply.subarray(6, 12).equals(mac)).toBe(true); // from the TAP
    expect(reply.subarray(22, 28).equals(mac)).toBe(true); // sender hardware address
    expect(reply.readUInt32BE(28)).toBe(parseIpv4(NS_ADDRESS)); // sender protocol address
    expect(reply.subarray(32, 38).equals(HOST_MAC)).toBe(true); // target hardware address
    expect(reply.readUInt32BE(38)).toBe(parseIpv4(HOST_ADDRESS));
  });

  it('carries an IPv4 frame to a UDP socket in the namespace, and the answer back as a frame', async () => {
    const udp = openUdp({ localAddress: NS_ADDRESS, localPort: 5000, netns: ns });
    try {
      const atUdp = receive(udp, 1);
      const packet = udpPacket(parseIpv4(HOST_ADDRESS), 7000, parseIpv4(NS_ADDRESS), 5000, Buffer.from('frame in'));
      const frame = ethernetFrame(tap.mac as Buffer, HOST_MAC, ETHERTYPE_IPV4, packet);
      expect(tap.send(frame, 0, frame.length)).toBe(true);
      const got = await atUdp;
      expect(got.packets[0].toString()).toBe('frame in');
      expect(got.sources[0]).toBe(parseIpv4(HOST_ADDRESS));
      expect(got.ports[0]).toBe(7000);

      // The answer goes to our MAC as an IPv4 frame (a static neighbour entry spares an ARP round).
      nsRun(ns, 'ip', ['neigh', 'replace', HOST_ADDRESS, 'lladdr', '02:00:00:00:00:02', 'dev', tap.name, 'nud', 'permanent']);
      const isAnswer = (f: Buffer): boolean => f.readUInt16BE(12) === ETHERTYPE_IPV4 && f[23] === 17 && f.readUInt16BE(36) === 7000;
      const atTap = receive(tap, 1, isAnswer);
      udp.send(Buffer.from('frame out'), 0, 9, got.sources[0], got.ports[0]);
      const [answer] = (await atTap).packets;
      expect(answer.subarray(0, 6).equals(HOST_MAC)).toBe(true);
      expect(answer.subarray(42).toString()).toBe('frame out');
    } finally {
      udp.close();
    }
  });
});
