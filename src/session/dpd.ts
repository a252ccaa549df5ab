/**
 * Dead peer detection, our side (RFC 3706): after `idleMs` without hearing from the gateway (IKE or ESP),
 * send R-U-THERE; resend while unanswered; after `attempts` unanswered sends the peer is dead. Pure state:
 * the session feeds it the time and what it heard, and sends what it is told to.
 */
import { Timers } from './timers.js';

export interface DpdOptions {
  idleMs: number;
  /** Wait between unanswered R-U-THEREs. */
  retryMs: number;
  attempts: number;
  /** First sequence number (random in use, 31 bits as vpnc does). */
  initialSeq: number;
}

export type DpdAction = { kind: 'none' } | { kind: 'send'; seq: number; attempt: number } | { kind: 'dead' };


export class DeadPeerDetector {
  private seq: number;
  private outstanding = 0;
  private lastSent = 0;
  private attempts = 0;
  /** Set by probeNow(): probe without waiting for the idle time, with the short schedule, until answered. */
  private urgent = false;

  constructor(private readonly o: DpdOptions) {
    this.seq = o.initialSeq >>> 0;
  }

  /** What to do now, given when the gateway was last heard from. */
  poll(now: number, lastHeard: number): DpdAction {
    const retryMs = this.urgent ? Timers.dpdUrgentRetryMs : this.o.retryMs;
    const attempts = this.urgent ? Timers.dpdUrgentAttempts : this.o.attempts;
    if (this.outstanding === 0) {
      if (!this.urgent && now - lastHeard < this.o.idleMs) return { kind: 'none' };
      this.seq = (this.seq + 1) >>> 0 || 1;
      this.outstanding = this.seq;
      this.attempts = 0;
    } else if (now - this.lastSent < retryMs) {
      return { kind: 'none' };
    }
    if (this.attempts >= attempts) return { kind: 'dead' };
    this.attempts++;
    this.lastSent = now;
    return { kind: 'send', seq: this.outstanding, attempt: this.attempts };
  }

  /** A probe is outstanding: `attempts` R-U-THEREs of it sent so far (status view). */
  get probing(): { readonly outstanding: boolean; readonly attempts: number } {
    return { outstanding: this.outstanding !== 0, attempts: this.outstanding !== 0 ? this.attempts : 0 };
  }

  /** An R-U-THERE-ACK arrived; true when it answers the outstanding probe. */
  ack(seq: number): boolean {
    if (this.outstanding === 0 || seq !== this.outstanding) return false;
    this.outstanding = 0;
    this.urgent = false;
    return true;
  }

  /**
   * The process did not run for a while (the machine slept, or it was stopped): whatever was heard before
   * says nothing now. The next poll() probes at once; Timers.dpdUrgentAttempts unanswered probes Timers.dpdUrgentRetryMs apart
   * declare the peer dead. A probe already outstanding starts over on this schedule.
   */
  probeNow(): void {
    this.urgent = true;
    this.outstanding = 0;
  }
}
