/**
 * The life of the ISAKMP SA in use, and when to replace it (phase-1 re-authentication, make-before-break):
 * at 85 % of the lifetime the gateway accepted or stated; after a failed attempt again a little later (the old
 * SA keeps working meanwhile); at its end it is gone. The gateway deleting the ISAKMP SA while the ESP SAs
 * live makes the re-authentication due at once. Pure: the session feeds it the time.
 */
import { ESP_SOFT_LIFETIME_SHARE } from '../esp/constants.js';
import { Timers } from './timers.js';


export type IkeSaLifeState =
  | { readonly kind: 'none' }
  | { readonly kind: 'established'; readonly at: number; readonly lifetimeMs: number; readonly dueAt: number; readonly gaveUp?: boolean }
  /** The gateway deleted it: nothing can be sent on it any more; re-authenticate now. */
  | { readonly kind: 'deleted'; readonly at: number };

export class IkeSaLife {
  private state: IkeSaLifeState = { kind: 'none' };

  get current(): IkeSaLifeState {
    return this.state;
  }

  /** A new ISAKMP SA is in use from `now`; `lifetimeSeconds` 0 means none stated (never due). */
  established(now: number, lifetimeSeconds: number): void {
    const lifetimeMs = lifetimeSeconds > 0 ? lifetimeSeconds * 1000 : Infinity;
    this.state = { kind: 'established', at: now, lifetimeMs, dueAt: now + lifetimeMs * ESP_SOFT_LIFETIME_SHARE };
  }

  /** The gateway deleted the SA in use. */
  deleted(now: number): void {
    this.state = { kind: 'deleted', at: now };
  }

  /** Whether messages may still be sent on the SA (DPD, quick mode, DELETE). */
  get usable(): boolean {
    return this.state.kind === 'established';
  }

  /** Time to re-authenticate. */
  due(now: number): boolean {
    const s = this.state;
    return s.kind === 'deleted' || (s.kind === 'established' && now >= s.dueAt);
  }

  /** The SA's lifetime is over (or it was deleted): the tunnel cannot be kept on it. */
  expired(now: number): boolean {
    const s = this.state;
    return s.kind === 'deleted' || (s.kind === 'established' && now >= s.at + s.lifetimeMs);
  }

  /**
   * A re-authentication failed at `now`: try again after Timers.reauthRetryMs, or at the last moment before the end.
   * Returns false when no time is left (the caller ends or reconnects).
   */
  failed(now: number): boolean {
    const s = this.state;
    if (s.kind !== 'established' || s.gaveUp) return false;
    const end = s.at + s.lifetimeMs;
    if (now >= end) return false;
    this.state = { ...s, dueAt: Math.min(now + Timers.reauthRetryMs, now + (end - now) / 2) };
    return true;
  }

  /**
   * No more attempts on this SA (the gateway refused our credentials): it serves until its end, then the
   * session ends or reconnects.
   */
  giveUp(): void {
    const s = this.state;
    if (s.kind === 'established') this.state = { ...s, dueAt: Infinity, gaveUp: true };
  }

  /** giveUp() was called and the SA has reached its end: nothing more to wait for. */
  spent(now: number): boolean {
    const s = this.state;
    return s.kind === 'established' && s.gaveUp === true && now >= s.at + s.lifetimeMs;
  }

  /** Re-authenticate at once (the client moved): the SA stays usable meanwhile. */
  dueNow(now: number): void {
    const s = this.state;
    if (s.kind === 'established' && !s.gaveUp) this.state = { ...s, dueAt: Math.min(s.dueAt, now) };
  }

  /** For the log: "40 of 60 s". */
  describe(now: number): string {
    const s = this.state;
    if (s.kind === 'none') return 'no ISAKMP SA';
    if (s.kind === 'deleted') return 'the gateway deleted the ISAKMP SA';
    return `ISAKMP SA at ${Math.round((now - s.at) / 1000)} of ${Number.isFinite(s.lifetimeMs) ? Math.round(s.lifetimeMs / 1000) : '-'} s`;
  }
}
