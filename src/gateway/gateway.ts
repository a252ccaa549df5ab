/**
 * The running gateway: the only gateway code with sockets and timers. It owns UDP 500 (IKE), UDP 4500
 * (IKE after the NAT-T float, behind the 4-byte non-ESP marker, and RFC 3948 ESP), the raw protocol-50
 * socket, the optional Cisco UDP socket and the TUN device; it files clients by their cookies, runs DPD
 * and forgets clients that are deleted, dead or stuck half-way.
 */
import { randomBytes } from 'node:crypto';
import { classifyNattDatagram, NattDatagram, NON_ESP_MARKER_LENGTH } from '../esp/natt-demux.js';
import { decodeHeader } from '../ike/message.js';
import { ExchangeType, NotifyType } from '../ike/constants.js';
import { randomMessageId } from '../ike/ike-sa.js';
import type { PacketBatch, PacketEndpoint } from '../io/endpoint.js';
import { formatIpv4, parseIpv4 } from '../wire/ipv4-text.js';
import { cookieHex, cookiePairHex, isZeroCookie, randomCookie, type IkeCookie } from '../wire/sa-ids.js';
import { openRawEsp } from '../io/raw-esp.js';
import { openTun, type TunDevice } from '../io/tun.js';
import { openUdp } from '../io/udp.js';
import { VpncError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { GatewayConfig } from './config.js';
import { DataPlane, type EspPath } from './data-plane.js';
import type { Phase1Responder } from './exchanges/phase1-responder.js';
import { buildDeleteAll, buildDeleteEsp, buildDeleteIsakmp, buildDpd, buildPlainNotify } from '../ike/exchanges/informational.js';
import { setUpTun } from './net-setup.js';
import { HostileMode } from './hostile/mode.js';
import type { HostileSession } from './hostile/session.js';
import { GatewayPeer, type PeerAction } from './peer.js';
import { startPhase1 } from './phase1-setup.js';
import { AddressPool, rangeToCidrs } from './pool.js';

/** Where an IKE datagram came from, and so where answers go. */
interface IkeEndpoint {
  /** `ike` = UDP 500, `natt` = UDP 4500 (with the non-ESP marker). */
  readonly socket: 'ike' | 'natt';
  readonly address: number;
  readonly port: number;
}

/** Per-peer session state the pure peer does not keep. */
interface PeerSession {
  readonly peer: GatewayPeer;
  endpoint: IkeEndpoint;
  readonly created: number;
  lastIke: number;
  dpd: { seq: number; outstanding: boolean; sentAt: number; attempts: number };
  /** The client's first message (AM1, MM1) and our answer: a retransmission of it gets the answer again. */
  readonly first: { readonly datagram: Buffer; readonly answer: Buffer };
  /** Hostile mode: what every datagram to this client goes through. */
  hostile?: HostileSession;
}

const IKE_PORT = 500;
const NATT_PORT = 4500;
const NON_ESP_MARKER = Buffer.alloc(4);
/** A client must be through XAUTH and mode config within this time. */
const SETUP_TIMEOUT_MS = 60_000;
const DPD_RETRY_MS = 5_000;
const DPD_ATTEMPTS = 5;
const TICK_MS = 1_000;

/** Options of {@link Gateway.start}. */
export interface GatewayOptions {
  readonly log?: Logger;
  readonly random?: (n: number) => Buffer;
}

export class Gateway {
  private readonly sessions = new Map<string, PeerSession>();
  /** Sessions by initiator cookie until AM3, so a retransmitted AM1 gets the same AM2. */
  private readonly halfOpen = new Map<string, PeerSession>();
  private readonly pool: AddressPool;
  private readonly log: Logger;
  private readonly random: (n: number) => Buffer;
  private readonly ike: PacketEndpoint;
  private readonly natt: PacketEndpoint;
  private readonly raw: PacketEndpoint;
  private readonly cisco: PacketEndpoint | undefined;
  /** The TUN device (its name is the kernel's choice when the config gave a pattern). */
  readonly tun: TunDevice;
  readonly dataPlane: DataPlane;
  private readonly timer: NodeJS.Timeout;
  private readonly hostile: HostileMode | undefined;
  private closed = false;

  private constructor(readonly config: GatewayConfig, options: GatewayOptions) {
    this.log = options.log ?? silentLogger;
    this.random = options.random ?? randomBytes;
    this.pool = new AddressPool(config.pool.first, config.pool.last);
    this.hostile = config.hostile ? new HostileMode(config.hostile, this.log) : undefined;
    const netns = config.netns === undefined ? {} : { netns: config.netns };
    const opened: PacketEndpoint[] = [];
    const open = <T extends PacketEndpoint>(e: T): T => (opened.push(e), e);
    try {
      this.ike = open(openUdp({ localAddress: config.listen, localPort: IKE_PORT, ...netns }));
      this.natt = open(openUdp({ localAddress: config.listen, localPort: NATT_PORT, ...netns }));
      this.raw = open(openRawEsp({ localAddress: config.listen, ...netns }));
      this.cisco = config.ciscoUdpPort ? open(openUdp({ localAddress: config.listen, localPort: config.ciscoUdpPort, ...netns })) : undefined;
      this.tun = open(openTun({ name: config.interfaceName, ...netns }));
      setUpTun(this.tun.name, config.interfaceMtu, rangeToCidrs(config.pool.first, config.pool.last), config.netns);
    } catch (err) {
      for (const e of opened) e.close();
      throw err;
    }
    this.dataPlane = new DataPlane({ tun: this.tun, raw: this.raw, natt: this.natt, cisco: this.cisco }, parseIpv4(config.listen), this.log);
    this.ike.start((b) => this.onIkeSocket(b, 'ike'));
    this.natt.start((b) => this.onNattSocket(b));
    this.raw.start(this.dataPlane.onRaw);
    this.cisco?.start((b) => this.onCiscoSocket(b));
    this.tun.start(this.dataPlane.onTun);
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  /** Opens every socket and the TUN device, routes the pool and starts serving. Throws SystemError. */
  static start(config: GatewayConfig, options: GatewayOptions = {}): Gateway {
    const gw = new Gateway(config, options);
    gw.log.notice(
      `vpnc-gateway listening on ${config.listen} (IKE 500/4500, raw ESP${config.ciscoUdpPort ? `, Cisco UDP ${config.ciscoUdpPort}` : ''}), ` +
        `TUN ${gw.tun.name}, pool ${rangeToCidrs(config.pool.first, config.pool.last).join(' ')}`,
    );
    return gw;
  }

  /** Clients with an ISAKMP SA (or one being set up). */
  get peerCount(): number {
    return this.sessions.size;
  }

  /** The peers, for status output and tests. */
  peers(): GatewayPeer[] {
    return [...this.sessions.values()].map((s) => s.peer);
  }

  private onIkeSocket(batch: PacketBatch, socket: 'ike' | 'natt'): void {
    for (let i = 0; i < batch.count; i++) {
      this.onIke(Buffer.from(batch.packet(i)), { socket, address: batch.address(i), port: batch.port(i) });
    }
  }

  private onNattSocket(batch: PacketBatch): void {
    for (let i = 0; i < batch.count; i++) {
      const off = batch.offset(i);
      const len = batch.length(i);
      const buf = batch.buffer;
      // NAT keepalives and runts end here (receiveEsp would drop a runt too).
      const kind = classifyNattDatagram(buf, off, len);
      if (kind === NattDatagram.IKE) {
        this.onIke(Buffer.from(buf.subarray(off + NON_ESP_MARKER_LENGTH, off + len)), { socket: 'natt', address: batch.address(i), port: batch.port(i) });
      } else if (kind === NattDatagram.ESP) {
        this.dataPlane.receiveEsp(buf, off, len, 'udp', batch.address(i), batch.port(i));
      }
    }
  }

  private onCiscoSocket(batch: PacketBatch): void {
    for (let i = 0; i < batch.count; i++) {
      const len = batch.length(i);
      if (len <= 8) continue; // keepalives (00 00 00 00 ff) and runts
      this.dataPlane.receiveEsp(batch.buffer, batch.offset(i), len, 'cisco', batch.address(i), batch.port(i));
    }
  }

  private onIke(datagram: Buffer, from: IkeEndpoint): void {
    let header;
    try {
      header = decodeHeader(datagram);
    } catch (err) {
      this.log.at(2)?.(`dropping a malformed IKE datagram from ${describe(from)}: ${(err as Error).message}`);
      return;
    }
    const zeroR = isZeroCookie(header.responderCookie);
    if (zeroR && (header.exchangeType === ExchangeType.AGGRESSIVE || header.exchangeType === ExchangeType.IDENTITY_PROTECTION)) {
      return this.onFirstMessage(datagram, header.initiatorCookie, header.exchangeType, from);
    }
    const session = this.sessions.get(cookiePairHex(header.initiatorCookie, header.responderCookie));
    if (!session) {
      this.log.at(2)?.(`dropping IKE for unknown cookies from ${describe(from)}`);
      return;
    }
    if (from.socket === 'natt' && !session.peer.floated) {
      session.peer.floated = true;
      this.log.at(1)?.(`peer ${session.peer.key}: floated to ${describe(from)}`);
    }
    session.endpoint = from;
    session.lastIke = Date.now();
    try {
      // Hostile mode: the client's answer in the gateway's own quick mode is not the peer's.
      this.perform(session, session.hostile?.receive(datagram) ?? session.peer.receive(datagram), datagram);
    } catch (err) {
      // A bug, not the peer's fault: drop that client rather than the whole gateway.
      this.log.error(`peer ${session.peer.key}: internal error: ${err instanceof Error ? err.stack : String(err)}`);
      this.forget(session, 'internal error');
    }
  }

  /** AM1 or MM1 (`exchangeType`): a new peer, or a retransmission to a half-open one. */
  private onFirstMessage(am1: Buffer, cookieI: IkeCookie, exchangeType: number, from: IkeEndpoint): void {
    const known = this.halfOpen.get(cookieHex(cookieI));
    if (known) {
      // Only the same first message again; anything else with a zero responder cookie is not this exchange's.
      if (known.first.datagram.equals(am1)) this.sendTo(known, known.first.answer, am1);
      else this.log.at(2)?.(`peer ${known.peer.key}: dropping a message without its responder cookie from ${describe(from)}`);
      return;
    }
    const remote = { address: formatIpv4(from.address), port: from.port };
    const modeName = exchangeType === ExchangeType.AGGRESSIVE ? 'aggressive mode' : 'main mode';
    let responder: Phase1Responder;
    try {
      responder = startPhase1(am1, exchangeType, this.config, remote, from.socket === 'ike' ? IKE_PORT : NATT_PORT, this.random);
    } catch (err) {
      if (!(err instanceof VpncError)) {
        this.log.error(`internal error answering ${describe(from)}: ${err instanceof Error ? err.stack : String(err)}`);
        return;
      }
      const notify = (err as { notify?: number }).notify ?? NotifyType.PAYLOAD_MALFORMED;
      this.log.notice(`refusing ${modeName} from ${describe(from)}: ${(err as Error).message}`);
      this.send(from, buildPlainNotify(cookieI, randomCookie(this.random), notify));
      return;
    }
    const peer = new GatewayPeer({ config: this.config, log: this.log, random: this.random, allocateAddress: () => this.pool.allocate() }, responder, am1);
    const now = Date.now();
    const session: PeerSession = {
      peer,
      endpoint: from,
      created: now,
      lastIke: now,
      dpd: { seq: this.random(4).readUInt32BE(0) & 0x7fffffff, outstanding: false, sentAt: 0, attempts: 0 },
      first: { datagram: Buffer.from(am1), answer: responder.firstAnswer },
    };
    this.sessions.set(peer.key, session);
    this.halfOpen.set(cookieHex(cookieI), session);
    this.log.at(1)?.(`peer ${peer.key}: ${modeName} from ${describe(from)}${responder.peerId === undefined ? '' : `, group "${responder.peerId}"`}`);
    if (this.hostile) session.hostile = this.hostile.open(peer, remote, (d) => !this.ike.closed && this.send(session.endpoint, d));
    this.sendTo(session, responder.firstAnswer, am1);
  }

  /** `trigger`: the client's datagram the actions answer (hostile mode re-encrypts under its IV). */
  private perform(session: PeerSession, actions: readonly PeerAction[], trigger?: Buffer): void {
    const { peer } = session;
    if (peer.stageName !== 'phase1') this.halfOpen.delete(cookieHex(peer.cookieI));
    for (const a of actions) {
      switch (a.kind) {
        case 'send':
          this.sendTo(session, a.data, trigger);
          break;
        case 'install':
          // Pairs for this address left by an earlier session of the client (its ISAKMP SA deleted) end now.
          this.dataPlane.removeOthers(a.address, peer.key);
          this.dataPlane.install(peer.key, a.address, a.keys, this.espPath(session));
          session.hostile?.installed(a.keys);
          break;
        case 'delete-esp':
          this.dataPlane.removeSpis(a.spis);
          break;
        case 'dpd-ack':
          if (a.seq === session.dpd.seq) session.dpd = { ...session.dpd, outstanding: false, attempts: 0 };
          break;
        case 'close':
          this.forget(session, a.reason);
          break;
      }
    }
  }

  /** How ESP reaches this client: floated (UDP 4500), Cisco UDP, or raw protocol 50. */
  private espPath(session: PeerSession): EspPath {
    const { peer, endpoint } = session;
    if (peer.floated) return { kind: 'udp', address: endpoint.address, port: endpoint.port };
    // vpnc sends from its --udp-port (10000 by default); the first packet tells us if it is another one.
    if (peer.ciscoUdp) return { kind: 'cisco', address: endpoint.address, port: 10000 };
    return { kind: 'raw', address: endpoint.address };
  }

  /** A datagram for a client: through its hostile treatment when there is one. */
  private sendTo(session: PeerSession, data: Buffer, trigger?: Buffer): void {
    if (session.hostile) session.hostile.send(data, trigger);
    else this.send(session.endpoint, data);
  }

  private send(to: IkeEndpoint, data: Buffer): void {
    if (to.socket === 'natt') {
      const framed = Buffer.concat([NON_ESP_MARKER, data]);
      this.natt.send(framed, 0, framed.length, to.address, to.port);
    } else {
      this.ike.send(data, 0, data.length, to.address, to.port);
    }
  }

  /**
   * Deletes a client's ISAKMP SA but keeps its ESP SAs carrying traffic, as some concentrators do at the end of
   * their IKE lifetime (a test hook: the client must re-authenticate before it needs a quick mode). The ESP
   * pairs stay until a new session installs a pair for the same address. False when there is no such client.
   */
  deleteIsakmpOnly(peerKey: string): boolean {
    const session = this.sessions.get(peerKey);
    const sa = session?.peer.sa;
    if (!session || !sa || session.peer.stageName !== 'ready') return false;
    this.sendTo(session, buildDeleteIsakmp(sa, randomMessageId(this.random)));
    this.forget(session, 'ISAKMP SA deleted, ESP SAs kept', { keepEsp: true });
    return true;
  }

  private forget(session: PeerSession, reason: string, opts: { keepEsp?: boolean } = {}): void {
    const { peer } = session;
    if (!this.sessions.delete(peer.key)) return;
    this.halfOpen.delete(cookieHex(peer.cookieI));
    if (!opts.keepEsp) this.dataPlane.removePeer(peer.key);
    if (peer.address !== 0) this.pool.release(peer.address);
    this.log.notice(`peer ${peer.key}${peer.username ? ` (${peer.username})` : ''}: gone: ${reason}`);
  }

  /**
   * Once a second: DPD probes for idle clients, clients stuck before mode config are dropped, and SA pairs at
   * the end of their lifetime are removed and DELETEd (the client must have rekeyed before).
   */
  private tick(): void {
    const now = Date.now();
    for (const gone of this.dataPlane.expire(now)) {
      const session = [...this.sessions.values()].find((s) => s.peer.key === gone.peerKey);
      const sa = session?.peer.sa;
      if (session && sa) this.sendTo(session, buildDeleteEsp(sa, randomMessageId(this.random), gone.spis));
    }
    for (const session of [...this.sessions.values()]) {
      const { peer } = session;
      if (peer.stageName !== 'ready' || peer.address === 0) {
        if (now - session.created > SETUP_TIMEOUT_MS) this.forget(session, 'setup did not finish in time');
        continue;
      }
      if (this.config.dpdIdle > 0) this.dpd(session, now);
    }
  }

  private dpd(session: PeerSession, now: number): void {
    const { peer, dpd } = session;
    const sa = peer.sa;
    if (!sa) return;
    if (dpd.outstanding) {
      if (now - dpd.sentAt < DPD_RETRY_MS) return;
      if (++dpd.attempts > DPD_ATTEMPTS) return this.forget(session, 'dead peer (no R-U-THERE-ACK)');
    } else {
      const idleSince = Math.max(session.lastIke, this.dataPlane.lastSeen(peer.key));
      if (now - idleSince < this.config.dpdIdle * 1000) return;
      dpd.seq = (dpd.seq + 1) >>> 0;
      dpd.outstanding = true;
    }
    dpd.sentAt = now;
    this.log.at(2)?.(`peer ${peer.key}: R-U-THERE ${dpd.seq}`);
    this.sendTo(session, buildDpd(sa, randomMessageId(this.random), false, dpd.seq));
  }

  /**
   * Tells every established client that its ISAKMP SA is gone, keeps the sockets open for `graceMs` so the
   * clients' own DELETEs do not meet closed ports (vpnc exits 1 on "Connection refused"), then closes
   * everything, which removes the TUN device and its routes.
   */
  async stop(graceMs = 500): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    let told = 0;
    for (const session of [...this.sessions.values()]) {
      const sa = session.peer.sa;
      if (sa && session.peer.stageName === 'ready') {
        // As concentrators do when they end a session: the ESP SAs, then the ISAKMP SA (one message).
        this.sendTo(session, buildDeleteAll(sa, randomMessageId(this.random), this.dataPlane.spisOf(session.peer.key)));
        told++;
      }
      this.forget(session, 'gateway shutting down');
    }
    if (told > 0 && graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
    this.closeSockets();
  }

  /** Closes everything at once, without telling clients (for failures and tests). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const session of [...this.sessions.values()]) this.forget(session, 'gateway closed');
    this.closeSockets();
  }

  private closeSockets(): void {
    this.hostile?.close();
    for (const e of [this.ike, this.natt, this.raw, this.cisco, this.tun]) if (e && !e.closed) e.close();
  }
}

function describe(e: IkeEndpoint): string {
  return `${formatIpv4(e.address)}:${e.port}`;
}
