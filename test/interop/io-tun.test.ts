/**
 * TUN device through the addon, created inside a test namespace with the `netns` option: IPv4 packets
 * written to the device reach UDP sockets in the namespace, and datagrams sent in the namespace are read
 * from the device. Needs root; fails (never skips) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeIpv4Header, IpProtocol } from '../../src/io/ipv4.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import { openTun, type TunDevice } from '../../src/io/tun.js';
import { openUdp } from '../../src/io/udp.js';
import { createNetns, deleteNetns, nsRun, requireRoot, run } from '../helpers/netns.js';
import { dgramReceiver, dgramSend, receive, udpPacket } from './io-helpers.js';

requireRoot();

const LOCAL = '192.0.2.1'; // the namespace's end of the tunnel
const PEER = '192.0.2.2'; // the far end, which this test plays through the device
const local = parseIpv4(LOCAL);
const peer = parseIpv4(PEER);

let ns = '';
let tun: TunDevice;

/** Gives the device the point-to-point address and brings it up. */
function configure(name: string): void {
  nsRun(ns, 'ip', ['addr', 'add', LOCAL, 'peer', PEER, 'dev', name]);
  nsRun(ns, 'ip', ['link', 'set', name, 'up']);
}

beforeAll(() => {
  ns = createNetns('io-tun');
  tun = openTun({ name: 'vpntun0', netns: ns });
  configure(tun.name);
});

afterAll(() => {
  tun?.close();
  if (ns) deleteNetns(ns);
});

describe('TUN device in a namespace', () => {
  it('has the requested name and the ifindex the namespace reports', () => {
    expect(tun.kind).toBe('tun');
    expect(tun.name).toBe('vpntun0');
    expect(tun.mac).toBeUndefined();
    const link = nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', 'vpntun0']);
    expect(link.startsWith(`${tun.ifindex}: vpntun0:`)).toBe(true);
    expect(link).toContain('POINTOPOINT');
    // The device exists only inside the namespace.
    expect(run('ip', ['link', 'show', 'dev', 'vpntun0'], { allowFail: true })).toBe('');
  });

  it('carries packets written to the device to a UDP socket in the namespace', async () => {
    const receiver = dgramReceiver(ns, LOCAL, 5555);
    try {
      await receiver.ready;
      for (let i = 0; i < 3; i++) {
        const packet = udpPacket(peer, 7777, local, 5555, Buffer.from(`hello from tun ${i}`));
        expect(tun.send(packet, 0, packet.length)).toBe(true);
      }
      const lines = (await receiver.next(3)).map((l) => JSON.parse(l) as { text: string; address: string; port: number });
      expect(lines).toEqual([0, 1, 2].map((i) => ({ text: `hello from tun ${i}`, address: PEER, port: 7777 })));
      expect(tun.stats.txPackets).toBeGreaterThanOrEqual(3);
    } finally {
      receiver.child.kill('SIGKILL');
    }
  });

  it('reads from the device what a UDP socket in the namespace sends (node:dgram)', async () => {
    const isTest = (p: Buffer): boolean => p[9] === IpProtocol.UDP && p.readUInt16BE(22) === 9999;
    const got = receive(tun, 5, isTest);
    await dgramSend(ns, LOCAL, 6666, PEER, 9999, 'to the tunnel', 5);
    const { packets, sources } = await got;
    for (const [i, packet] of packets.entries()) {
      const header = decodeIpv4Header(packet, 0, packet.length);
      expect(header).toMatchObject({ protocol: IpProtocol.UDP, source: local, destination: peer, totalLength: packet.length });
      expect(packet.readUInt16BE(20)).toBe(6666);
      expect(packet.subarray(28).toString()).toBe(`to the tunnel ${i}`);
    }
    expect(sources.every((s) => s === 0)).toBe(true); // devices have no source address in the metadata
  });

  it('reads what the addon UDP endpoint sends in the namespace, with its IP_TOS', async () => {
    const udp = openUdp({ localAddress: LOCAL, netns: ns, tos: 0x28 });
    try {
      const got = receive(tun, 1, (p) => p[9] === IpProtocol.UDP && p.readUInt16BE(20) === udp.localPort);
      const payload = Buffer.from('addon udp in netns');
      expect(udp.send(payload, 0, payload.length, peer, 4242)).toBe(true);
      const [packet] = (await got).packets;
      const header = decodeIpv4Header(packet, 0, packet.length);
      expect(header).toMatchObject({ tos: 0x28, source: local, destination: peer });
      expect(packet.readUInt16BE(22)).toBe(4242);
      expect(packet.subarray(28).toString()).toBe('addon udp in netns');
    } finally {
      udp.close();
    }
  });

  it('answers in both directions through the addon alone: device -> UDP endpoint -> device', async () => {
    const udp = openUdp({ localAddress: LOCAL, localPort: 5556, netns: ns });
    try {
      const atUdp = receive(udp, 1);
      const question = udpPacket(peer, 8888, local, 5556, Buffer.from('question'));
      expect(tun.send(question, 0, question.length)).toBe(true);
      const asked = await atUdp;
      expect(asked.sources[0]).toBe(peer);
      expect(asked.ports[0]).toBe(8888);
      const atTun = receive(tun, 1, (p) => p[9] === IpProtocol.UDP && p.readUInt16BE(22) === 8888);
      udp.send(Buffer.from('answer'), 0, 6, asked.sources[0], asked.ports[0]);
      expect((await atTun).packets[0].subarray(28).toString()).toBe('answer');
    } finally {
      udp.close();
    }
  });

  it('writes a batch to the device with one call', async () => {
    const receiver = dgramReceiver(ns, LOCAL, 5557);
    try {
      await receiver.ready;
      const packets = [0, 1, 2, 3].map((i) => udpPacket(peer, 7000 + i, local, 5557, Buffer.from(`batch ${i}`)));
      const data = Buffer.concat(packets);
      const meta = new Uint32Array(16);
      let offset = 0;
      packets.forEach((p, i) => {
        meta.set([offset, p.length, 0, 0], i * 4);
        offset += p.length;
      });
      expect(tun.sendBatch(data, meta, 4)).toBe(4);
      const lines = (await receiver.next(4)).map((l) => (JSON.parse(l) as { text: string }).text).sort();
      expect(lines).toEqual(['batch 0', 'batch 1', 'batch 2', 'batch 3']);
    } finally {
      receiver.child.kill('SIGKILL');
    }
  });

  it('lets the kernel choose a name, or fill in a pattern', () => {
    const chosen = openTun({ netns: ns });
    const patterned = openTun({ netns: ns, name: 'vpnc%d' });
    try {
      expect(chosen.name).toMatch(/^tun\d+$/);
      expect(patterned.name).toBe('vpnc0');
      expect(nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', 'vpnc0'])).toContain(`${patterned.ifindex}: vpnc0`);
    } finally {
      chosen.close();
      patterned.close();
    }
    expect(nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', 'vpnc0'], { allowFail: true })).toBe('');
  });

  it('refuses a name taken by another kind of device, or by a tun device in use', () => {
    nsRun(ns, 'ip', ['link', 'add', 'vpnveth0', 'type', 'veth', 'peer', 'name', 'vpnveth1']);
    for (const [name, errno] of [['vpnveth0', 'EINVAL'], ['vpntun0', 'EBUSY']] as const) {
      let error: unknown;
      try {
        openTun({ netns: ns, name });
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: 'VPNC_ERR_TUN_OPEN', errno });
      expect((error as Error).message).toContain(`cannot open tun device "${name}" in network namespace ${ns}`);
      expect((error as Error).message).toContain('the interface name is taken by another device or is not valid');
    }
  });

  it('reports a fatal error when the device is deleted under it, and the close after it is clean', async () => {
    const doomed = openTun({ netns: ns, name: 'vpndoom0' });
    const failure = new Promise<Error>((resolve) => doomed.start(() => {}, resolve));
    nsRun(ns, 'ip', ['link', 'del', 'vpndoom0']);
    const error = await failure;
    expect((error as { code?: string }).code).toBe('VPNC_ERR_IO');
    expect(error.message).toContain('tun device vpndoom0: receiving stopped');
    expect(doomed.stats.rxErrors).toBe(1);
    doomed.close();
    doomed.close();
    expect(doomed.fd).toBe(-1);
  });

  it('a device opened blocking (for fs.read comparisons) exposes its fd but refuses to start', () => {
    const blocking = openTun({ netns: ns, name: 'vpnblock0', blocking: true });
    try {
      expect(blocking.fd).toBeGreaterThan(2);
      expect(() => blocking.start(() => {})).toThrow(/opened blocking/);
    } finally {
      blocking.close();
    }
  });

  it('removes the device on close', () => {
    const extra = openTun({ netns: ns, name: 'vpngone0' });
    expect(nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', 'vpngone0'])).toContain('vpngone0');
    extra.close();
    extra.close();
    expect(nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', 'vpngone0'], { allowFail: true })).toBe('');
  });
});
