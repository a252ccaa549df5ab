/**
 * Helpers for the io-*.test.ts interop tests: building test packets and frames, waiting for packets on an
 * endpoint, and small Node scripts run inside a namespace as independent senders and receivers.
 */
import type { ChildProcess } from 'node:child_process';
import { encodeIpv4Header, IpProtocol, IPV4_HEADER_LENGTH } from '../../src/io/ipv4.js';
import type { PacketEndpoint } from '../../src/io/endpoint.js';
import { nsSpawn } from '../helpers/netns.js';

/** An IPv4/UDP packet (UDP checksum 0: "not computed", allowed for IPv4). */
export function udpPacket(src: number, sport: number, dst: number, dport: number, payload: Buffer, tos = 0): Buffer {
  const packet = Buffer.alloc(IPV4_HEADER_LENGTH + 8 + payload.length);
  encodeIpv4Header(packet, 0, { totalLength: packet.length, protocol: IpProtocol.UDP, source: src, destination: dst, tos });
  packet.writeUInt16BE(sport, 20);
  packet.writeUInt16BE(dport, 22);
  packet.writeUInt16BE(8 + payload.length, 24);
  payload.copy(packet, 28);
  return packet;
}

/** An Ethernet II frame. */
export function ethernetFrame(dst: Buffer, src: Buffer, etherType: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(14);
  dst.copy(header, 0);
  src.copy(header, 6);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, payload]);
}

/** An ARP request (RFC 826, Ethernet/IPv4): who has targetIp, tell senderIp. */
export function arpRequest(senderMac: Buffer, senderIp: number, targetIp: number): Buffer {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0); // hardware: Ethernet
  arp.writeUInt16BE(0x0800, 2); // protocol: IPv4
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6); // request
  senderMac.copy(arp, 8);
  arp.writeUInt32BE(senderIp, 14);
  arp.writeUInt32BE(targetIp, 24);
  return arp;
}

/** Copies the packets of each batch until `accept` has taken `count` of them, or rejects after `ms`. */
export function receive(endpoint: PacketEndpoint, count: number, accept: (p: Buffer) => boolean = () => true, ms = 5000): Promise<{ packets: Buffer[]; sources: number[]; ports: number[]; batchSizes: number[] }> {
  return new Promise((resolve, reject) => {
    const result = { packets: [] as Buffer[], sources: [] as number[], ports: [] as number[], batchSizes: [] as number[] };
    const timer = setTimeout(() => {
      endpoint.stop();
      reject(new Error(`timed out with ${result.packets.length} of ${count} packets`));
    }, ms);
    endpoint.start(
      (batch) => {
        result.batchSizes.push(batch.count);
        for (let i = 0; i < batch.count && result.packets.length < count; i++) {
          const packet = Buffer.from(batch.packet(i));
          if (!accept(packet)) continue;
          result.packets.push(packet);
          result.sources.push(batch.address(i));
          result.ports.push(batch.port(i));
        }
        if (result.packets.length >= count) {
          clearTimeout(timer);
          endpoint.stop();
          resolve(result);
        }
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Starts a node:dgram receiver in `ns` bound to address:port that prints one JSON line per datagram. */
export function dgramReceiver(ns: string, address: string, port: number): { child: ChildProcess; lines: string[]; ready: Promise<void>; next: (n: number) => Promise<string[]> } {
  const script = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => console.log(JSON.stringify({ text: m.toString(), address: r.address, port: r.port })));
s.bind(${port}, ${JSON.stringify(address)}, () => console.log('ready'));`;
  const child = nsSpawn(ns, process.execPath, ['-e', script]);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let pending = '';
  child.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const until = (ok: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dgram receiver: timed out waiting for ${what}; got ${JSON.stringify(lines)}`)), 5000);
      const check = (): void => {
        if (ok()) {
          clearTimeout(timer);
          resolve();
        } else waiters.push(check);
      };
      check();
    });
  const ready = until(() => lines.includes('ready'), 'ready');
  const next = async (n: number): Promise<string[]> => {
    await until(() => lines.filter((l) => l !== 'ready').length >= n, `${n} datagrams`);
    return lines.filter((l) => l !== 'ready');
  };
  return { child, lines, ready, next };
}

/** Runs a node:dgram sender in `ns` that sends `count` datagrams "<text> <i>" from sport and exits. */
export function dgramSend(ns: string, from: string, sport: number, to: string, dport: number, text: string, count: number): Promise<void> {
  const script = `const s = require('node:dgram').createSocket('udp4');
s.bind(${sport}, ${JSON.stringify(from)}, async () => {
  for (let i = 0; i < ${count}; i++) await new Promise((r) => s.send(${JSON.stringify(text)} + ' ' + i, ${dport}, ${JSON.stringify(to)}, r));
  s.close();
});`;
  const child = nsSpawn(ns, process.execPath, ['-e', script]);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dgram sender failed: ${stderr}`))));
  });
}
