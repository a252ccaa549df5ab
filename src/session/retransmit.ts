/**
 * When an IKE request is sent again. vpnc sends four times (after 1, 2 and 4 s, giving up at 15 s), which a
 * path losing a third of its datagrams each way defeats: a round trip then succeeds about half the time, and
 * one connection is seven or eight round trips. So: the first resend after `firstMs`, each pause doubled up to
 * `maxIntervalMs`, every pause spread by ±`jitter` (clients started together do not resend in step), and resends
 * until `totalMs` has passed since the first send, when the gateway is given up ("no response from target").
 * With the defaults (Timers.retransmit: 1 s, 4 s, ±20 %, 30 s) that is about nine sends.
 */

export interface RetransmitPolicy {
  /** Pause before the first resend. */
  readonly firstMs: number;
  /** Longest pause between two sends. */
  readonly maxIntervalMs: number;
  /** Each pause is multiplied by a factor drawn from [1 - jitter, 1 + jitter]. */
  readonly jitter: number;
  /** From the first send to giving up (`IKE timeout`). */
  readonly totalMs: number;
}

/**
 * The waits after each send, in order: the request is sent once per entry and the exchange fails when the last
 * wait ends unanswered. They add up to `totalMs` exactly (the last one is cut short). `random` gives [0, 1).
 */
export function retransmitWaits(p: RetransmitPolicy, random: () => number = Math.random): number[] {
  const waits: number[] = [];
  let spent = 0;
  let pause = p.firstMs;
  while (spent < p.totalMs) {
    const spread = Math.round(pause * (1 + p.jitter * (2 * random() - 1)));
    const wait = Math.min(Math.max(1, spread), p.totalMs - spent);
    waits.push(wait);
    spent += wait;
    pause = Math.min(pause * 2, p.maxIntervalMs);
  }
  return waits;
}

/** The policy with another total (`--ike-timeout` seconds). */
export function withTotal(p: RetransmitPolicy, totalSeconds: number): RetransmitPolicy {
  return { ...p, totalMs: totalSeconds * 1000 };
}
