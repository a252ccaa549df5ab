/**
 * Notices about messages that anyone on the path can send (a quick mode that fails to decrypt, a malformed
 * informational), at most one line per kind per interval: the first is logged, the rest counted, and the count
 * said once the interval is over ("... 1234 more like it in the last 10 s"). A flood costs a counter, not a
 * line per packet; the kinds are fixed strings, so the table cannot grow with what arrives.
 */
import type { Logger } from '../log.js';
import { Timers, type Clock } from './timers.js';

interface Held {
  since: number;
  more: number;
}

export class LogThrottle {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly intervalMs: number = Timers.noticeThrottleMs,
  ) {}

  /** A notice of `kind` (a fixed string): written unless one of that kind was written within the interval. */
  notice(kind: string, text: () => string): void {
    const now = this.clock.now();
    const h = this.held.get(kind);
    if (h && now - h.since < this.intervalMs) {
      h.more++;
      return;
    }
    if (h) this.sayMore(kind, h, now);
    this.log.notice(text());
    this.held.set(kind, { since: now, more: 0 });
  }

  /** Says the counts of intervals that are over (called from the main loop, so the end of a burst is told). */
  flush(): void {
    const now = this.clock.now();
    for (const [kind, h] of this.held) {
      if (now - h.since < this.intervalMs) continue;
      this.sayMore(kind, h, now);
      this.held.delete(kind);
    }
  }

  private sayMore(kind: string, h: Held, now: number): void {
    if (h.more > 0) this.log.notice(`${kind}: ${h.more} more like it in the last ${Math.round((now - h.since) / 1000)} s`);
  }
}
