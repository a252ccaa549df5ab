/**
 * The IKE side of the UDP socket: sends ISAKMP datagrams (with the 4-byte non-ESP marker once floated to
 * port 4500), receives them, drops duplicates and NAT keepalives, and hands ESP-in-UDP datagrams that
 * share the socket to the data path. Requests are retransmitted with the same bytes on the retransmission
 * policy (retransmit.ts: backoff with jitter until the `IKE timeout`), then "no response from target". A
 * request that also answers the gateway's last message (AM3, our XAUTH reply) is resent at once when the
 * gateway repeats that message, as a reply() is. Datagrams whose initiator cookie is none we sent are dropped
 * before any work (we initiate every phase 1), and at most IKE_QUEUE_LIMIT wait: a flood costs counters.
 */
import { ESP_SOCKET_BUFFER } from '../esp/constants.js';
import { classifyNattDatagram, NattDatagram, NON_ESP_MARKER_LENGTH } from '../esp/natt-demux.js';
import { PeerTimeoutError, VpncError } from '../errors.js';
import type { Logger } from '../log.js';
import { describeNetworkError, openUdp, type UdpEndpoint } from '../io/index.js';
import { parseIpv4 } from '../wire/ipv4-text.js';
import { COOKIE_LENGTH, copyCookie, type IkeCookie } from '../wire/sa-ids.js';
import type { PacketBatch } from '../io/endpoint.js';
import type { DatagramTap } from './trace/taps.js';
import { retransmitWaits, type RetransmitPolicy } from './retransmit.js';
import { systemClock, Timers, type Clock } from './timers.js';

/** Called for an ESP packet that arrived on the IKE socket (zero-copy: valid during the call only). */
export type EspSink = (buf: Buffer, offset: number, length: number) => void;

/** IKE datagrams waiting for the session: a conversation has one or two; more is a flood, dropped. */
const IKE_QUEUE_LIMIT = 64;
/** Initiator cookies of ours recognised: the SA in use, one being made, and the attempts before them. */
const OUR_COOKIES_KEPT = 16;

export interface IkeChannelOptions {
  localAddress: string;
  localPort: number;
  gateway: string;
  gatewayPort: number;
  log: Logger;
  netns?: string;
  /** Observer of every datagram to and from the gateway (diagnostic trace). */
  tap?: DatagramTap;
  /** The session's clock (default: the system's). */
  clock?: Clock;
  /** When requests are resent and given up (default Timers.retransmit). */
  retransmit?: RetransmitPolicy;
  /** [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

export interface ExchangeOptions {
  /** Declined datagrams go here (e.g. a DPD arriving meanwhile). */
  other?: (d: Buffer) => void;
  /** The waits after each send (default: from the channel's retransmission policy). */
  waits?: readonly number[];
  /** The request is also our answer to the datagram just taken: resent at once should the gateway repeat that. */
  answersLast?: boolean;
}


export class IkeChannel {
  private socket: UdpEndpoint;
  private gatewayAddr: number;
  private gatewayPort: number;
  /** RFC 3948: IKE carries a 4-byte zero marker, ESP none (port 4500). */
  private nonEspMarker = false;
  private readonly queue: Buffer[] = [];
  private waiter: (() => void) | undefined;
  /**
   * Counts interrupt() calls. next() returns null when the count moved since the last next() that saw it, so
   * an interrupt that comes while nobody waits (the caller is busy) is not lost: the next wait ends at once.
   */
  private interrupts = 0;
  private interruptsSeen = 0;
  /** The network's last report (ICMP) about what we sent: named when the gateway does not answer. */
  private networkError: { text: string; at: number } | undefined;
  /** Set by cancel(): every wait, interruptible or not, ends and exchanges give up (the user stopped us). */
  private cancelled = false;
  /** The last datagram delivered (its copy in the queue): a datagram equal to it is a repeat. */
  private lastDelivered: Buffer | undefined;
  /** Initiator cookies of what we sent, newest last: a datagram with another one is not for us. */
  private readonly ourCookies: IkeCookie[] = [];
  /** IKE datagrams dropped: of strangers (a cookie we never sent) and for a full queue. */
  readonly dropped = { stranger: 0, queueFull: 0 };
  /** Our answer to the last delivered datagram: resent when the gateway repeats that datagram. */
  private lastResponse: Buffer | undefined;
  private espSink: EspSink | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  /** Any datagram (IKE or ESP) seen: for DPD's idle detection. */
  lastReceive: number;
  closed = false;

  constructor(private readonly opts: IkeChannelOptions) {
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    this.lastReceive = this.clock.now();
    this.gatewayAddr = parseIpv4(opts.gateway);
    this.gatewayPort = opts.gatewayPort;
    this.socket = this.open(opts.localPort);
  }

  private open(port: number): UdpEndpoint {
    // NAT-T ESP shares this socket: the same receive buffer as the ESP transports.
    const s = openUdp({ localAddress: this.opts.localAddress, localPort: port, receiveBufferSize: ESP_SOCKET_BUFFER, ...(this.opts.netns ? { netns: this.opts.netns } : {}) });
    s.start((batch) => this.onBatch(batch), (err) => this.log.notice(`IKE: ${err.message}`));
    s.onNetworkError((e) => {
      const text = describeNetworkError(e);
      if (text !== this.networkError?.text) this.log.at(1)?.(`the network says about IKE: ${text}`);
      this.networkError = { text, at: this.clock.now() };
    });
    return s;
  }

  get localPort(): number {
    return this.socket.localPort;
  }

  get endpoint(): UdpEndpoint {
    return this.socket;
  }

  get floated(): boolean {
    return this.nonEspMarker;
  }

  get remotePort(): number {
    return this.gatewayPort;
  }

  /** The gateway's IPv4 address as an unsigned 32-bit number (for batched ESP sends on this socket). */
  get remoteAddress(): number {
    return this.gatewayAddr;
  }

  /**
   * Moves to NAT-T (RFC 3947): port 4500 on the gateway, the non-ESP marker on IKE, and a new local socket
   * on 4500 when we were on 500 (any other local port is kept, as vpnc does).
   */
  floatTo4500(): void {
    const newLocal = this.socket.localPort === 500 ? 4500 : this.socket.localPort;
    if (newLocal !== this.socket.localPort) {
      const old = this.socket;
      this.socket = this.open(newLocal);
      old.close();
    }
    this.gatewayPort = 4500;
    this.nonEspMarker = true;
    this.log.at(2)?.(`NAT-T: floated to ${this.opts.localAddress}:${this.socket.localPort} -> ${this.opts.gateway}:4500`);
  }

  /** Delivers ESP datagrams arriving on this socket (after a float) to `sink`. */
  setEspSink(sink: EspSink | undefined): void {
    this.espSink = sink;
  }

  private onBatch(batch: PacketBatch): void {
    for (let i = 0; i < batch.count; i++) {
      if (batch.address(i) !== this.gatewayAddr) continue; // not from our gateway
      const off = batch.offset(i);
      const len = batch.length(i);
      const buf = batch.buffer;
      this.lastReceive = this.clock.now();
      this.opts.tap?.datagram('in', buf, off, len, this);
      const kind = classifyNattDatagram(buf, off, len);
      if (kind === NattDatagram.KEEPALIVE) continue;
      if (this.nonEspMarker) {
        if (kind === NattDatagram.IKE) this.deliverIke(buf.subarray(off + NON_ESP_MARKER_LENGTH, off + len));
        else if (kind === NattDatagram.ESP && this.espSink) this.espSink(buf, off, len);
        continue;
      }
      this.deliverIke(buf.subarray(off, off + len));
    }
  }

  private deliverIke(view: Buffer): void {
    if (view.length < 28) return;
    // Before anything costs: every exchange of ours carries an initiator cookie we sent (we initiate phase 1).
    if (!this.isOurCookie(view)) {
      if (this.dropped.stranger++ === 0) this.log.at(1)?.('dropped an IKE datagram with an initiator cookie we never sent (first of its kind; later ones are counted)');
      return;
    }
    const last = this.lastDelivered;
    if (last !== undefined && last.length === view.length && last.equals(view)) {
      this.log.at(2)?.(`received duplicated packet${this.lastResponse ? ', answering it again' : ', dropped'}`);
      if (this.lastResponse) this.send(this.lastResponse);
      return;
    }
    if (this.queue.length >= IKE_QUEUE_LIMIT) {
      this.dropped.queueFull++;
      return;
    }
    const copy = Buffer.from(view);
    this.lastDelivered = copy;
    this.lastResponse = undefined;
    this.queue.push(copy);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Whether `view` carries one of our cookies; a match becomes the most recently used (kept longest). */
  private isOurCookie(view: Buffer): boolean {
    for (let i = this.ourCookies.length - 1; i >= 0; i--) {
      const c = this.ourCookies[i]!;
      if (view.compare(c, 0, COOKIE_LENGTH, 0, COOKIE_LENGTH) !== 0) continue;
      if (i !== this.ourCookies.length - 1) this.ourCookies.push(...this.ourCookies.splice(i, 1));
      return true;
    }
    return false;
  }

  /**
   * Notes the initiator cookie of an ISAKMP datagram we send. The least recently used is forgotten first: the SA in
   * use stays known while failed re-authentications come and go, as long as either side speaks on it.
   */
  private noteCookie(datagram: Buffer): void {
    if (datagram.length < COOKIE_LENGTH || this.isOurCookie(datagram)) return;
    this.ourCookies.push(copyCookie(datagram.subarray(0, COOKIE_LENGTH)));
    if (this.ourCookies.length > OUR_COOKIES_KEPT) this.ourCookies.shift();
  }

  /** Sends an ISAKMP datagram (the marker is added when floated). */
  send(datagram: Buffer): void {
    if (this.closed) return;
    this.noteCookie(datagram);
    const data = this.nonEspMarker ? Buffer.concat([Buffer.alloc(4), datagram]) : datagram;
    this.opts.tap?.datagram('out', data, 0, data.length, this);
    this.socket.send(data, 0, data.length, this.gatewayAddr, this.gatewayPort);
  }

  /** Sends our answer to the datagram just taken from the queue, and repeats it if the gateway repeats that. */
  reply(datagram: Buffer): void {
    this.lastResponse = datagram;
    this.send(datagram);
  }

  /** Sends raw bytes to the gateway on this socket (ESP-in-UDP, keepalives). */
  sendRaw(buf: Buffer, offset: number, length: number): boolean {
    return this.socket.send(buf, offset, length, this.gatewayAddr, this.gatewayPort);
  }

  /** Takes the next received IKE datagram, waiting up to `timeoutMs`; null on timeout or interrupt(). */
  async next(timeoutMs: number): Promise<Buffer | null> {
    return this.take(timeoutMs, true);
  }

  private async take(timeoutMs: number, interruptible: boolean): Promise<Buffer | null> {
    const deadline = this.clock.now() + timeoutMs;
    while (this.queue.length === 0) {
      const left = deadline - this.clock.now();
      if (interruptible && this.interrupts !== this.interruptsSeen) {
        this.interruptsSeen = this.interrupts;
        return null;
      }
      if (left <= 0 || this.closed || this.cancelled) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = undefined;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return this.queue.shift()!;
  }

  /**
   * Sends `request` and waits for a datagram that `accept` takes, resending the same bytes on the channel's
   * retransmission policy (or `o.waits`). Datagrams `accept` declines go to `o.other`.
   */
  async exchange(request: Buffer, accept: (d: Buffer) => boolean, o: ExchangeOptions = {}): Promise<Buffer> {
    const started = this.clock.now();
    const waits = o.waits ?? retransmitWaits(this.opts.retransmit ?? Timers.retransmit, this.opts.random);
    if (o.answersLast) this.lastResponse = request;
    for (let attempt = 0; attempt < waits.length; attempt++) {
      if (attempt > 0) this.log.at(2)?.(`no answer yet, resending (attempt ${attempt + 1})`);
      this.send(request);
      const deadline = this.clock.now() + waits[attempt]!;
      for (;;) {
        const d = await this.take(deadline - this.clock.now(), false);
        if (this.cancelled) throw new VpncError('VPNC_ERR_INTERRUPTED', 'stopped while waiting for the gateway');
        if (!d) break;
        if (accept(d)) return d;
        o.other?.(d);
      }
    }
    throw new PeerTimeoutError(`no response from target ${this.opts.gateway}:${this.gatewayPort}${this.networkSaid(started)}`);
  }

  /** Waits for a gateway-initiated datagram that `accept` takes (e.g. the XAUTH request after AM3). */
  async expect(accept: (d: Buffer) => boolean, timeoutMs: number, what: string, other: (d: Buffer) => void = () => {}): Promise<Buffer> {
    const started = this.clock.now();
    const deadline = started + timeoutMs;
    for (;;) {
      const d = await this.take(deadline - this.clock.now(), false);
      if (this.cancelled) throw new VpncError('VPNC_ERR_INTERRUPTED', 'stopped while waiting for the gateway');
      if (!d) throw new PeerTimeoutError(`no response from target ${this.opts.gateway}: waited ${Math.round(timeoutMs / 1000)} s for ${what}${this.networkSaid(started)}`);
      if (accept(d)) return d;
      other(d);
    }
  }

  /** What the network reported since `since`, for a "no response" message. */
  private networkSaid(since: number): string {
    const e = this.networkError;
    return e && e.at >= since ? `; the network said: ${e.text}` : '';
  }

  /** Ends every wait now and makes exchanges fail: the connection is being stopped. Sending still works. */
  cancel(): void {
    this.cancelled = true;
    this.interrupt();
  }

  /** Makes a pending next() return null now, so the caller can look at its stop flag. */
  interrupt(): void {
    this.interrupts++;
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
