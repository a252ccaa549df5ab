/** The retransmission schedule: backoff to the cap, jitter within its bounds, waits adding up to the total. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { retransmitWaits, withTotal } from '../../../src/session/retransmit.js';
import { Timers } from '../../../src/session/timers.js';

describe('retransmitWaits', () => {
  it('jitter at its middle: 1, 2, 4, then 4 s pauses, the last cut to end at 30 s', () => {
    expect(retransmitWaits(Timers.retransmit, () => 0.5)).toEqual([1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 3000]);
  });

  it('jitter at its ends: each pause 20 % shorter or longer', () => {
    expect(retransmitWaits(withTotal(Timers.retransmit, 10), () => 0).slice(0, 3)).toEqual([800, 1600, 3200]);
    expect(retransmitWaits(withTotal(Timers.retransmit, 10), () => 0.999999).slice(0, 3)).toEqual([1200, 2400, 4800]);
  });

  it('a total shorter than the first pause: one send, waited for the whole total', () => {
    expect(retransmitWaits(withTotal(Timers.retransmit, 0.5), () => 0.5)).toEqual([500]);
  });

  it('any jitter: the waits add up to the total, each within the bounds of its pause', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 3600 }), fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1 }), (seconds, draws) => {
        let i = 0;
        const waits = retransmitWaits(withTotal(Timers.retransmit, seconds), () => draws[i++ % draws.length]!);
        expect(waits.reduce((a, b) => a + b, 0)).toBe(seconds * 1000);
        let pause: number = Timers.retransmit.firstMs;
        waits.slice(0, -1).forEach((w) => {
          expect(w).toBeGreaterThanOrEqual(Math.floor(pause * 0.8));
          expect(w).toBeLessThanOrEqual(Math.ceil(pause * 1.2));
          pause = Math.min(pause * 2, Timers.retransmit.maxIntervalMs);
        });
      }),
      { seed: 20261201 },
    );
  });
});
