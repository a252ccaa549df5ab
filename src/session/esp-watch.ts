/**
 * ESP black-hole detection, pure: "connected, but no packets flowed". We send ESP and nothing comes back; is
 * the tunnel broken, or do the inner hosts just not answer? After Timers.espSilenceMs of sending without any
 * ESP in, the session probes both ways at once: an R-U-THERE over IKE, and through the tunnel a DNS query to
 * the resolver mode config gave (a resolver answers any query). When IKE answers and ESP still brings nothing
 * back within Timers.espProbeWaitMs, ESP is being dropped on the way: the verdict says so, once.
 */
import { Timers } from './timers.js';

export type EspWatchVerdict =
  | { readonly kind: 'none' }
  /** Send the probes now: an R-U-THERE and the inner DNS query. */
  | { readonly kind: 'probe' }
  /** IKE answers, ESP does not: `silentMs` since the first unanswered ESP packet. */
  | { readonly kind: 'black-hole'; readonly silentMs: number };

/** What the session counted (totals since the tunnel came up; they only grow). */
export interface EspCounts {
  readonly sent: number;
  readonly received: number;
  /** When an authenticated IKE message last came from the gateway. */
  readonly ikeHeardAt: number;
}

export class EspWatch {
  private sent = 0;
  private received = 0;
  /** When ESP went out with nothing come back since; undefined while ESP flows (or nothing is sent). */
  private silentSince: number | undefined;
  private probedAt: number | undefined;
  private concluded = false;

  /**
   * `canProbe`: both probes are possible (the gateway does DPD, and mode config named a resolver); without them
   * no verdict is given, since unanswered inner traffic alone proves nothing.
   */
  observe(now: number, counts: EspCounts, canProbe: boolean): EspWatchVerdict {
    if (counts.received > this.received) {
      this.received = counts.received;
      this.silentSince = undefined;
      this.probedAt = undefined;
      this.sent = counts.sent;
      return { kind: 'none' };
    }
    if (counts.sent > this.sent) {
      this.sent = counts.sent;
      this.silentSince ??= now;
    }
    if (this.concluded || this.silentSince === undefined || !canProbe) return { kind: 'none' };
    if (this.probedAt === undefined) {
      if (now - this.silentSince < Timers.espSilenceMs) return { kind: 'none' };
      this.probedAt = now;
      return { kind: 'probe' };
    }
    if (now - this.probedAt < Timers.espProbeWaitMs) return { kind: 'none' };
    if (counts.ikeHeardAt >= this.probedAt) {
      this.concluded = true;
      return { kind: 'black-hole', silentMs: now - this.silentSince };
    }
    // IKE is silent too: the gateway or the whole path is gone, which is DPD's to find. Look again later.
    this.probedAt = undefined;
    this.silentSince = now;
    return { kind: 'none' };
  }

  /** ESP travels another way now (or on new SAs): watch afresh, a new verdict possible. */
  restart(counts: EspCounts): void {
    this.sent = counts.sent;
    this.received = counts.received;
    this.silentSince = undefined;
    this.probedAt = undefined;
    this.concluded = false;
  }
}
