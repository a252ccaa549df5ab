/**
 * The tunnel's data path: packets read from the TUN device are wrapped in ESP and sent to the gateway;
 * ESP from the gateway is checked, unwrapped and written to the TUN device. Per packet there are no
 * promises, closures, string building or Buffer.concat: the packets of one TUN batch are copied into the
 * slots of one reused transmit arena (headroom and tailroom around each), sealed in place and handed to the
 * kernel with one batched send; inbound packets are decrypted in place in the endpoint's receive arena.
 */
import { decapsulate, encapsulate, createPacketSpan } from '../esp/packet.js';
import { ESP_HEADROOM, ESP_TAILROOM, EspStatus, espStatusName } from '../esp/constants.js';
import type { EspSa } from '../esp/sa.js';
import type { PacketBatch, PacketEndpoint } from '../io/endpoint.js';
import type { IpFamily } from '../ike/exchanges/quick-mode-ids.js';
import type { Logger } from '../log.js';
import { formatSpi, readSpi, type Spi } from '../wire/sa-ids.js';
import { SEND_QUEUE_LENGTH, type EspTransport } from './esp-transport.js';
import { classifyFrame, ETHERNET_HEADER_LENGTH, writeEthernetHeader } from './tap.js';
import { NoSaDrop, type PacketTap } from './trace/taps.js';
import { systemClock, type Clock } from './timers.js';

/** TAP mode: Ethernet framing and ARP answers around the IP packets (see tap.ts). */
export interface EthernetMode {
  readonly tapMac: Buffer;
  readonly peerMac: Buffer;
  /** Our tunnel address (unsigned 32-bit): ARP for it is left to the kernel. */
  readonly ourAddress: number;
}

/** Largest inner packet handled (the TUN receive slot size, as vpnc's MAX_PACKET). */
const MAX_INNER = 4096;

/** Bytes per slot of the transmit arena: an inner packet of MAX_INNER with its ESP headroom and tailroom. */
const TX_SLOT = ESP_HEADROOM + MAX_INNER + ESP_TAILROOM;

/** Drops the data path itself decides on (ESP-level drops are counted on each SA). */
export interface DataPathDrops {
  /** Inbound ESP whose SPI is not one of ours. */
  unknownSpi: number;
  /** Outbound packets addressed to the gateway itself (they would loop through the tunnel). */
  routingLoop: number;
  /** Outbound packets before an SA exists, or that were not IPv4/IPv6. */
  notSent: number;
  /** Sends the kernel refused (queue full). */
  sendFailed: number;
}


export class DataPath {
  private readonly scratch = Buffer.alloc(TX_SLOT);
  /** SEND_QUEUE_LENGTH slots for the outbound packets of one TUN batch, queued on the transport until flushed. */
  private readonly txArena = Buffer.alloc(SEND_QUEUE_LENGTH * TX_SLOT);
  private readonly span = createPacketSpan();
  private readonly inbound = new Map<Spi, EspSa>();
  /** The outbound SA of each inner family: IPv4 packets take `outbound`, IPv6 packets `outbound6`. */
  private outbound: EspSa | undefined;
  private outbound6: EspSa | undefined;
  readonly drops: DataPathDrops = { unknownSpi: 0, routingLoop: 0, notSent: 0, sendFailed: 0 };
  /** Time of the last ESP packet accepted from the gateway (for DPD idle detection). */
  lastInbound = 0;
  /** ESP packets sealed and handed to the transport, and accepted from the gateway (black-hole detection). */
  espSent = 0;
  espReceived = 0;
  /** Sees every packet (a trace file, debug 3); costs a few calls per packet. */
  tap: PacketTap | undefined;
  /** Sees only dropped packets (debug 1 and 2 report them); free on the normal path. */
  dropTap: PacketTap | undefined;
  /** Set in TAP mode. */
  ethernet: EthernetMode | undefined;
  /** Called once per SA when it passes its byte or sequence-number soft limit (time to rekey). */
  onSoftLimit: (() => void) | undefined;
  private readonly softLimitSeen = new WeakSet<EspSa>();
  private started = false;

  constructor(
    private readonly tun: PacketEndpoint,
    private transport: EspTransport,
    private readonly gatewayAddr: number,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Installs a new pair of SAs for one inner family; earlier inbound SAs keep working until removed (no loss on rekey). */
  install(inbound: EspSa, outbound: EspSa, family: IpFamily = 4): void {
    this.inbound.set(inbound.spi, inbound);
    if (family === 6) this.outbound6 = outbound;
    else this.outbound = outbound;
  }

  /** No outbound SA for `family` any more (its packets are dropped as "no SA" until one is installed). */
  removeOutbound(family: IpFamily): void {
    if (family === 6) this.outbound6 = undefined;
    else this.outbound = undefined;
  }

  removeInbound(spi: Spi): void {
    this.inbound.delete(spi);
  }

  start(): void {
    this.tun.start((batch) => this.fromTun(batch), (err) => this.log.notice(`tunnel device: ${err.message}`));
    this.transport.start((buf, off, len) => this.fromGateway(buf, off, len), (err) => this.receiveStopped(err));
    this.started = true;
  }

  /** Moves ESP to another transport (after a reconnect); the old one is closed. */
  replaceTransport(next: EspTransport): void {
    this.transport.close();
    this.transport = next;
    if (this.started) next.start((buf, off, len) => this.fromGateway(buf, off, len), (err) => this.receiveStopped(err));
  }

  private fromTun(batch: PacketBatch): void {
    const sa4 = this.outbound;
    const sa6 = this.outbound6;
    const arena = this.txArena;
    const eth = this.ethernet;
    let slots = 0;
    for (let i = 0; i < batch.count; i++) {
      let len = batch.length(i);
      let off = batch.offset(i);
      const buf = batch.buffer;
      if (eth !== undefined) {
        const action = classifyFrame(buf, off, len, eth.peerMac, eth.ourAddress);
        if (action.kind === 'arp-reply') {
          this.tun.send(action.frame, 0, action.frame.length);
          continue;
        }
        if (action.kind === 'drop') {
          this.drops.notSent++;
          if (this.dropTap) this.dropTap.drop('out', action.reason, buf, off, len);
          continue;
        }
        off = action.offset;
        len = action.length;
      }
      const version = len > 0 ? buf[off]! >> 4 : 0;
      const sa = version === 4 ? sa4 : version === 6 ? sa6 : undefined;
      if (sa === undefined || len < 20 || len > MAX_INNER) {
        this.drops.notSent++;
        if (this.dropTap) this.dropTap.drop('out', sa !== undefined ? 'bad length' : version === 6 ? NoSaDrop.noIpv6Sa : version === 4 ? NoSaDrop.noSa : NoSaDrop.notIp, buf, off, len);
        continue;
      }
      if (version === 4 && buf.readUInt32BE(off + 16) === this.gatewayAddr) {
        this.drops.routingLoop++;
        if (this.dropTap) this.dropTap.drop('out', 'routing loop: packet to the gateway itself', buf, off, len);
        continue;
      }
      if (this.tap) this.tap.inner('out', buf, off, len);
      // The outer TOS copies the inner one (IPv4 TOS, IPv6 traffic class) for DSCP and ECN (RFC 6040 in its simplest form).
      const tos = version === 4 ? buf[off + 1]! : ((buf[off]! & 0x0f) << 4) | (buf[off + 1]! >> 4);
      const inner = slots * TX_SLOT + ESP_HEADROOM;
      buf.copy(arena, inner, off, off + len);
      const status = encapsulate(sa, arena, inner, len, this.span);
      if (status !== EspStatus.OK) {
        this.drops.notSent++;
        if (this.dropTap) this.dropTap.drop('out', espStatusName(status), buf, off, len);
        continue;
      }
      if (this.tap) this.tap.outerEsp('out', arena, this.span.offset, this.span.length);
      this.espSent++;
      this.drops.sendFailed += this.transport.queue(arena, this.span.offset, this.span.length, tos);
      if (++slots === SEND_QUEUE_LENGTH) {
        this.drops.sendFailed += this.transport.flush();
        slots = 0;
      }
    }
    if (slots > 0) this.drops.sendFailed += this.transport.flush();
    if (sa4?.pastSoftLimit()) this.softLimit(sa4);
    if (sa6?.pastSoftLimit()) this.softLimit(sa6);
  }

  /** The ESP socket stopped receiving (a fatal errno): said once; DPD and black-hole detection take it from there. */
  private receiveStopped(err: Error): void {
    this.log.notice(`ESP: ${err.message}`);
  }

  /** Sends one IPv4 packet of our own through the tunnel (a probe); false when there is no SA or it failed. */
  sendInner(packet: Buffer): boolean {
    const sa = this.outbound;
    if (sa === undefined || packet.length > MAX_INNER) return false;
    packet.copy(this.scratch, ESP_HEADROOM);
    if (encapsulate(sa, this.scratch, ESP_HEADROOM, packet.length, this.span) !== EspStatus.OK) return false;
    if (this.tap) {
      this.tap.inner('out', packet, 0, packet.length);
      this.tap.outerEsp('out', this.scratch, this.span.offset, this.span.length);
    }
    this.espSent++;
    this.drops.sendFailed += this.transport.queue(this.scratch, this.span.offset, this.span.length, 0);
    this.drops.sendFailed += this.transport.flush();
    return true;
  }

  private softLimit(sa: EspSa): void {
    if (this.softLimitSeen.has(sa)) return;
    this.softLimitSeen.add(sa);
    this.onSoftLimit?.();
  }

  private fromGateway(buf: Buffer, off: number, len: number): void {
    if (len < 8) return;
    const spi = readSpi(buf, off);
    const sa = this.inbound.get(spi);
    if (this.tap) this.tap.outerEsp('in', buf, off, len);
    if (sa === undefined) {
      this.drops.unknownSpi++;
      // Checked first so that a flood of strangers costs a counter, not a closure per packet.
      if (this.log.enabled(3)) this.log.at(3)?.(`ESP packet with unknown SPI ${formatSpi(spi)} dropped`);
      if (this.dropTap) this.dropTap.drop('in', `unknown SPI ${formatSpi(spi)}`, buf, off, len);
      return;
    }
    const status = decapsulate(sa, buf, off, len, this.span);
    if (status !== EspStatus.OK) {
      if (this.dropTap) this.dropTap.drop('in', espStatusName(status), buf, off, len);
      return;
    }
    this.lastInbound = this.clock.now();
    this.espReceived++;
    if (sa.pastSoftLimit()) this.softLimit(sa);
    if (this.span.length === 0) return; // dummy packet (next header 59)
    if (this.tap) this.tap.inner('in', buf, this.span.offset, this.span.length);
    const eth = this.ethernet;
    if (eth === undefined) {
      this.tun.send(buf, this.span.offset, this.span.length);
    } else if (this.span.offset - off >= ETHERNET_HEADER_LENGTH) {
      const start = writeEthernetHeader(buf, this.span.offset, eth.tapMac, eth.peerMac);
      this.tun.send(buf, start, this.span.length + ETHERNET_HEADER_LENGTH);
    } else {
      // No room in front (NULL cipher): build the frame in the scratch buffer.
      buf.copy(this.scratch, ESP_HEADROOM, this.span.offset, this.span.offset + this.span.length);
      const start = writeEthernetHeader(this.scratch, ESP_HEADROOM, eth.tapMac, eth.peerMac);
      this.tun.send(this.scratch, start, this.span.length + ETHERNET_HEADER_LENGTH);
    }
  }

  stop(): void {
    this.tun.stop();
    this.transport.close();
  }
}
