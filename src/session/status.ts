/**
 * What `vpnc --status` shows of a running tunnel, as plain data (JSON as it is): the gateway and how ESP
 * travels, the tunnel's address, routes and MTU, the ISAKMP SA, each ESP SA (SPIs, transform, age, time and
 * kilobytes left, traffic and drops; never keys), the data path's totals, DPD, and how often the tunnel was
 * rekeyed, re-authenticated and reconnected. Built on request from the session's own objects.
 */
import { readdirSync } from 'node:fs';
import { formatCookiePair, spiHex } from '../wire/sa-ids.js';
import type { EspPair } from './quick-mode-driver.js';
import type { IkeSaSlot, SessionLifecycle, Stage } from './lifecycle.js';
import type { DataPathDrops } from './datapath.js';
import type { EspKeeper } from './esp-keeper.js';
import type { Link, SessionContext } from './negotiate.js';
import type { TunnelMtu } from './tunnel-mtu.js';

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
  /** What the process holds: memory, descriptors, and Node's live timers, sockets and handles by kind (a leak shows here). */
  readonly process: ProcessStatus;
}

export interface ProcessStatus {
  readonly rssKb: number;
  readonly heapUsedKb: number;
  readonly fds: number;
  /** process.getActiveResourcesInfo() counted by kind (Timeout, TCPWrap, FSReqCallback, ...). */
  readonly resources: Readonly<Record<string, number>>;
}

/** The process's own figures, read when asked. */
export function processStatus(): ProcessStatus {
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  let fds = -1;
  try {
    fds = readdirSync('/proc/self/fd').length - 1; // less the descriptor reading the directory
  } catch {
    /* not Linux: unknown */
  }
  const m = process.memoryUsage();
  return { rssKb: Math.round(m.rss / 1024), heapUsedKb: Math.round(m.heapUsed / 1024), fds, resources };
}

const seconds = (ms: number): number => Math.max(0, Math.round(ms / 1000));

/** Both directions of an installed ESP pair. */
export function espSaStatus(now: number, pair: EspPair, at: number, inUse: boolean): EspSaStatus[] {
  return (['in', 'out'] as const).map((direction) => {
    const sa = direction === 'in' ? pair.inbound : pair.outbound;
    const c = sa.counters;
    const drops = Object.fromEntries(Object.entries(c.drops).filter(([, n]) => n > 0));
    return {
      direction,
      spi: spiHex(sa.spi),
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
    cookies: formatCookiePair(slot.sa.cookieI, slot.sa.cookieR),
    transform: slot.sa.suite.name,
    ageSeconds: seconds(now - at),
    secondsLeft: life.kind === 'established' && Number.isFinite(life.lifetimeMs) ? seconds(at + life.lifetimeMs - now) : null,
  };
}

/** What the running tunnel shows of itself. */
export interface StatusView {
  readonly now: number;
  readonly startedAt: number;
  readonly ctx: SessionContext;
  readonly link: Link;
  readonly lc: SessionLifecycle;
  readonly keeper: EspKeeper;
  /** When the gateway was last heard from (IKE or ESP), and IKE alone. */
  readonly lastHeard: number;
  readonly ikeHeardAt: number;
  readonly mtu: Pick<TunnelMtu, 'value' | 'changes'>;
  readonly counts: { readonly reauthentications: number; readonly reconnects: number };
}

const ago = (now: number, at: number): number | null => (at > 0 ? seconds(now - at) : null);

export function statusOf(v: StatusView): TunnelStatus {
  const { now, ctx, link, lc } = v;
  const slot = lc.current;
  const mc = (slot ?? lc.last)?.terms.modeConfig;
  const cisco = link.transport.kind === 'cisco-udp';
  return {
    version: 1,
    pid: process.pid,
    stage: lc.stage.kind,
    uptimeSeconds: seconds(now - v.startedAt),
    gateway: ctx.endpoints.gateway,
    localAddress: ctx.endpoints.localAddress,
    transport: link.transport.kind,
    ports: { local: cisco ? ctx.config.udpPort : link.channel.localPort, remote: cisco ? (mc?.udpEncapPort ?? 0) : link.channel.remotePort },
    tunnel: {
      device: link.tun.name,
      address: mc?.address ?? null,
      mtu: v.mtu.value ?? null,
      routes: mc ? (mc.splitInclude.length ? mc.splitInclude.map((n) => `${n.address}/${n.prefixLength}`) : ['0.0.0.0/0']) : [],
      dns: mc?.dns ?? [],
    },
    ikeSa: ikeSaStatus(now, slot),
    espSas: v.keeper.installed.flatMap((e) => espSaStatus(now, e.pair, e.at, e.inUse)),
    traffic: { espSent: link.datapath.espSent, espReceived: link.datapath.espReceived, drops: { ...link.datapath.drops } },
    dpd: { enabled: slot?.dpd !== undefined, probing: slot?.dpd?.probing.outstanding ?? false, lastHeardSecondsAgo: ago(now, v.lastHeard), lastIkeSecondsAgo: ago(now, v.ikeHeardAt) },
    events: { espRekeys: v.keeper.replacements, reauthentications: v.counts.reauthentications, reconnects: v.counts.reconnects, mtuChanges: v.mtu.changes },
    process: processStatus(),
  };
}
