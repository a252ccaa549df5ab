/**
 * The session's one clock and every timer of the client, named in one table. The clock is injected (tests
 * drive the session's state machine with a fake one); it reads wall-clock time, so that a suspend, which stops
 * Node's monotonic timers but not the wall clock, shows as a jump between two readings.
 */

/** Where the session reads the time (milliseconds, wall clock). */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** Timers, named. */
export const Timers = {
  /** NAT-T keepalive on an idle UDP path (vpnc: 9 s, under common NAT timeouts). */
  natKeepaliveMs: 9_000,
  /** Longest wait between unanswered R-U-THEREs (shorter for short idle times: a fifth of them). */
  dpdRetryMaxMs: 5_000,
  dpdAttempts: 6,
  /** After a freeze the gateway may have forgotten us: probes this far apart, this many, then it is dead. */
  dpdUrgentRetryMs: 2_000,
  dpdUrgentAttempts: 3,
  /** The main loop looks at its duties at least this often. */
  loopTickMs: 1_000,
  /** A main-loop wait this much longer than a tick means the process was frozen (suspend, SIGSTOP). */
  freezeMs: 4_000,
  /** How often the route to the gateway is looked at for a new outer address (roaming), kernel events aside. */
  routeCheckMs: 2_000,
  /** First and longest pause between reconnection attempts. */
  reconnectFirstBackoffMs: 1_000,
  reconnectMaxBackoffMs: 30_000,
  /** Wait after a failed phase-1 re-authentication before the next try (shorter when the SA's end is nearer). */
  reauthRetryMs: 30_000,
  /** How long an inbound ESP SA stays usable after a rekey replaced it (packets already in flight). */
  retiredEspGraceMs: 30_000,
  /**
   * Request retransmission (retransmit.ts): first resend after 1 s, pauses doubling to 4 s, ±20 % jitter, given
   * up 30 s after the first send (`IKE timeout`). vpnc: 1, 2, 4, 8 s, four sends in all.
   */
  retransmit: { firstMs: 1_000, maxIntervalMs: 4_000, jitter: 0.2, totalMs: 30_000 },
  /** ESP sent and none received for this long: probe IKE and the tunnel (black-hole detection, esp-watch.ts). */
  espSilenceMs: 5_000,
  /** How long the probes have to bring an answer before the verdict. */
  espProbeWaitMs: 5_000,
  /** Notices about unauthenticated input: at most one line per kind this often (log-throttle.ts). */
  noticeThrottleMs: 10_000,
  /** `vpnc --probe`: a shorter schedule per aggressive mode tried (two sends, 3 s), many are tried. */
  probeDelaysMs: [1000, 2000],
} as const;
