/**
 * The steps a session repeats, whether it is starting, re-authenticating or reconnecting: an IKE channel, a
 * phase 1 that yields an ISAKMP SA slot, a quick mode on a slot, and the ESP transport its terms ask for.
 */
import { randomBytes } from 'node:crypto';
import { GatewayRedirect, PeerTimeoutError, ProtocolError } from '../errors.js';
import type { VpncConfig } from '../config/validate.js';
import type { Logger } from '../log.js';
import { buildDeleteEsp, buildDeleteIsakmp } from '../ike/exchanges/informational.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import type { IpFamily } from '../ike/exchanges/quick-mode-ids.js';
import type { ModeConfig } from '../ike/exchanges/mode-config.js';
import type { ClientCredentials } from '../ike/exchanges/main-mode.js';
import { backupServersOf } from './script-host.js';
import type { ClientHooks } from './client-hooks.js';
import { CiscoUdpTransport, DraftUdpTransport, RawEspTransport, UdpEspTransport, type EspTransport } from './esp-transport.js';
import { IkeChannel } from './ike-channel.js';
import { newSlot, type IkeSaSlot, type LifecyclePolicy } from './lifecycle.js';
import { Phase1Driver, type Phase1Outcome } from './phase1.js';
import { encapModeFor, pfsGroupFor, runQuickMode, type EspPair } from './quick-mode-driver.js';
import { networkNotices } from './network-notices.js';
import { localAddressFor, resolveGateway } from './route.js';
import { Timers, type Clock } from './timers.js';
import { withTotal } from './retransmit.js';
import type { DataPath } from './datapath.js';
import type { TunDevice } from '../io/index.js';

/** Where the session talks from and to; `localAddress` follows the machine when it roams. */
export interface Endpoints {
  /** The gateway's address; a load-balancing redirect during setup replaces it. */
  gateway: string;
  /** The configured gateway, resolved: where a reconnection starts again (a cluster's address). */
  readonly origin: string;
  /** The address sockets bind to: --local-addr resolved, or 0.0.0.0 (the kernel chooses). */
  readonly bindAddress: string;
  /** Our outer address (NAT-D, raw ESP source). */
  localAddress: string;
  /**
   * Backup servers' names resolved before the tunnel's DNS took over (resolveBackups): a reconnection, when the
   * tunnel's resolvers are out of reach, uses these.
   */
  readonly backupAddresses: Map<string, string>;
}

/**
 * Where reconnection attempt `attempt` goes: the configured gateway, then each backup (UNITY_BACKUP_SERVERS, else
 * the profile's, as Cisco's client) in turn, round and round; by the address resolved at setup, else resolved now.
 */
export async function reconnectTarget(ctx: SessionContext, mc: ModeConfig | undefined, attempt: number): Promise<string> {
  const ep = ctx.endpoints;
  const backups = mc ? backupServersOf(mc, ctx.config.backupServers) : ctx.config.backupServers;
  const targets = [ep.origin, ...backups];
  const name = targets[attempt % targets.length]!;
  if (name === ep.origin) return name;
  const known = ep.backupAddresses.get(name);
  if (known !== undefined) return known;
  try {
    return await resolveGateway(name);
  } catch {
    ctx.log.notice(`the backup server ${name} does not resolve; trying the gateway ${ep.origin}`);
    return ep.origin;
  }
}

/** Resolves the backup servers' names now (failures are left for later), keeping the addresses in `endpoints`. */
export async function resolveBackups(ctx: SessionContext, names: readonly string[]): Promise<void> {
  for (const name of names) {
    if (ctx.endpoints.backupAddresses.has(name)) continue;
    try {
      ctx.endpoints.backupAddresses.set(name, await resolveGateway(name));
    } catch {
      ctx.log.at(1)?.(`the backup server ${name} does not resolve (yet)`);
    }
  }
}

/** What the tunnel runs on; the channel and transport change on a reconnection or a move. */
export interface Link {
  readonly tun: TunDevice;
  readonly datapath: DataPath;
  channel: IkeChannel;
  transport: EspTransport;
  /** A typed XAUTH password that may serve the next phase 1 (memory only; see Phase1Outcome). */
  reusablePassword: string | undefined;
}

/** What every step is given. */
export interface SessionContext {
  /** The settings; replaced (not changed) when the session forces NAT-T by itself (black-hole fallback). */
  config: VpncConfig;
  readonly log: Logger;
  readonly hooks: ClientHooks;
  readonly clock: Clock;
  readonly policy: LifecyclePolicy;
  readonly endpoints: Endpoints;
  /** Our certificate chain and key (--auth-mode cert), read once at the start. */
  readonly credentials?: ClientCredentials;
}

export function openChannel(ctx: SessionContext): IkeChannel {
  const { config: c, hooks } = ctx;
  return new IkeChannel({
    localAddress: ctx.endpoints.bindAddress,
    localPort: c.localPort,
    gateway: ctx.endpoints.gateway,
    gatewayPort: 500,
    log: ctx.log,
    clock: ctx.clock,
    retransmit: withTotal(Timers.retransmit, c.ikeTimeout),
    ...(hooks.netns ? { netns: hooks.netns } : {}),
    ...(hooks.trace ? { tap: hooks.trace } : {}),
  });
}

export interface Phase1Request {
  readonly reauthentication: boolean;
  /** A typed password that may serve again (memory only). */
  readonly rememberedPassword: string | undefined;
  /** Datagrams of another ISAKMP SA (the one in use while we re-authenticate). */
  readonly foreign?: (d: Buffer) => void;
  /** Told the new ISAKMP SA as soon as it has keys. */
  readonly keyed?: (sa: IkeSa) => void;
}

/** Aggressive mode, XAUTH and mode config on `channel`: a new slot (INITIAL-CONTACT only on a first contact). */
export async function phase1(ctx: SessionContext, channel: IkeChannel, req: Phase1Request): Promise<{ slot: IkeSaSlot; outcome: Phase1Outcome }> {
  const { config: c, hooks } = ctx;
  const driver = new Phase1Driver(
    c,
    channel,
    ctx.log,
    hooks.promptSecret,
    (sa) => {
      hooks.trace?.ikeSa(sa);
      req.keyed?.(sa);
    },
    {
      reauthentication: req.reauthentication,
      clock: ctx.clock,
      ...(ctx.credentials ? { credentials: ctx.credentials } : {}),
      ...(req.foreign ? { foreign: req.foreign } : {}),
      ...(req.rememberedPassword !== undefined ? { rememberedPassword: req.rememberedPassword } : {}),
    },
  );
  const local = { address: ctx.endpoints.localAddress, port: channel.localPort };
  const remote = { address: ctx.endpoints.gateway, port: channel.remotePort };
  const outcome = await driver.run(local, remote, { initialContact: !req.reauthentication });
  const terms = {
    modeConfig: outcome.modeConfig,
    natt: outcome.natt,
    encapMode: encapModeFor(outcome.natt),
    pfsGroup: pfsGroupFor(c.pfs, outcome.modeConfig.pfs),
  };
  const slot = newSlot({
    sa: outcome.sa,
    at: outcome.establishedAt,
    lifetimeSeconds: outcome.lifetimeSeconds,
    terms,
    policy: ctx.policy,
    peerDpd: outcome.peer.dpd,
    dpdSeq: randomBytes(4).readUInt32BE(0) & 0x7fffffff,
  });
  return { slot, outcome };
}

/** Redirects followed per connection attempt (vpnc follows them without end; a loop between members must end). */
export const MAX_REDIRECTS = 3;

/**
 * A first phase 1 (setup or reconnection) that follows Cisco load balancing: when a cluster member sends us
 * to another one (notify 40501), the gateway becomes that address and phase 1 starts again there on a new
 * channel, `moved` told of it. At most MAX_REDIRECTS hops; then the redirect is the error.
 */
export async function phase1Following(
  ctx: SessionContext,
  channel: IkeChannel,
  req: Phase1Request,
  moved: (channel: IkeChannel) => void,
): Promise<{ slot: IkeSaSlot; outcome: Phase1Outcome; channel: IkeChannel }> {
  let ch = channel;
  for (let hop = 0; ; hop++) {
    try {
      return { ...(await phase1(ctx, ch, req)), channel: ch };
    } catch (err) {
      if (!(err instanceof GatewayRedirect) || hop >= MAX_REDIRECTS) throw err;
      ctx.log.notice(`${err.message}: connecting there`);
      ch = await moveTo(ctx, ch, err.address);
      moved(ch);
    }
  }
}

/** The session goes to another gateway (a redirect, a backup): the endpoints follow, a new channel replaces `ch`. */
async function moveTo(ctx: SessionContext, ch: IkeChannel, address: string): Promise<IkeChannel> {
  const ep = ctx.endpoints;
  ep.gateway = address;
  if (ep.bindAddress === '0.0.0.0') ep.localAddress = await localAddressFor(address);
  ch.close();
  return openChannel(ctx);
}

/**
 * Phase 1 attempts per setup. A gateway that answered AM2 and then went silent is alive behind a lossy path, or
 * has dropped its half-open SA (strongSwan does after 30 s): a new phase 1 from AM1 gets through where resending
 * into the dropped SA cannot.
 */
export const SETUP_ATTEMPTS = 3;

/**
 * A session's first phase 1: at the configured gateway (following redirects), then, while AM1 gets no answer, at each
 * of the profile's backup servers in turn (`Backup servers`, a .pcf's BackupServer); one that does not resolve
 * is skipped. The last silence is the error. A gateway that stops answering after AM2 gets a new phase 1, up to
 * SETUP_ATTEMPTS in all (the abandoned SA is deleted: the gateway may still hold it).
 */
export async function firstPhase1(
  ctx: SessionContext,
  channel: IkeChannel,
  req: Phase1Request,
  moved: (channel: IkeChannel) => void,
): Promise<{ slot: IkeSaSlot; outcome: Phase1Outcome; channel: IkeChannel }> {
  const backups = [...ctx.config.backupServers];
  let ch = channel;
  const track = (m: IkeChannel): void => {
    ch = m;
    moved(m);
  };
  let keyed: IkeSa | undefined;
  const attempt: Phase1Request = {
    ...req,
    keyed: (sa) => {
      keyed = sa;
      req.keyed?.(sa);
    },
  };
  for (let attempts = 1; ; attempts++) {
    try {
      return await phase1Following(ctx, ch, attempt, track);
    } catch (err) {
      if (err instanceof PeerTimeoutError && !err.unanswered && attempts < SETUP_ATTEMPTS) {
        ctx.log.notice(`${err.message} after it had answered; starting phase 1 again (attempt ${attempts + 1} of ${SETUP_ATTEMPTS})`);
        if (keyed) ch.send(buildDeleteIsakmp(keyed, randomMessageId()));
        keyed = undefined;
        track(await moveTo(ctx, ch, ctx.endpoints.gateway));
        continue;
      }
      // Only silence to AM1 moves on: a gateway that answered and then went quiet is not down.
      if (!(err instanceof PeerTimeoutError) || !err.unanswered || backups.length === 0) throw err;
      let address: string | undefined;
      while (address === undefined && backups.length > 0) {
        const name = backups.shift()!;
        try {
          address = await resolveGateway(name);
          ctx.log.notice(`${err.message}; trying the backup server ${name}`);
        } catch {
          ctx.log.notice(`the backup server ${name} does not resolve; skipped`);
        }
      }
      if (address === undefined) throw err;
      track(await moveTo(ctx, ch, address));
    }
  }
}

/** The IPv6 side of a tunnel: all of IPv6 is asked for; the gateway narrows it to its networks (RFC 2409 5.5). */
export const IPV6_TARGET = { address: '::', prefixLength: 0 } as const;

/** The families `terms` tunnel: IPv4, and IPv6 when mode config gave an IPv6 address. */
export function familiesOf(terms: IkeSaSlot['terms']): IpFamily[] {
  return terms.modeConfig.address6 ? [4, 6] : [4];
}

/**
 * Quick mode on `slot`'s ISAKMP SA for its terms and one family (IPv4: our address to the target network;
 * IPv6: our IPv6 address to ::/0); `other` sees every other datagram meanwhile.
 */
export function quickMode(ctx: SessionContext, channel: IkeChannel, slot: IkeSaSlot, other: (d: Buffer) => void, family: IpFamily = 4): Promise<EspPair> {
  const { terms } = slot;
  const v6 = family === 6 ? terms.modeConfig.address6 : undefined;
  if (family === 6 && !v6) throw new ProtocolError('no IPv6 quick mode: mode config gave no IPv6 address');
  const ends = v6 ? { localAddress: v6.address, remote: IPV6_TARGET } : { localAddress: terms.modeConfig.address, remote: ctx.config.targetNetwork };
  return runQuickMode(slot.sa, channel, ctx.log, { config: ctx.config, ...ends, pfsGroup: terms.pfsGroup, encapMode: terms.encapMode }, other);
}

/** The gateway's Cisco UDP port, when ESP goes over Cisco UDP encapsulation. */
export function ciscoPortOf(config: VpncConfig, terms: IkeSaSlot['terms']): number | undefined {
  return config.nattMode === 'cisco-udp' && terms.natt === 'none' ? terms.modeConfig.udpEncapPort : undefined;
}

/** How ESP travels for `terms`: in the IKE socket's UDP (NAT-T), Cisco UDP, or raw IP protocol 50. */
export function transportFor(ctx: SessionContext, channel: IkeChannel, terms: IkeSaSlot['terms']): EspTransport {
  const ns = ctx.hooks.netns;
  const { gateway, bindAddress, localAddress } = ctx.endpoints;
  if (terms.natt === 'rfc') return new UdpEspTransport(channel);
  if (terms.natt === 'draft') return new DraftUdpTransport(channel);
  const ciscoPort = ciscoPortOf(ctx.config, terms);
  if (!ciscoPort) return rawTransportFrom(ctx, localAddress);
  const t = new CiscoUdpTransport(bindAddress, ctx.config.udpPort, gateway, ciscoPort, ns);
  t.onNetworkError(networkNotices(ctx.log, ctx.clock, 'ESP'));
  return t;
}

/** Raw ESP from `localAddress` (also after roaming), with the network's reports about it told. */
export function rawTransportFrom(ctx: SessionContext, localAddress: string): EspTransport {
  const t = new RawEspTransport(localAddress, ctx.endpoints.gateway, ctx.hooks.netns);
  t.onNetworkError(networkNotices(ctx.log, ctx.clock, 'ESP'));
  return t;
}

/**
 * vpnc's goodbye on an ISAKMP SA: one DELETE of the ESP pairs given (IPv4 and IPv6 in one payload, RFC 2408
 * 3.15: a gateway that handles messages in parallel cannot take the ISAKMP SA's DELETE before one of them), then
 * one of the ISAKMP SA itself.
 */
export function sendDeletes(channel: IkeChannel, sa: IkeSa, esp: readonly EspPair[]): void {
  if (esp.length > 0) channel.send(buildDeleteEsp(sa, randomMessageId(), esp.flatMap((p) => [p.inbound.spi, p.outbound.spi])));
  channel.send(buildDeleteIsakmp(sa, randomMessageId()));
}

/** A DELETE of an ESP pair (both SPIs) on `sa`. */
export function espDelete(sa: IkeSa, pair: EspPair): Buffer {
  return buildDeleteEsp(sa, randomMessageId(), [pair.inbound.spi, pair.outbound.spi]);
}
