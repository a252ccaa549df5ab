/**
 * How ESP packets travel to and from the gateway (vpnc.md 3.2):
 * - `udp`: RFC 3948 ESP-in-UDP on the IKE socket (port 4500, after the NAT-T float);
 * - `draft`: old NAT-T drafts, ESP behind an 8-byte zero non-IKE marker on the IKE socket (port 500);
 * - `cisco-udp`: bare ESP in UDP from our --udp-port to the port the gateway named in mode config;
 * - `raw`: IP protocol 50 with our own outer IPv4 header (TTL 64, incrementing id, TOS of the inner packet).
 * Senders get the ESP packet at `off` with headroom in front (ESP_HEADROOM), so headers are written there.
 */
import { encodeIpv4Header, IpProtocol, openRawEsp, openUdp, parseIpv4Address, type PacketEndpoint } from '../io/index.js';
import type { PacketBatch } from '../io/endpoint.js';
import { ipv4HeaderLength } from '../io/ipv4.js';
import type { EspSink, IkeChannel } from './ike-channel.js';

export type EspTransportKind = 'udp' | 'draft' | 'cisco-udp' | 'raw';

export interface EspTransport {
  readonly kind: EspTransportKind;
  /** Sends the ESP packet buf[off, off+len); `tos` is the inner packet's TOS. Returns false on a drop. */
  send(buf: Buffer, off: number, len: number, tos: number): boolean;
  /** Starts delivering received ESP packets (zero-copy, valid during the call). */
  start(sink: EspSink): void;
  /** A NAT keepalive, for UDP transports. */
  keepalive(): void;
  close(): void;
}

/** ESP on the IKE socket after the RFC 3947 float. */
export class UdpEspTransport implements EspTransport {
  readonly kind = 'udp' as const;
  private static readonly KEEPALIVE = Buffer.from([0xff]);
  constructor(private readonly channel: IkeChannel) {}
  send(buf: Buffer, off: number, len: number): boolean {
    return this.channel.sendRaw(buf, off, len);
  }
  start(sink: EspSink): void {
    this.channel.setEspSink(sink);
  }
  keepalive(): void {
    this.channel.sendRaw(UdpEspTransport.KEEPALIVE, 0, 1);
  }
  close(): void {
    this.channel.setEspSink(undefined);
  }
}

/** Cisco UDP encapsulation: a socket of its own, bare ESP. */
export class CiscoUdpTransport implements EspTransport {
  readonly kind = 'cisco-udp' as const;
  private static readonly KEEPALIVE = Buffer.from([0, 0, 0, 0, 0xff]);
  private readonly socket: PacketEndpoint;
  private readonly gatewayAddr: number;
  constructor(localAddress: string, localPort: number, gateway: string, private readonly gatewayPort: number, netns?: string) {
    this.socket = openUdp({ localAddress, localPort, ...(netns ? { netns } : {}) });
    this.gatewayAddr = parseIpv4Address(gateway);
  }
  send(buf: Buffer, off: number, len: number): boolean {
    return this.socket.send(buf, off, len, this.gatewayAddr, this.gatewayPort);
  }
  start(sink: EspSink): void {
    this.socket.start((b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) {
        const len = b.length(i);
        if (b.address(i) !== this.gatewayAddr || len <= 8) continue; // keepalives and strangers
        sink(b.buffer, b.offset(i), len);
      }
    });
  }
  keepalive(): void {
    this.socket.send(CiscoUdpTransport.KEEPALIVE, 0, 5, this.gatewayAddr, this.gatewayPort);
  }
  close(): void {
    this.socket.close();
  }
}

/** Old NAT-T drafts (00/01): ESP after 8 zero bytes, on the IKE socket at port 500. */
export class DraftUdpTransport implements EspTransport {
  readonly kind = 'draft' as const;
  constructor(private readonly channel: IkeChannel) {}
  send(buf: Buffer, off: number, len: number): boolean {
    buf.fill(0, off - 8, off);
    return this.channel.sendRaw(buf, off - 8, len + 8);
  }
  start(sink: EspSink): void {
    this.channel.setEspSink((buf, off, len) => sink(buf, off + 8, len - 8));
  }
  keepalive(): void {
    this.channel.sendRaw(Buffer.from([0xff]), 0, 1);
  }
  close(): void {
    this.channel.setEspSink(undefined);
  }
}

/** Raw ESP (IP protocol 50). */
export class RawEspTransport implements EspTransport {
  readonly kind = 'raw' as const;
  private readonly socket: PacketEndpoint;
  private readonly gatewayAddr: number;
  private readonly localAddr: number;
  private ipId: number;
  constructor(localAddress: string, gateway: string, netns?: string) {
    this.socket = openRawEsp({ localAddress, ...(netns ? { netns } : {}) });
    this.gatewayAddr = parseIpv4Address(gateway);
    this.localAddr = parseIpv4Address(localAddress);
    this.ipId = Math.floor(Math.random() * 0x10000);
  }
  send(buf: Buffer, off: number, len: number, tos: number): boolean {
    const start = off - 20;
    this.ipId = (this.ipId + 1) & 0xffff;
    encodeIpv4Header(buf, start, {
      totalLength: len + 20,
      protocol: IpProtocol.ESP,
      source: this.localAddr,
      destination: this.gatewayAddr,
      tos,
      identification: this.ipId,
      ttl: 64,
    });
    return this.socket.send(buf, start, len + 20, this.gatewayAddr);
  }
  start(sink: EspSink): void {
    this.socket.start((b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) {
        if (b.address(i) !== this.gatewayAddr) continue;
        const off = b.offset(i);
        const len = b.length(i);
        const hl = ipv4HeaderLength(b.buffer, off, len);
        if (hl === 0) continue;
        sink(b.buffer, off + hl, len - hl);
      }
    });
  }
  keepalive(): void {}
  close(): void {
    this.socket.close();
  }
}
