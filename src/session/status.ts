/**
 * What `vpnc --status` shows of a running tunnel, as plain data (JSON as it is): the gateway and how ESP
 * travels, the tunnel's address, routes and MTU, the ISAKMP SA, each ESP SA (SPIs, transform, age, time and
 * kilobytes left, traffic and drops; never keys), the data path's totals, DPD, and how often the tunnel was
 * rekeyed, re-authenticated and reconnected. Built on request from the session's own objects.
 */
import type { EspPair } from './quick-mode-driver.js';
import type { IkeSaSlot, Stage } from './lifecycle.js';
import type { DataPathDrops } from './datapath.js';

export interface EspSaStatus {
  readonly direction: 'in' | 'out';
  /** 8 hex digits. */
  readonly spi: string;
  readonly transform: string;
  readonly inUse: boolean;
  readonly ageSeconds: number;
  /** Until the lifetime the gateway accepted ends; null without one. */
  readonly secondsLeft: number | null;
  readonly kilobytesLeft: number | null;
  readonly packets: number;
  readonly bytes: number;
  /** Drops by reason (only those that happened). */
  readonly drops: Readonly<Record<string, number>>;
}

export interface TunnelStatus {
  readonly version: 1;
  readonly pid: number;
  readonly stage: Stage['kind'];
  readonly uptimeSeconds: number;
  readonly gateway: string;
  readonly localAddress: string;
  readonly transport: string;
  readonly ports: { readonly local: number; readonly remote: number };
  readonly tunnel: { readonly device: string; readonly address: string | null; readonly mtu: number | null; readonly routes: readonly string[]; readonly dns: readonly string[] };
  readonly ikeSa: { readonly cookies: string; readonly transform: string; readonly ageSeconds: number; readonly secondsLeft: number | null } | null;
  readonly espSas: readonly EspSaStatus[];
  readonly traffic: { readonly espSent: number; readonly espReceived: number; readonly drops: DataPathDrops };
  readonly dpd: { readonly enabled: boolean; readonly probing: boolean; readonly lastHeardSecondsAgo: number | null; readonly lastIkeSecondsAgo: number | null };
  readonly events: { readonly espRekeys: number; readonly reauthentications: number; readonly reconnects: number; readonly mtuChanges: number };
}

const hex8 = (spi: number): string => (spi >>> 0).toString(16).padStart(8, '0');
const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

/** Both directions of an installed ESP pair. */
export function espSaStatus(now: number, pair: EspPair, at: number, inUse: boolean): EspSaStatus[] {
  return (['in', 'out'] as const).map((direction) => {
    const sa = direction === 'in' ? pair.inbound : pair.outbound;
    const c = sa.counters;
    const drops = Object.fromEntries(Object.entries(c.drops).filter(([, n]) => n > 0));
    return {
      direction,
      spi: hex8(sa.spi),
      transform: sa.suite.name,
      inUse,
      ageSeconds: seconds(now - at),
      secondsLeft: pair.lifetimeSeconds > 0 ? seconds(at + pair.lifetimeSeconds * 1000 - now) : null,
      kilobytesLeft: pair.lifetimeKilobytes > 0 ? Math.max(0, pair.lifetimeKilobytes - Math.floor(c.bytes / 1024)) : null,
      packets: c.packets,
      bytes: c.bytes,
      drops,
    };
  });
}

/** The ISAKMP SA in use. */
export function ikeSaStatus(now: number, slot: IkeSaSlot | undefined): TunnelStatus['ikeSa'] {
  if (!slot) return null;
  const life = slot.life.current;
  const at = life.kind === 'established' ? life.at : now;
  return {
    cookies: `${slot.sa.cookieI.toString('hex')}/${slot.sa.cookieR.toString('hex')}`,
    transform: slot.sa.suite.name,
    ageSeconds: seconds(now - at),
    secondsLeft: life.kind === 'established' && Number.isFinite(life.lifetimeMs) ? seconds(at + life.lifetimeMs - now) : null,
  };
}
