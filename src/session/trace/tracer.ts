/**
 * The diagnostic trace of one session: what happens to each packet.
 * - `--trace FILE`: a pcapng file with two interfaces, 0 "outer" (IKE and ESP as on the wire, with the
 *   IPv4/UDP headers rebuilt from the real addresses and ports) and 1 "inner" (cleartext entering and
 *   leaving the tunnel); every packet the client dropped carries a comment saying why.
 * - `--trace-keys FILE`: Wireshark's decryption tables (keys-file.ts), rewritten as keys become known.
 * - debug 3 logs every packet in one line (plus hex dumps of IKE); debug 1 logs the first drop of each
 *   kind; debug 99 logs the key material.
 * - At exit with a trace: a summary per ESP SA (packets and bytes each way, drops by reason).
 */
import { closeSync, writeSync } from 'node:fs';
import { openPrivate } from './private-file.js';
import { performance } from 'node:perf_hooks';
import { SystemError } from '../../errors.js';
import { parseIpv4 } from '../../wire/ipv4-text.js';
import type { Logger } from '../../log.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import { cookieHex, formatCookiePair, formatSpi, readSpi, spiFromNumber, type Spi } from '../../wire/sa-ids.js';
import { KeysFile } from './keys-file.js';
import { encodeOuterHeaders, MAX_OUTER_HEADER_LENGTH, type OuterEndpoint } from './outer-headers.js';
import { describeEsp, describeIp, describeIsakmp, hexDump } from './packet-log.js';
import { LinkType, PcapngWriter, type PacketDirection } from './pcapng.js';
import { formatSummary, TraceCounters } from './summary.js';
import { NO_SA_DROPS, type EspPath, type EspSaPair, type SessionTrace, type UdpPathState } from './taps.js';

/** Interface ids of the trace file. */
export const TraceInterface = { OUTER: 0, INNER: 1 } as const;

export interface TracerOptions {
  readonly log: Logger;
  /** The pcapng file; none: no file (the tracer then only logs and writes keys). */
  readonly traceFile?: string | undefined;
  readonly keysFile?: string | undefined;
  /** Microseconds since the epoch (tests inject a clock). */
  readonly now?: () => number;
  /** How often buffered packets reach the file. */
  readonly flushIntervalMs?: number;
}

/** The draft NAT-T non-IKE marker in front of ESP on port 500. */
const DRAFT_MARKER_LENGTH = 8;
const MAX_PACKET = 65_535;

const wallClockUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

const ESP_BEFORE_SA = 'no SA yet: ESP before quick mode completed';

export class SessionTracer implements SessionTrace {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly writer: PcapngWriter | undefined;
  private fd: number | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly keys: KeysFile | undefined;
  private local: OuterEndpoint = { address: 0, port: 0 };
  private remote: OuterEndpoint = { address: 0, port: 0 };
  private localText = '0.0.0.0';
  private remoteText = '0.0.0.0';
  private espPath: EspPath | undefined;
  private readonly head = Buffer.alloc(MAX_OUTER_HEADER_LENGTH + DRAFT_MARKER_LENGTH);
  /** The last inbound ESP packet, held until the data path says whether it was accepted or dropped. */
  private readonly pending = Buffer.alloc(MAX_PACKET);
  private held = false;
  private heldSpi = spiFromNumber(0);
  private heldLength = 0;
  private heldTime = 0;
  private readonly firstDrops = new Set<string>();
  readonly counters = new TraceCounters();
  private packetsWritten = 0;
  private closed = false;
  /** A finding to write as the comment of the next packet. */
  private pendingNote: string | undefined;

  constructor(opts: TracerOptions) {
    this.log = opts.log;
    this.now = opts.now ?? wallClockUs;
    if (opts.traceFile !== undefined) {
      const path = opts.traceFile;
      try {
        this.fd = openPrivate(path);
      } catch (err) {
        throw new SystemError('VPNC_ERR_TRACE_FILE', `cannot open trace file ${path}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code, { cause: err });
      }
      this.writer = new PcapngWriter((chunk) => this.writeChunk(chunk), [
        { linkType: LinkType.RAW, name: 'outer', description: 'IKE and ESP as on the wire (IP/UDP headers rebuilt)' },
        { linkType: LinkType.RAW, name: 'inner', description: 'cleartext packets entering and leaving the tunnel' },
      ], { application: 'vpnc (TypeScript)' });
      this.timer = setInterval(() => this.flush(), opts.flushIntervalMs ?? 1000);
      this.timer.unref();
    }
    if (opts.keysFile !== undefined) {
      try {
        this.keys = new KeysFile(opts.keysFile);
      } catch (err) {
        this.close();
        throw new SystemError('VPNC_ERR_TRACE_FILE', `cannot write keys file ${opts.keysFile}: ${(err as Error).message}`, (err as NodeJS.ErrnoException).code, { cause: err });
      }
    }
  }

  /** Every packet is needed for a trace file and for debug 3's packet lines; drops alone are reported from 1. */
  get wantsPackets(): boolean {
    return this.writer !== undefined || this.log.enabled(3);
  }

  start(localAddress: string, gatewayAddress: string): void {
    this.localText = localAddress;
    this.remoteText = gatewayAddress;
    this.local = { address: parseIpv4(localAddress), port: 0 };
    this.remote = { address: parseIpv4(gatewayAddress), port: 0 };
  }

  ikeSa(sa: IkeSa): void {
    this.keys?.addIkeSa(sa.cookieI, sa.keys.encKey);
    this.log.at(2)?.(`IKE SA ${formatCookiePair(sa.cookieI, sa.cookieR)} keyed (${sa.suite.name})`);
    const secrets = this.log.at(99);
    if (secrets) {
      const k = sa.keys;
      secrets([`IKE SA key material (cookie ${cookieHex(sa.cookieI)}):`, `  SKEYID   ${k.skeyid.toString('hex')}`, `  SKEYID_d ${k.skeyidD.toString('hex')}`,
        `  SKEYID_a ${k.skeyidA.toString('hex')}`, `  SKEYID_e ${k.skeyidE.toString('hex')}`, `  enc key  ${k.encKey.toString('hex')}`, `  IV0      ${k.iv0.toString('hex')}`].join('\n'));
    }
  }

  espSas(pair: EspSaPair, path?: EspPath): void {
    if (path) this.espPath = path;
    this.counters.addSa(pair.inbound.spi, 'in', pair.inbound.suite.name);
    this.counters.addSa(pair.outbound.spi, 'out', pair.outbound.suite.name);
    this.counters.outboundSpi[pair.family ?? 4] = pair.outbound.spi;
    this.keys?.addEspSas([
      [pair.outbound, this.localText, this.remoteText],
      [pair.inbound, this.remoteText, this.localText],
    ]);
    this.log.at(99)?.([pair.inbound, pair.outbound]
        .map((sa) => `ESP SA ${formatSpi(sa.spi)} keys: encryption ${sa.keys.encryption.toString('hex')} salt ${sa.keys.salt.toString('hex')} integrity ${sa.keys.integrity.toString('hex')}`)
        .join('\n'));
  }

  // --- DatagramTap: the IKE socket ---------------------------------------------------------------------

  datagram(direction: 'in' | 'out', buf: Buffer, off: number, len: number, path: UdpPathState): void {
    this.flushPending(undefined);
    const marker = path.floated && len >= 4 && buf.readUInt32BE(off) === 0;
    const keepalive = len === 1 && buf[off] === 0xff;
    if (direction === 'in' && path.floated && !marker && !keepalive) {
      if (this.espPath) return; // ESP: the data path reports it
      this.writeOuter('in', buf, off, len, { kind: 'udp', localPort: path.localPort, remotePort: path.remotePort }, ESP_BEFORE_SA);
      this.dropped('in', ESP_BEFORE_SA, undefined);
      return;
    }
    if (direction === 'out') this.counters.ikeSent++;
    else if (!keepalive) this.counters.ikeReceived++;
    this.writeOuter(direction, buf, off, len, { kind: 'udp', localPort: path.localPort, remotePort: path.remotePort }, undefined);
    if (keepalive || !this.log.enabled(3)) return;
    const at = marker ? off + 4 : off;
    const n = marker ? len - 4 : len;
    const peer = `${this.remoteText}:${path.remotePort}`;
    this.log.at(3)?.(`${direction === 'out' ? `sent ISAKMP to ${peer}` : `received ISAKMP from ${peer}`}: ${describeIsakmp(buf, at, n)}\n${hexDump(buf, at, n)}`);
  }

  // --- PacketTap: the data path ------------------------------------------------------------------------

  inner(direction: 'in' | 'out', buf: Buffer, off: number, len: number): void {
    if (direction === 'in') this.flushPending(undefined, true);
    else this.flushPending(undefined);
    this.writePacket(TraceInterface.INNER, direction, undefined, 0, buf, off, len, undefined);
    if (this.log.enabled(3)) this.log.at(3)?.(`${direction === 'out' ? 'to tunnel' : 'from tunnel'}: ${describeIp(buf, off, len)}`);
  }

  outerEsp(direction: 'in' | 'out', buf: Buffer, off: number, len: number): void {
    this.flushPending(undefined);
    if (this.log.enabled(3)) this.log.at(3)?.(`ESP ${direction === 'out' ? 'sent' : 'received'}: ${describeEsp(buf, off, len)}`);
    if (len < 8) return;
    if (direction === 'out') {
      this.counters.passed(readSpi(buf, off), len);
      if (this.espPath) this.writeOuter('out', buf, off, len, this.espPath, undefined);
      return;
    }
    // Held until the data path decides: it decrypts in place, so the wire bytes are copied now.
    this.held = true;
    this.heldSpi = readSpi(buf, off);
    this.heldLength = Math.min(len, MAX_PACKET);
    if (this.writer) {
      buf.copy(this.pending, 0, off, off + this.heldLength);
      this.heldTime = this.now();
    }
  }

  drop(direction: 'in' | 'out', reason: string, buf: Buffer, off: number, len: number): void {
    if (direction === 'in') {
      const spi = this.held ? this.heldSpi : len >= 4 ? readSpi(buf, off) : undefined;
      if (this.held) this.flushPending(reason);
      else if (this.espPath) this.writeOuter('in', buf, off, len, this.espPath, reason);
      this.dropped('in', reason, spi);
      return;
    }
    this.flushPending(undefined);
    this.writePacket(TraceInterface.INNER, 'out', undefined, 0, buf, off, len, `dropped: ${reason}`);
    // On the SA the packet would have taken (by its IP version), unless it was dropped for having none.
    const version = len > 0 ? buf[off]! >> 4 : 0;
    const onSa = !NO_SA_DROPS.has(reason) && (version === 4 || version === 6);
    this.dropped('out', reason, onSa ? this.counters.outboundSpi[version] : undefined);
    if (this.log.enabled(3)) this.log.at(3)?.(`  the dropped packet: ${describeIp(buf, off, len)}`);
  }

  // --- the end -----------------------------------------------------------------------------------------

  /** Writes what is buffered to the file. */
  flush(): void {
    this.flushPending(undefined);
    this.writer?.flush();
  }

  /** Flushes and closes the file; with a trace file, logs the summary. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.flush();
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
      for (const line of formatSummary(this.counters, this.packetsWritten)) this.log.notice(`trace: ${line}`);
    }
  }

  // --- helpers -----------------------------------------------------------------------------------------

  private dropped(direction: PacketDirection, reason: string, spi: Spi | undefined): void {
    const kind = reason.startsWith('unknown SPI') ? 'unknown SPI' : reason;
    this.counters.dropped(direction, reason, spi);
    if (!this.firstDrops.has(kind)) {
      this.firstDrops.add(kind);
      this.log.at(1)?.(`dropped ${direction === 'in' ? 'an inbound' : 'an outbound'} packet: ${reason} (first of its kind; later ones are counted)`);
    } else {
      this.log.at(3)?.(`dropped ${direction === 'in' ? 'inbound' : 'outbound'} packet: ${reason}`);
    }
  }

  /** Writes the held inbound ESP packet (with a drop comment when `reason` is given). */
  private flushPending(reason: string | undefined, accepted = false): void {
    if (!this.held) return;
    this.held = false;
    if (accepted) this.counters.passed(this.heldSpi, this.heldLength);
    if (this.espPath) this.writeOuter('in', this.pending, 0, this.heldLength, this.espPath, reason, this.heldTime);
  }

  /** An outer packet: headers rebuilt for `path` in `direction`, then buf[off, off+len). */
  private writeOuter(direction: PacketDirection, buf: Buffer, off: number, len: number, path: EspPath, reason: string | undefined, time?: number): void {
    if (!this.writer) return;
    const udp = path.kind !== 'raw';
    const ours = { address: this.local.address, port: path.localPort };
    const theirs = { address: this.remote.address, port: path.remotePort };
    const draft = path.kind === 'draft' ? DRAFT_MARKER_LENGTH : 0; // IKE datagrams come with kind 'udp'
    const src = direction === 'out' ? ours : theirs;
    const dst = direction === 'out' ? theirs : ours;
    let headLength = encodeOuterHeaders(this.head, udp, src, dst, len + draft);
    if (draft) {
      this.head.fill(0, headLength, headLength + draft);
      headLength += draft;
    }
    this.writePacket(TraceInterface.OUTER, direction, this.head, headLength, buf, off, len, reason === undefined ? undefined : `dropped: ${reason}`, time);
  }

  note(text: string): void {
    this.counters.note();
    this.pendingNote = this.pendingNote === undefined ? text : `${this.pendingNote}; ${text}`;
  }

  private writePacket(iface: number, direction: PacketDirection, head: Buffer | undefined, headLength: number, buf: Buffer, off: number, len: number, dropComment: string | undefined, time?: number): void {
    if (!this.writer) return;
    const note = this.pendingNote;
    this.pendingNote = undefined;
    const comment = note === undefined ? dropComment : dropComment === undefined ? note : `${note}; ${dropComment}`;
    this.writer.packet({
      interfaceId: iface,
      timestampUs: time ?? this.now(),
      direction,
      data: buf.subarray(off, off + len),
      ...(head ? { head: head.subarray(0, headLength) } : {}),
      ...(comment !== undefined ? { comment } : {}),
    });
    this.packetsWritten++;
  }

  private writeChunk(chunk: Buffer): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, chunk);
    } catch (err) {
      this.log.warn(`trace file: ${(err as Error).message}; tracing stopped`);
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}
