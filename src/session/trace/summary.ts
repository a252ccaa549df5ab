/**
 * Counters of the trace and the summary printed at exit: per ESP SA, packets and ESP bytes that went
 * through and drops by reason; drops that belong to no SA of ours (unknown SPI, ESP before quick mode)
 * separately; IKE datagrams each way.
 */
import { formatSpi, type Spi } from '../../wire/sa-ids.js';

/** Traffic of one SA direction as the trace saw it. */
export interface SaTraffic {
  readonly spi: Spi;
  readonly direction: 'in' | 'out';
  readonly suite: string;
  packets: number;
  /** ESP bytes (SPI to ICV, without outer IP/UDP headers). */
  bytes: number;
  readonly drops: Map<string, number>;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export class TraceCounters {
  readonly sas = new Map<Spi, SaTraffic>();
  /** Drops not attributable to one of our SAs, by "in: reason" / "out: reason". */
  readonly otherDrops = new Map<string, number>();
  ikeSent = 0;
  ikeReceived = 0;
  /** The SPI outbound packets currently use, per inner family. */
  readonly outboundSpi: { 4: Spi | undefined; 6: Spi | undefined } = { 4: undefined, 6: undefined };
  /** Findings of the session written into the trace (e.g. ESP black-holed). */
  notes = 0;

  note(): void {
    this.notes++;
  }

  addSa(spi: Spi, direction: 'in' | 'out', suite: string): void {
    if (!this.sas.has(spi)) this.sas.set(spi, { spi, direction, suite, packets: 0, bytes: 0, drops: new Map() });
  }

  /** A packet that went through the SA `spi` (ignored when the SPI is not ours). */
  passed(spi: Spi, bytes: number): void {
    const sa = this.sas.get(spi);
    if (sa === undefined) return;
    sa.packets++;
    sa.bytes += bytes;
  }

  /** A drop, counted on the SA `spi` when it is ours. */
  dropped(direction: 'in' | 'out', reason: string, spi: Spi | undefined): void {
    const sa = spi === undefined ? undefined : this.sas.get(spi);
    if (sa !== undefined) bump(sa.drops, reason);
    else bump(this.otherDrops, `${direction}: ${reason}`);
  }
}

function dropText(drops: ReadonlyMap<string, number>): string {
  if (drops.size === 0) return 'no drops';
  return `dropped: ${[...drops].map(([reason, n]) => `${reason} ${n}`).join(', ')}`;
}

/** The summary lines (without a prefix). */
export function formatSummary(c: TraceCounters, packetsWritten: number): string[] {
  const lines = [`${packetsWritten} packets written; IKE datagrams: ${c.ikeSent} sent, ${c.ikeReceived} received`];
  for (const sa of c.sas.values()) {
    lines.push(`ESP SA ${formatSpi(sa.spi)} ${sa.direction === 'in' ? 'inbound ' : 'outbound'} (${sa.suite}): ${sa.packets} packets, ${sa.bytes} bytes; ${dropText(sa.drops)}`);
  }
  if (c.otherDrops.size > 0) lines.push(`outside our SAs: ${dropText(c.otherDrops)}`);
  if (c.notes > 0) lines.push(`${c.notes} finding(s) of the session written as packet comments`);
  return lines;
}
