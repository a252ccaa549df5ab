/**
 * The network's reports (ICMP, via IP_RECVERR) about what we send, told to the user: each distinct report
 * once a minute at most, so that a flood of "port unreachable" costs one line, not one per packet.
 */
import { describeNetworkError, type NetworkError } from '../io/index.js';
import type { Logger } from '../log.js';
import type { Clock } from './timers.js';

const REPEAT_MS = 60_000;

/** A handler for `onNetworkError` that logs `the network says about WHAT: ...`. */
export function networkNotices(log: Logger, clock: Clock, what: string): (e: NetworkError) => void {
  const said = new Map<string, number>();
  return (e) => {
    const text = describeNetworkError(e);
    const now = clock.now();
    const last = said.get(text);
    if (last !== undefined && now - last < REPEAT_MS) return;
    said.set(text, now);
    log.notice(`the network says about ${what}: ${text}`);
  };
}
