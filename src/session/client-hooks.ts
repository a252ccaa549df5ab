/**
 * What the CLI hands the client (prompts, observers, the moment the tunnel is up), and why a connection ends.
 */
import type { DataPath } from './datapath.js';
import type { SecretPrompt } from './phase1.js';
import type { SessionTrace } from './trace/taps.js';

export interface ClientHooks {
  /** Asks the user for an XAUTH secret. */
  promptSecret: SecretPrompt;
  /** Called once the tunnel carries traffic (the CLI detaches here). */
  onUp?: (info: { tunDev: string; address: string; gateway: string }) => void;
  /** Called when the teardown begins (DELETEs, the script's disconnect). */
  onStopping?: () => void;
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
