/**
 * What the CLI hands the client (prompts, observers, the moment the tunnel is up), why a connection ends, and
 * the client's timers in one table.
 */
import type { DataPath } from './datapath.js';
import type { SecretPrompt } from './phase1.js';
import type { SessionTrace } from './trace/taps.js';

export interface ClientHooks {
  /** Asks the user for an XAUTH secret. */
  promptSecret: SecretPrompt;
  /** Called once the tunnel carries traffic (the CLI detaches here). */
  onUp?: (info: { tunDev: string; address: string }) => void;
  /** Optional observer of every packet (diagnostic trace file, debug 3). */
  datapathTap?: DataPath['tap'];
  /** Optional observer of dropped packets only. */
  dropTap?: DataPath['tap'];
  /** Optional diagnostic trace: IKE datagrams and the SAs' keys (src/session/trace). */
  trace?: SessionTrace;
  /** Network namespace to open sockets and the device in (tests, gateway tooling); default: ours. */
  netns?: string;
  /** True once the process has detached from the terminal: script output is then captured and logged. */
  detached?: () => boolean;
}

/** Why the connection ended. */
export type EndReason = { kind: 'signal'; signal: string } | { kind: 'peer-delete' } | { kind: 'dead-peer' };

/** Timers, named. */
export const Timers = {
  natKeepaliveMs: 9_000,
  /** Longest wait between unanswered R-U-THEREs (shorter for short idle times: a fifth of them). */
  dpdRetryMaxMs: 5_000,
  dpdAttempts: 6,
  loopTickMs: 1_000,
  /** A main-loop wait this much longer than a tick means the process was frozen (suspend, SIGSTOP). */
  freezeMs: 4_000,
  /** How often the route to the gateway is looked at for a new outer address (roaming). */
  routeCheckMs: 2_000,
  /** First and longest pause between reconnection attempts. */
  reconnectFirstBackoffMs: 1_000,
  reconnectMaxBackoffMs: 30_000,
} as const;
