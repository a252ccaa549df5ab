/**
 * How ESP packets travel to and from the gateway (vpnc.md 3.2):
 * - `udp`: RFC 3948 ESP-in-UDP on the IKE socket (port 4500, after the NAT-T float);
 * - `draft`: old NAT-T drafts, ESP behind an 8-byte zero non-IKE marker on the IKE socket (port 500);
 * - `cisco-udp`: bare ESP in UDP from our --udp-port to the port the gateway named in mode config;
 * - `raw`: IP protocol 50 with our own outer IPv4 header (TTL 64, incrementing id, TOS of the inner packet).
 * Senders get the ESP packet at `off` with headroom in front (ESP_HEADROOM), so headers are written there.
 * `queue` + `flush` send the packets of one TUN batch with one sendmmsg() per SEND_QUEUE_LENGTH packets.
 */
import {
  META_STRIDE,
  openRawEsp,
  RawEspHeader,
  openUdp,
  setBatchEntry,
  type NetworkError,
  type PacketEndpoint,
  type RawEspEndpoint,
  type UdpEndpoint,
} from '../io/index.js';
import { ESP_SOCKET_BUFFER } from '../esp/constants.js';
import type { PacketBatch } from '../io/endpoint.js';
import { ipv4HeaderLength } from '../io/ipv4.js';
import { parseIpv4 } from '../wire/ipv4-text.js';
import type { EspSink, IkeChannel } from './ike-channel.js';
import type { EspTransportKind } from './trace/taps.js';


export interface EspTransport {
  readonly kind: EspTransportKind;
  /** Sends the ESP packet buf[off, off+len); `tos` is the inner packet's TOS. Returns false on a drop. */
  send(buf: Buffer, off: number, len: number, tos: number): boolean;
  /**
   * Queues the ESP packet buf[off, off+len) (headroom in front, as for `send`) for the next `flush`. The bytes
   * must stay untouched until then. Returns the packets dropped by a flush that a full queue, or a packet in
   * another buffer, forced first (usually 0).
   */
  queue(buf: Buffer, off: number, len: number, tos: number): number;
  /** Sends everything queued (one system call per SEND_QUEUE_LENGTH packets); returns the packets dropped. */
  flush(): number;
  /** Starts delivering received ESP packets (zero-copy, valid during the call). */
  /** `onError`: receiving stopped for good on a socket of the transport's own (the session logs it; DPD decides). */
  start(sink: EspSink, onError?: (err: Error) => void): void;
  /** Hears the network's reports (ICMP) about ESP sent on a socket of the transport's own; none on the IKE socket's. */
  onNetworkError?(handler: (e: NetworkError) => void): void;
  /** A NAT keepalive, for UDP transports. */
  keepalive(): void;
  close(): void;
}

/** Packets one flush hands to the kernel at most (the TUN batch size). */
export const SEND_QUEUE_LENGTH = 64;

/** Packets waiting for one `sendBatch`: entries in the endpoint's META_STRIDE layout, all in one buffer. */
export class SendQueue {
  private readonly meta = new Uint32Array(SEND_QUEUE_LENGTH * META_STRIDE);
  private buf: Buffer | undefined;
  private count = 0;

  /** Packets queued. */
  get length(): number {
    return this.count;
  }

  /** Adds a packet; flushes to `endpoint` first when full or when `buf` differs. Returns packets dropped. */
  add(endpoint: PacketEndpoint, buf: Buffer, off: number, len: number, address: number, port: number): number {
    const dropped = this.count === SEND_QUEUE_LENGTH || (this.buf !== undefined && this.buf !== buf) ? this.flush(endpoint) : 0;
    this.buf = buf;
    setBatchEntry(this.meta, this.count++, off, len, address, port);
    return dropped;
  }

  /** Sends what is queued to `endpoint`; returns the packets it refused. */
  flush(endpoint: PacketEndpoint): number {
    const count = this.count;
    const buf = this.buf;
    this.count = 0;
    this.buf = undefined;
    if (count === 0 || buf === undefined) return 0;
    return count - endpoint.sendBatch(buf, this.meta, count);
  }
}

/** ESP on the IKE socket after the RFC 3947 float. */
export class UdpEspTransport implements EspTransport {
  readonly kind = 'udp' as const;
  private static readonly KEEPALIVE = Buffer.from([0xff]);
  private readonly pending = new SendQueue();
  constructor(private readonly channel: IkeChannel) {}
  send(buf: Buffer, off: number, len: number): boolean {
    return this.channel.sendRaw(buf, off, len);
  }
  queue(buf: Buffer, off: number, len: number): number {
    return this.pending.add(this.channel.endpoint, buf, off, len, this.channel.remoteAddress, this.channel.remotePort);
  }
  flush(): number {
    return this.pending.flush(this.channel.endpoint);
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
  private readonly socket: UdpEndpoint;
  private readonly gatewayAddr: number;
  constructor(localAddress: string, localPort: number, gateway: string, private readonly gatewayPort: number, netns?: string) {
    this.socket = openUdp({ localAddress, localPort, receiveBufferSize: ESP_SOCKET_BUFFER, ...(netns ? { netns } : {}) });
    this.gatewayAddr = parseIpv4(gateway);
  }
  private readonly pending = new SendQueue();
  send(buf: Buffer, off: number, len: number): boolean {
    return this.socket.send(buf, off, len, this.gatewayAddr, this.gatewayPort);
  }
  queue(buf: Buffer, off: number, len: number): number {
    return this.pending.add(this.socket, buf, off, len, this.gatewayAddr, this.gatewayPort);
  }
  flush(): number {
    return this.pending.flush(this.socket);
  }
  start(sink: EspSink, onError?: (err: Error) => void): void {
    this.socket.start((b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) {
        const len = b.length(i);
        if (b.address(i) !== this.gatewayAddr || len <= 8) continue; // keepalives and strangers
        sink(b.buffer, b.offset(i), len);
      }
    }, (err) => onError?.(err));
  }
  onNetworkError(handler: (e: NetworkError) => void): void {
    this.socket.onNetworkError(handler);
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
  private readonly pending = new SendQueue();
  constructor(private readonly channel: IkeChannel) {}
  send(buf: Buffer, off: number, len: number): boolean {
    buf.fill(0, off - 8, off);
    return this.channel.sendRaw(buf, off - 8, len + 8);
  }
  queue(buf: Buffer, off: number, len: number): number {
    buf.fill(0, off - 8, off);
    return this.pending.add(this.channel.endpoint, buf, off - 8, len + 8, this.channel.remoteAddress, this.channel.remotePort);
  }
  flush(): number {
    return this.pending.flush(this.channel.endpoint);
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
  private readonly socket: RawEspEndpoint;
  private readonly gatewayAddr: number;
  private readonly header: RawEspHeader;
  constructor(localAddress: string, gateway: string, netns?: string) {
    this.socket = openRawEsp({ localAddress, receiveBufferSize: ESP_SOCKET_BUFFER, ...(netns ? { netns } : {}) });
    this.gatewayAddr = parseIpv4(gateway);
    this.header = new RawEspHeader(parseIpv4(localAddress));
  }
  private readonly pending = new SendQueue();
  send(buf: Buffer, off: number, len: number, tos: number): boolean {
    const start = this.header.write(buf, off, len, this.gatewayAddr, tos);
    return this.socket.send(buf, start, len + 20, this.gatewayAddr);
  }
  queue(buf: Buffer, off: number, len: number, tos: number): number {
    const start = this.header.write(buf, off, len, this.gatewayAddr, tos);
    return this.pending.add(this.socket, buf, start, len + 20, this.gatewayAddr, 0);
  }
  flush(): number {
    return this.pending.flush(this.socket);
  }
  start(sink: EspSink, onError?: (err: Error) => void): void {
    this.socket.start((b: PacketBatch) => {
      for (let i = 0; i < b.count; i++) {
        if (b.address(i) !== this.gatewayAddr) continue;
        const off = b.offset(i);
        const len = b.length(i);
        const hl = ipv4HeaderLength(b.buffer, off, len);
        if (hl === 0) continue;
        sink(b.buffer, off + hl, len - hl);
      }
    }, (err) => onError?.(err));
  }
  onNetworkError(handler: (e: NetworkError) => void): void {
    this.socket.onNetworkError(handler);
  }
  keepalive(): void {}
  close(): void {
    this.socket.close();
  }
}
