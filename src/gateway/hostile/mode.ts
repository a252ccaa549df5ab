/**
 * The gateway's hostile mode (`Hostile seed N [step]`): it gives every new client a plan drawn from the base
 * seed and the client's UDP port, logs it at debug 1 (with what a replay needs), and owns the timers of the
 * delayed and scheduled messages, all cancelled when the gateway closes.
 */
import type { Logger } from '../../log.js';
import { describePlan, planSession, sessionSeed, type HostileConfig } from './plan.js';
import { HostileSession, type HostilePeerView } from './session.js';

export class HostileMode {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recent: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly config: HostileConfig,
    private readonly log: Logger,
  ) {}

  /** A new client, whose AM1 came from `from`; `deliver` sends to its current address. */
  open(peer: HostilePeerView, from: { address: string; port: number }, deliver: (data: Buffer) => void): HostileSession {
    const seed = sessionSeed(this.config.seed, from.port);
    const plan = planSession(seed, this.config.step);
    this.log.at(1)?.(`hostile: peer ${peer.key} from ${from.address}:${from.port}: session seed 0x${seed.toString(16).padStart(8, '0')} ` +
        `(Hostile seed ${this.config.seed}${this.config.step ? ` ${this.config.step}` : ''}, client port ${from.port}): ${describePlan(plan)}`);
    return new HostileSession(plan, peer, deliver, {
      log: this.log,
      recent: this.recent,
      schedule: (ms, fn) => {
        if (this.closed) return;
        const t = setTimeout(() => {
          this.timers.delete(t);
          if (!this.closed) fn();
        }, ms);
        t.unref();
        this.timers.add(t);
      },
    });
  }

  /** Cancels every pending message. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
