/**
 * The client session as an explicit state machine, pure: the shell (client.ts) feeds it the time from the one
 * clock and what it observed, and performs the duties it returns; it never does I/O, so unit tests drive it
 * with a fake clock. It decides when to re-authenticate phase 1 (85 % of the ISAKMP SA's lifetime, at once
 * after the gateway deleted it or after a move without NAT-T), when to rekey ESP, keepalives, DPD probes, what
 * a freeze means, when a dead peer is reconnected to and when the session ends.
 *
 * Each ISAKMP SA lives in a slot of its own (its keys, its lifetime, its DPD, the terms its mode config set);
 * while a re-authentication runs, the stage holds the old slot, which carries the tunnel, and the new SA once
 * keyed: two ISAKMP SAs alive at once are simply what that stage is.
 */
import type { IkeSa } from '../ike/ike-sa.js';
import type { ModeConfig } from '../ike/exchanges/mode-config.js';
import { sameCookie, type IkeCookie } from '../wire/sa-ids.js';
import type { EndReason } from './client-hooks.js';
import { DeadPeerDetector } from './dpd.js';
import type { EspTransportKind } from './trace/taps.js';
import { EspWatch, type EspCounts } from './esp-watch.js';
import { IkeSaLife } from './ike-sa-life.js';
import { Timers } from './timers.js';

/** What one phase 1 settled for the tunnel. */
export interface Terms {
  readonly modeConfig: ModeConfig;
  /** How ESP travels: NAT detection and the natt mode decided it. */
  readonly natt: 'none' | 'rfc' | 'draft';
  readonly encapMode: number;
  readonly pfsGroup: number;
}

/** One ISAKMP SA and what hangs on it. */
export interface IkeSaSlot {
  readonly sa: IkeSa;
  readonly life: IkeSaLife;
  readonly dpd: DeadPeerDetector | undefined;
  readonly terms: Terms;
}

export type Stage =
  /** The first phase 1 and quick mode; `next` is the ISAKMP SA being made, once keyed. */
  | { readonly kind: 'connecting'; readonly next: IkeSa | undefined }
  | { readonly kind: 'up'; readonly ike: IkeSaSlot }
  /** A new ISAKMP SA is being made; `ike`, the old one, and the ESP SAs carry the tunnel meanwhile. */
  | { readonly kind: 'reauthenticating'; readonly ike: IkeSaSlot; readonly since: number; readonly next: IkeSa | undefined }
  /**
   * The peer was declared dead: the device and routes stay while new phase 1s are tried until `deadline`;
   * `next` is the ISAKMP SA of the attempt under way, once keyed.
   */
  | { readonly kind: 'reconnecting'; readonly deadline: number; readonly nextAttemptAt: number; readonly backoffMs: number; readonly next: IkeSa | undefined }
  | { readonly kind: 'ended'; readonly reason: EndReason };

export type Duty =
  | { readonly kind: 'notice'; readonly text: string }
  /** Look at the route to the gateway: did our outer address change? (report with moved()) */
  | { readonly kind: 'check-route'; readonly because: 'kernel' | 'timer' }
  | { readonly kind: 'reauthenticate' }
  | { readonly kind: 'rekey-esp' }
  | { readonly kind: 'keepalive' }
  | { readonly kind: 'probe'; readonly seq: number; readonly attempt: number }
  /** Run the script with `attempt-reconnect` (once, as reconnecting starts). */
  | { readonly kind: 'attempt-reconnect' }
  /** One reconnection attempt: a fresh phase 1 and quick mode (report with established() or reconnectFailed()). */
  | { readonly kind: 'reconnect' }
  /** Send a DNS query through the tunnel to the resolver mode config gave (black-hole detection). */
  | { readonly kind: 'probe-inner' }
  /** From now on phase 1 forces NAT-T (ESP in UDP): raw ESP is dropped on the way. A re-authentication follows. */
  | { readonly kind: 'force-natt' }
  /** A finding for the diagnostic trace (a comment on its next packet). */
  | { readonly kind: 'trace-note'; readonly text: string };

export interface LifecyclePolicy {
  /** --reconnect-timeout in ms; 0: a dead peer ends the session (vpnc's behaviour). */
  readonly reconnectTimeoutMs: number;
  /** --dpd-idle in seconds; 0: no DPD of ours. */
  readonly dpdIdleSeconds: number;
  /** The NAT traversal mode the user chose. */
  readonly nattMode: 'natt' | 'none' | 'force-natt' | 'cisco-udp';
  /** Switch to UDP encapsulation by itself when raw ESP is dropped (natt mode; off with --no-natt-fallback). */
  readonly nattFallback: boolean;
}

/** What the shell observed since the last tick. */
export interface Observed {
  /** When the gateway was last heard from (IKE or ESP). */
  readonly lastHeard: number;
  /** The ESP SAs need a quick mode of ours (EspKeeper.due). */
  readonly espDue: boolean;
  /** How ESP travels now (NAT keepalives only over UDP). */
  readonly transport: EspTransportKind;
  /** ESP packets sent and received, and IKE heard, for black-hole detection. */
  readonly esp: EspCounts;
}

/** A slot for a new ISAKMP SA established at `at` with `lifetimeSeconds` (0: none stated). */
export function newSlot(p: {
  sa: IkeSa;
  at: number;
  lifetimeSeconds: number;
  terms: Terms;
  policy: LifecyclePolicy;
  /** The gateway announced DPD support. */
  peerDpd: boolean;
  /** The first DPD sequence number (random in use). */
  dpdSeq: number;
}): IkeSaSlot {
  const life = new IkeSaLife();
  life.established(p.at, p.lifetimeSeconds);
  const idle = p.policy.dpdIdleSeconds;
  const dpd =
    idle !== 0 && p.peerDpd
      ? new DeadPeerDetector({ idleMs: idle * 1000, retryMs: Math.min(Timers.dpdRetryMaxMs, idle * 200), attempts: Timers.dpdAttempts, initialSeq: p.dpdSeq })
      : undefined;
  return { sa: p.sa, life, dpd, terms: p.terms };
}

export class SessionLifecycle {
  private stage_: Stage = { kind: 'connecting', next: undefined };
  private waitFrom = 0;
  private waitMs = 0;
  private lastRouteCheck = -Infinity;
  private routeEvent = false;
  private lastKeepalive = -Infinity;
  private lastReauthError: string | undefined;
  private lastSlot: IkeSaSlot | undefined;
  private readonly espWatch = new EspWatch();
  private lastCounts: EspCounts = { sent: 0, received: 0, ikeHeardAt: 0 };
  /** We switched to UDP encapsulation by ourselves and have not yet seen it work. */
  private fellBack = false;
  /** We forced NAT-T once already: never again (a gateway without NAT-T would make it loop). */
  private forcedNatt = false;
  /** Ways ESP has been seen to come back in this session: a path that carried ESP once is no black hole. */
  private readonly espWorked = new Set<EspTransportKind>();

  constructor(private readonly policy: LifecyclePolicy) {}

  get stage(): Stage {
    return this.stage_;
  }

  get ended(): boolean {
    return this.stage_.kind === 'ended';
  }

  /** The slot that carries the tunnel (undefined while connecting, reconnecting or ended). */
  get current(): IkeSaSlot | undefined {
    const s = this.stage_;
    return s.kind === 'up' || s.kind === 'reauthenticating' ? s.ike : undefined;
  }

  /**
   * The slot that carried the tunnel last, whatever the stage now: at the end, the SA to say goodbye on (when
   * still usable).
   */
  get last(): IkeSaSlot | undefined {
    return this.lastSlot;
  }

  /** The ISAKMP SA a message with initiator cookie `cookieI` belongs to: the one in use or the one being made. */
  saFor(cookieI: IkeCookie): IkeSa | undefined {
    const s = this.stage_;
    if ((s.kind === 'connecting' || s.kind === 'reauthenticating' || s.kind === 'reconnecting') && s.next && sameCookie(s.next.cookieI, cookieI)) return s.next;
    const cur = this.current;
    return cur && sameCookie(cur.sa.cookieI, cookieI) ? cur.sa : undefined;
  }

  /** The first phase 1, or a reconnection's, succeeded. */
  established(now: number, slot: IkeSaSlot): void {
    if (this.ended) return;
    this.stage_ = { kind: 'up', ike: slot };
    this.lastSlot = slot;
    this.lastKeepalive = now;
    this.espWatch.restart(this.lastCounts);
  }

  /** How long the shell may wait for a datagram before the next tick; remembered to detect a freeze. */
  wait(now: number): number {
    const s = this.stage_;
    const ms = s.kind === 'reconnecting' ? Math.max(0, Math.min(Timers.loopTickMs, s.nextAttemptAt - now)) : Timers.loopTickMs;
    this.waitFrom = now;
    this.waitMs = ms;
    return ms;
  }

  /** The kernel reported an address or route change: look at the route at the next tick. */
  kernelRouteEvent(): void {
    this.routeEvent = true;
  }

  /** What to do now, in order. A tick gives at most one long duty (re-authentication, rekey, reconnection). */
  tick(now: number, seen: Observed): Duty[] {
    const out: Duty[] = [];
    const s = this.stage_;
    if (s.kind === 'ended' || s.kind === 'connecting') return out;
    // wait() bounds the wait: a longer gap means this process did not run (suspend, SIGSTOP).
    const frozenMs = this.waitFrom > 0 ? now - this.waitFrom - this.waitMs : 0;
    this.waitFrom = 0;
    if (frozenMs > Timers.freezeMs) {
      const dpd = this.current?.dpd;
      const then = s.kind === 'reconnecting' ? 'reconnecting' : dpd ? 'probing the gateway' : 'DPD is off, so the gateway cannot be probed';
      out.push({ kind: 'notice', text: `the client did not run for ${Math.round(frozenMs / 1000)} s (suspend or stopped); ${then}` });
      dpd?.probeNow();
    }
    if (this.routeEvent || now - this.lastRouteCheck >= Timers.routeCheckMs) {
      out.push({ kind: 'check-route', because: this.routeEvent ? 'kernel' : 'timer' });
      this.routeEvent = false;
      this.lastRouteCheck = now;
    }
    if (s.kind === 'reconnecting') {
      if (now >= s.deadline) this.end({ kind: 'dead-peer' }, out, 'giving up reconnecting');
      else if (now >= s.nextAttemptAt) out.push({ kind: 'reconnect' });
      return out;
    }
    if (s.kind !== 'up') return out;
    const { life, dpd } = s.ike;
    if (life.spent(now)) {
      this.deadPeer(now, out, `the ISAKMP SA ended and could not be replaced: ${this.lastReauthError ?? 'no new one'}`);
      return out;
    }
    if (life.due(now)) {
      out.push({ kind: 'reauthenticate' });
      return out;
    }
    if (life.usable && seen.espDue) {
      out.push({ kind: 'rekey-esp' });
      return out;
    }
    this.watchEsp(now, seen, s.ike, out);
    if (this.ended) return out;
    if (seen.transport !== 'raw' && now - this.lastKeepalive >= Timers.natKeepaliveMs) {
      this.lastKeepalive = now;
      out.push({ kind: 'keepalive' });
    }
    if (dpd && life.usable) {
      const action = dpd.poll(now, seen.lastHeard);
      if (action.kind === 'dead') this.deadPeer(now, out, 'connection terminated by dead peer detection');
      else if (action.kind === 'send') out.push({ kind: 'probe', seq: action.seq, attempt: action.attempt });
    }
    return out;
  }

  /**
   * Black-hole detection (esp-watch.ts) and what its verdict means for the mode in use: in natt mode with raw
   * ESP, fall back to UDP encapsulation (a re-authentication with NAT-T forced); where the user chose raw ESP
   * (none, or --no-natt-fallback), end with the advice; over UDP, say that the port seems blocked.
   */
  private watchEsp(now: number, seen: Observed, ike: IkeSaSlot, out: Duty[]): void {
    if (this.fellBack && seen.esp.received > this.lastCounts.received && seen.transport !== 'raw') {
      this.fellBack = false;
      out.push({ kind: 'notice', text: 'ESP in UDP works here; to use it from the start, put "NAT Traversal Mode force-natt" in the profile (or pass --natt-mode force-natt)' });
    }
    if (seen.esp.received > this.lastCounts.received) this.espWorked.add(seen.transport);
    this.lastCounts = seen.esp;
    // Unanswered inner traffic proves nothing where ESP has come back before (a dead inner host, a slow resolver).
    const canProbe = ike.dpd !== undefined && ike.life.usable && ike.terms.modeConfig.dns.length > 0 && !this.espWorked.has(seen.transport);
    const verdict = this.espWatch.observe(now, seen.esp, canProbe);
    if (verdict.kind === 'probe') {
      ike.dpd?.probeNow();
      out.push({ kind: 'probe-inner' });
      return;
    }
    if (verdict.kind !== 'black-hole') return;
    out.push({ kind: 'trace-note', text: `ESP black hole: ${verdict.silentMs} ms of ESP sent with none received while IKE answered (transport ${seen.transport})` });
    const silent = `no ESP has come back from the gateway for ${Math.round(verdict.silentMs / 1000)} s although IKE answers`;
    if (seen.transport !== 'raw') {
      out.push({ kind: 'notice', text: `${silent}: something on the path drops ESP in UDP (the port may be blocked)` });
      return;
    }
    const cause = `${silent}: something on the path or this machine drops ESP (IP protocol 50)`;
    if (this.forcedNatt) {
      // Forced NAT-T came back as raw ESP: the gateway does not do NAT-T, so there is nothing to switch to.
      out.push({ kind: 'notice', text: `${cause}; the gateway offers no NAT-T, so ESP cannot be moved to UDP: the path must let IP protocol 50 through` });
      return;
    }
    if (this.policy.nattMode === 'natt' && this.policy.nattFallback) {
      this.forcedNatt = true;
      out.push({ kind: 'notice', text: `${cause}; switching to UDP encapsulation` });
      out.push({ kind: 'force-natt' });
      this.fellBack = true;
      ike.life.dueNow(now);
      return;
    }
    this.end({ kind: 'dead-peer' }, out, `${cause}; use UDP encapsulation: --natt-mode force-natt, or "NAT Traversal Mode force-natt" in the profile`);
  }

  /**
   * The route check found a new outer address. With NAT-T the gateway moves the SAs to where an authenticated
   * message comes from: probe at once. Raw ESP SAs do not move: re-authenticate from there.
   */
  moved(now: number, rawEsp: boolean): void {
    const cur = this.current;
    if (!cur) return;
    if (rawEsp) cur.life.dueNow(now);
    else cur.dpd?.probeNow();
  }

  reauthStarted(now: number): void {
    const s = this.stage_;
    if (s.kind === 'up') this.stage_ = { kind: 'reauthenticating', ike: s.ike, since: now, next: undefined };
  }

  /** The ISAKMP SA being made (first, re-authentication, reconnection) has keys (AM2): its messages are ours now. */
  keyed(sa: IkeSa): void {
    const s = this.stage_;
    if (s.kind === 'connecting' || s.kind === 'reauthenticating' || s.kind === 'reconnecting') this.stage_ = { ...s, next: sa };
  }

  /** The new slot carries the tunnel; returns the old one (to delete, when still usable). */
  reauthenticated(slot: IkeSaSlot): IkeSaSlot | undefined {
    const s = this.stage_;
    if (s.kind !== 'reauthenticating') return undefined;
    this.stage_ = { kind: 'up', ike: slot };
    this.lastSlot = slot;
    this.lastReauthError = undefined;
    this.espWatch.restart(this.lastCounts);
    return s.ike;
  }

  /**
   * A re-authentication failed. The old SA keeps the tunnel: another try a little later, or, when the gateway
   * refused the credentials (the same again would fail, and may lock the account), none until it ends.
   */
  reauthFailed(now: number, why: string, refused: boolean): Duty[] {
    const out: Duty[] = [];
    const s = this.stage_;
    if (s.kind !== 'reauthenticating') return out;
    this.stage_ = { kind: 'up', ike: s.ike };
    this.lastReauthError = why;
    out.push({ kind: 'notice', text: `phase 1 re-authentication failed: ${why}` });
    const life = s.ike.life;
    if (refused && life.usable) {
      out.push({ kind: 'notice', text: 'no more re-authentication attempts: the tunnel runs until the ISAKMP SA ends' });
      life.giveUp();
    } else if (!life.failed(now)) {
      this.deadPeer(now, out, `the ISAKMP SA ended and could not be replaced: ${why}`);
    }
    return out;
  }

  /** Our ESP rekey failed; unless the ISAKMP SA went meanwhile (re-authentication comes first) the peer is dead. */
  rekeyFailed(now: number, why: string): Duty[] {
    const out: Duty[] = [];
    const cur = this.current;
    if (this.ended || !cur || !cur.life.usable) return out;
    this.deadPeer(now, out, `ESP rekey failed: ${why}`);
    return out;
  }

  /** The gateway deleted the ISAKMP SA in use but not the ESP SAs: re-authenticate at once. */
  isakmpDeleted(now: number): void {
    this.current?.life.deleted(now);
  }

  /** The gateway ended the session (DELETE of the ISAKMP SA with the ESP SAs). */
  peerEnded(): void {
    if (!this.ended) this.stage_ = { kind: 'ended', reason: { kind: 'peer-delete' } };
  }

  /** A signal: the session ends, whatever it was doing (a dead peer's reconnection included). */
  signal(name: string): void {
    const s = this.stage_;
    if (s.kind !== 'ended' || s.reason.kind === 'dead-peer') this.stage_ = { kind: 'ended', reason: { kind: 'signal', signal: name } };
  }

  /** A reconnection attempt failed; credentials the gateway refused end the session. */
  reconnectFailed(now: number, why: string, refused: boolean): Duty[] {
    const out: Duty[] = [];
    const s = this.stage_;
    if (s.kind !== 'reconnecting') return out;
    out.push({ kind: 'notice', text: `reconnect failed: ${why}` });
    if (refused) this.end({ kind: 'dead-peer' }, out, 'giving up reconnecting');
    else this.stage_ = { ...s, nextAttemptAt: now + s.backoffMs, backoffMs: Math.min(s.backoffMs * 2, Timers.reconnectMaxBackoffMs), next: undefined };
    return out;
  }

  private deadPeer(now: number, out: Duty[], why: string): void {
    out.push({ kind: 'notice', text: why });
    if (this.policy.reconnectTimeoutMs <= 0) {
      this.end({ kind: 'dead-peer' }, out);
      return;
    }
    out.push({ kind: 'notice', text: `trying to reconnect for up to ${Math.round(this.policy.reconnectTimeoutMs / 1000)} s` });
    out.push({ kind: 'attempt-reconnect' });
    this.stage_ = { kind: 'reconnecting', deadline: now + this.policy.reconnectTimeoutMs, nextAttemptAt: now, backoffMs: Timers.reconnectFirstBackoffMs, next: undefined };
  }

  private end(reason: EndReason, out: Duty[], why?: string): void {
    if (why) out.push({ kind: 'notice', text: why });
    this.stage_ = { kind: 'ended', reason };
  }
}
