/**
 * The gateway's ESP data plane: packets read from the TUN device go to the tunnel of their destination
 * (a client's inner address), are wrapped in ESP and sent the way that client reached us; ESP received on
 * the raw protocol-50 socket, the RFC 3948 UDP 4500 socket or the Cisco UDP socket is looked up by SPI,
 * unwrapped in place and written to the TUN device (only when the inner source is the client's address).
 *
 * Per packet: no allocation apart from node:crypto's; TUN packets are copied once into a buffer with
 * headroom because the receive arena has none.
 */
import { ESP_HEADROOM, ESP_TAILROOM, EspStatus, espStatusName } from '../esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../esp/packet.js';
import { EspSa } from '../esp/sa.js';
import type { PacketBatch, PacketEndpoint } from '../io/endpoint.js';
import { ipv4HeaderLength } from '../io/ipv4.js';
import { RawEspHeader } from '../io/raw-esp.js';
import { silentLogger, type Logger } from '../log.js';
import type { QuickModeKeys } from '../ike/exchanges/quick-mode-responder.js';
import { formatIpv4 } from '../wire/ipv4-text.js';
import { formatSpi, readSpi, type Spi } from '../wire/sa-ids.js';

/** How ESP reaches one client. */
export type EspPath =
  /** IP protocol 50 with our own outer IPv4 header. */
  | { kind: 'raw'; address: number }
  /** RFC 3948 ESP in UDP on our port 4500, to the client's (possibly NATed) address and port. */
  | { kind: 'udp'; address: number; port: number }
  /** Cisco UDP: bare ESP in UDP from our Cisco port to the client's --udp-port. */
  | { kind: 'cisco'; address: number; port: number };

/** The sockets the data plane sends on. */
export interface DataPlaneSockets {
  readonly tun: PacketEndpoint;
  readonly raw: PacketEndpoint;
  readonly natt: PacketEndpoint;
  readonly cisco: PacketEndpoint | undefined;
}

/** One installed SA pair. */
interface Tunnel {
  readonly peerKey: string;
  /** The client's inner (pool) address. */
  readonly inner: number;
  readonly inbound: EspSa;
  readonly outbound: EspSa;
  path: EspPath;
  /** Date.now() of the last authenticated inbound packet. */
  lastSeen: number;
  /** The pair is unusable from this Date.now() on, or after this many inner bytes either way (lifetime). */
  readonly expiresAt: number;
  readonly byteLimit: number;
  /** Whether the first packet refused after the lifetime was logged. */
  refusedLogged: boolean;
}

/** An SA pair that reached its lifetime and was removed: the gateway tells the client with a DELETE. */
export interface ExpiredPair {
  readonly peerKey: string;
  readonly spis: readonly Spi[];
}

/** Packet counts for logs and tests. */
export interface DataPlaneCounters {
  toClients: number;
  fromClients: number;
  noTunnel: number;
  unknownSpi: number;
  spoofed: number;
  dropped: number;
  /** Packets refused because their SA pair had reached its lifetime. */
  expired: number;
}

const SCRATCH_SIZE = ESP_HEADROOM + 4096 + ESP_TAILROOM;

export class DataPlane {
  private readonly bySpi = new Map<Spi, Tunnel>();
  private readonly byInner = new Map<number, Tunnel>();
  private readonly scratch = Buffer.alloc(SCRATCH_SIZE);
  private readonly span = createPacketSpan();
  private readonly rawHeader: RawEspHeader;
  readonly counters: DataPlaneCounters = { toClients: 0, fromClients: 0, noTunnel: 0, unknownSpi: 0, spoofed: 0, dropped: 0, expired: 0 };

  constructor(
    private readonly sockets: DataPlaneSockets,
    /** Our outside address: the source of raw ESP packets. */
    localAddress: number,
    private readonly log: Logger = silentLogger,
  ) {
    this.rawHeader = new RawEspHeader(localAddress);
  }

  /** Installs the SA pair of a finished quick mode; the newest pair carries the client's outbound traffic. */
  install(peerKey: string, inner: number, keys: QuickModeKeys, path: EspPath): void {
    const tunnel: Tunnel = {
      peerKey,
      inner,
      inbound: EspSa.fromKeymat(keys.spiIn, keys.suite, keys.keymatIn),
      outbound: EspSa.fromKeymat(keys.spiOut, keys.suite, keys.keymatOut),
      path,
      lastSeen: Date.now(),
      expiresAt: keys.lifetimeSeconds > 0 ? Date.now() + keys.lifetimeSeconds * 1000 : Infinity,
      byteLimit: keys.lifetimeKilobytes > 0 ? keys.lifetimeKilobytes * 1024 : Infinity,
      refusedLogged: false,
    };
    this.bySpi.set(tunnel.inbound.spi, tunnel);
    this.byInner.set(inner, tunnel);
    this.log.at(1)?.(`ESP for ${formatIpv4(inner)} via ${describePath(path)} (${keys.suite.name})`);
  }

  /** Removes SA pairs named by a DELETE (our inbound SPI or the client's). */
  removeSpis(spis: readonly Spi[]): void {
    const named = new Set(spis);
    for (const t of [...this.bySpi.values()]) {
      if (named.has(t.inbound.spi) || named.has(t.outbound.spi)) this.remove(t);
    }
  }

  /** Removes the pairs whose lifetime is over and returns them (the gateway sends their DELETEs). */
  expire(now: number): ExpiredPair[] {
    const gone: ExpiredPair[] = [];
    for (const t of [...this.bySpi.values()]) {
      if (!isSpent(t, now)) continue;
      this.remove(t);
      gone.push({ peerKey: t.peerKey, spis: [t.inbound.spi, t.outbound.spi] });
      this.log.at(1)?.(`ESP for ${formatIpv4(t.inner)}: SPI in ${formatSpi(t.inbound.spi)} reached its lifetime`);
    }
    return gone;
  }

  /** Removes the pairs for `inner` that belong to another peer than `peerKey` (a session that is gone). */
  removeOthers(inner: number, peerKey: string): void {
    for (const t of [...this.bySpi.values()]) if (t.inner === inner && t.peerKey !== peerKey) this.remove(t);
  }

  /** The SPIs (ours and the client's) of every SA pair of a peer. */
  spisOf(peerKey: string): Spi[] {
    return [...this.bySpi.values()].filter((t) => t.peerKey === peerKey).flatMap((t) => [t.inbound.spi, t.outbound.spi]);
  }

  /** Removes every SA pair of a peer. */
  removePeer(peerKey: string): void {
    for (const t of [...this.bySpi.values()]) if (t.peerKey === peerKey) this.remove(t);
  }

  /** Date.now() of the peer's last inbound ESP packet, 0 when it has none. */
  lastSeen(peerKey: string): number {
    let last = 0;
    for (const t of this.bySpi.values()) if (t.peerKey === peerKey) last = Math.max(last, t.lastSeen);
    return last;
  }

  /** Number of installed SA pairs. */
  get size(): number {
    return this.bySpi.size;
  }

  private remove(t: Tunnel): void {
    this.bySpi.delete(t.inbound.spi);
    if (this.byInner.get(t.inner) === t) {
      this.byInner.delete(t.inner);
      const newer = [...this.bySpi.values()].find((x) => x.inner === t.inner);
      if (newer) this.byInner.set(t.inner, newer);
    }
  }

  /** Packets from the TUN device: to the client owning the destination address. */
  readonly onTun = (batch: PacketBatch): void => {
    const buf = this.scratch;
    const now = Date.now();
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const len = batch.length(i);
      if (len < 20 || len > 4096 || batch.buffer[off]! >> 4 !== 4) continue;
      const tunnel = this.byInner.get(batch.buffer.readUInt32BE(off + 16));
      if (!tunnel) {
        this.counters.noTunnel++;
        continue;
      }
      if (isSpent(tunnel, now)) {
        this.refuse(tunnel);
        continue;
      }
      batch.buffer.copy(buf, ESP_HEADROOM, off, off + len);
      const status = encapsulate(tunnel.outbound, buf, ESP_HEADROOM, len, this.span);
      if (status !== EspStatus.OK) {
        this.drop(status);
        continue;
      }
      if (this.sendEsp(tunnel.path, buf, this.span.offset, this.span.length, batch.buffer[off + 1]!)) this.counters.toClients++;
    }
  };

  private sendEsp(path: EspPath, buf: Buffer, off: number, len: number, tos: number): boolean {
    switch (path.kind) {
      case 'raw': {
        const start = this.rawHeader.write(buf, off, len, path.address, tos);
        return this.sockets.raw.send(buf, start, len + 20, path.address);
      }
      case 'udp':
        return this.sockets.natt.send(buf, off, len, path.address, path.port);
      case 'cisco':
        return this.sockets.cisco?.send(buf, off, len, path.address, path.port) ?? false;
    }
  }

  /** Raw protocol-50 packets (IPv4 header included). */
  readonly onRaw = (batch: PacketBatch): void => {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const len = batch.length(i);
      const hl = ipv4HeaderLength(batch.buffer, off, len);
      if (hl === 0) continue;
      this.receiveEsp(batch.buffer, off + hl, len - hl, 'raw', batch.address(i), 0);
    }
  };

  /**
   * One ESP packet from a socket (after any IP header or marker). `kind` and the source update the
   * client's path once the packet authenticates (NAT mappings may change).
   */
  receiveEsp(buf: Buffer, off: number, len: number, kind: EspPath['kind'], address: number, port: number): void {
    if (len < 16) return;
    const tunnel = this.bySpi.get(readSpi(buf, off));
    if (!tunnel) {
      this.counters.unknownSpi++;
      return;
    }
    if (isSpent(tunnel, Date.now())) {
      this.refuse(tunnel);
      return;
    }
    const status = decapsulate(tunnel.inbound, buf, off, len, this.span);
    if (status !== EspStatus.OK) {
      this.drop(status);
      return;
    }
    tunnel.lastSeen = Date.now();
    if (kind !== 'raw' && tunnel.path.kind === kind && (tunnel.path.address !== address || tunnel.path.port !== port)) {
      tunnel.path = { kind, address, port };
    }
    const inner = this.span.offset;
    const innerLen = this.span.length;
    if (innerLen === 0) return; // dummy packet
    if (innerLen < 20 || buf.readUInt32BE(inner + 12) !== tunnel.inner) {
      this.counters.spoofed++;
      return;
    }
    if (this.sockets.tun.send(buf, inner, innerLen)) this.counters.fromClients++;
  }

  private refuse(t: Tunnel): void {
    this.counters.expired++;
    if (t.refusedLogged) return;
    t.refusedLogged = true;
    this.log.at(1)?.(`ESP for ${formatIpv4(t.inner)}: packets refused, SPI in ${formatSpi(t.inbound.spi)} is past its lifetime`);
  }

  private drop(status: EspStatus): void {
    this.counters.dropped++;
    this.log.at(3)?.(`ESP packet dropped: ${espStatusName(status)}`);
  }
}

/** A pair past its lifetime in time or in bytes (either direction). */
function isSpent(t: Tunnel, now: number): boolean {
  return now >= t.expiresAt || t.inbound.counters.bytes >= t.byteLimit || t.outbound.counters.bytes >= t.byteLimit;
}

/** "raw ESP to 198.51.100.2", for logs. */
export function describePath(path: EspPath): string {
  switch (path.kind) {
    case 'raw':
      return `raw ESP to ${formatIpv4(path.address)}`;
    case 'udp':
      return `UDP-encapsulated ESP to ${formatIpv4(path.address)}:${path.port}`;
    case 'cisco':
      return `Cisco UDP to ${formatIpv4(path.address)}:${path.port}`;
  }
}
