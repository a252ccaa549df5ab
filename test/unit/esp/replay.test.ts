import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLAY_BITMAP_BITS, REPLAY_WINDOW_SIZE, ReplayWindow } from '../../../src/esp/replay.js';

/** check, then update if accepted: what decapsulate does for a packet whose ICV verified. */
function accept(w: ReplayWindow, seq: number): boolean {
  if (!w.check(seq)) return false;
  w.update(seq);
  return true;
}

describe('ReplayWindow', () => {
  it('is ready to use when new: accepts anything but 0', () => {
    const w = new ReplayWindow();
    expect(w.highest).toBe(0);
    expect(w.check(0)).toBe(false);
    expect(w.check(1)).toBe(true);
    expect(w.check(0xffffffff)).toBe(true);
  });

  it('holds at least 64 packets', () => {
    expect(REPLAY_WINDOW_SIZE).toBeGreaterThanOrEqual(64);
    expect(REPLAY_BITMAP_BITS).toBe(1024);
  });

  it('rejects duplicates, and check alone does not record anything', () => {
    const w = new ReplayWindow();
    expect(w.check(5)).toBe(true);
    expect(w.check(5)).toBe(true); // not yet updated: ICV not verified
    w.update(5);
    expect(w.check(5)).toBe(false);
    expect(w.highest).toBe(5);
  });

  it('rejects sequence number 0 even after traffic, and update(0) is a no-op', () => {
    const w = new ReplayWindow();
    accept(w, 3);
    w.update(0);
    expect(w.check(0)).toBe(false);
    expect(w.highest).toBe(3);
    expect(w.check(1)).toBe(true);
  });

  it('accepts out-of-order packets within the window once each', () => {
    const w = new ReplayWindow();
    expect(accept(w, 100)).toBe(true);
    for (const s of [99, 50, 98, 2, 1, 97]) expect(accept(w, s)).toBe(true);
    for (const s of [99, 50, 98, 2, 1, 97, 100]) expect(accept(w, s)).toBe(false);
    expect(w.highest).toBe(100);
  });

  it('has its edge exactly REPLAY_WINDOW_SIZE behind the highest number', () => {
    const w = new ReplayWindow();
    const top = 5000;
    accept(w, top);
    expect(w.check(top - REPLAY_WINDOW_SIZE + 1)).toBe(true); // oldest still inside
    expect(w.check(top - REPLAY_WINDOW_SIZE)).toBe(false); // too old
    expect(w.check(1)).toBe(false);
    // A too-old number handed to update must not poison the bit it would alias with.
    w.update(top - 10 - REPLAY_BITMAP_BITS); // same bit as top - 10, which was never received
    expect(w.check(top - 10)).toBe(true);
  });

  it('slides: numbers seen before a far jump are too old, numbers in the new window are fresh', () => {
    const w = new ReplayWindow();
    for (let s = 1; s <= 2000; s++) accept(w, s);
    const far = 2000 + 3 * REPLAY_BITMAP_BITS + 17; // jump by more than the window
    expect(accept(w, far)).toBe(true);
    expect(w.highest).toBe(far);
    expect(w.check(2000)).toBe(false); // too old now
    // Everything between was never seen: the cleared bitmap must not remember numbers that alias them.
    for (let s = far - REPLAY_WINDOW_SIZE + 1; s < far; s++) expect(w.check(s)).toBe(true);
  });

  it('slides by less than the window and keeps what is still inside', () => {
    const w = new ReplayWindow();
    for (let s = 1; s <= 1000; s += 2) accept(w, s); // odd numbers
    accept(w, 1300);
    for (let s = 1300 - REPLAY_WINDOW_SIZE + 1; s < 1300; s++) {
      expect(w.check(s)).toBe(s > 1000 || s % 2 === 0);
    }
  });

  it('works at the top of the 32-bit range', () => {
    const w = new ReplayWindow();
    expect(accept(w, 0xfffffff0)).toBe(true);
    expect(accept(w, 0xffffffff)).toBe(true);
    expect(accept(w, 0xfffffff5)).toBe(true);
    expect(w.check(0xffffffff)).toBe(false);
    expect(w.check(0xfffffff0)).toBe(false);
    expect(w.check(0xfffffff1)).toBe(true);
    expect(w.check(0xffffffff - REPLAY_WINDOW_SIZE)).toBe(false);
  });

  it('reset() empties it', () => {
    const w = new ReplayWindow();
    accept(w, 10);
    w.reset();
    expect(w.highest).toBe(0);
    expect(w.check(10)).toBe(true);
  });

  it('agrees with a set-based model on random sequences', () => {
    /** The specification: accept n > 0 not seen before and within the window below the highest accepted. */
    const model = () => {
      const seen = new Set<number>();
      let top = 0;
      return (seq: number): boolean => {
        if (seq === 0 || seen.has(seq) || (seq <= top && top - seq >= REPLAY_WINDOW_SIZE)) return false;
        seen.add(seq);
        top = Math.max(top, seq);
        return true;
      };
    };
    const step = fc.oneof(
      fc.integer({ min: -40, max: 40 }), // near the top: duplicates, reordering
      fc.integer({ min: -1100, max: 1100 }), // around the window edge
      fc.integer({ min: 1, max: 5000 }), // jumps ahead
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 0xfff00000 }), (steps, base) => {
        const w = new ReplayWindow();
        const m = model();
        let cursor = base;
        for (const d of steps) {
          cursor = Math.max(0, Math.min(0xffffffff, cursor + d));
          if (accept(w, cursor) !== m(cursor)) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
