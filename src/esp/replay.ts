/**
 * ESP anti-replay window (RFC 4303 section 3.4.3) kept as the ring of bitmap words of RFC 6479: sliding the
 * window forward clears whole words instead of shifting bits. Check and update are separate steps because
 * RFC 4303 updates the window only after the ICV has verified.
 *
 * Bit `seq mod REPLAY_BITMAP_BITS` records sequence number `seq`. The word holding the highest accepted number
 * may be partly "in the future", so the usable window is one word short of the bitmap.
 */

const WORD_BITS = 32;
/** Bitmap words; a power of two so that indexing is a mask. */
const BITMAP_WORDS = 32;
/** Bitmap size in bits (1024). */
export const REPLAY_BITMAP_BITS = BITMAP_WORDS * WORD_BITS;
/** Sequence numbers accepted behind the highest one seen, counting it: 992. */
export const REPLAY_WINDOW_SIZE = REPLAY_BITMAP_BITS - WORD_BITS;

/** A replay window; a new one is empty and ready to use (it accepts any sequence number but 0). */
export class ReplayWindow {
  private readonly bitmap = new Uint32Array(BITMAP_WORDS);
  /** Highest sequence number accepted so far (0: none). */
  private top = 0;

  /** Highest sequence number accepted so far, 0 before the first. */
  get highest(): number {
    return this.top;
  }

  /** True if `seq` (an unsigned 32-bit number) may be accepted: not 0, not seen, not behind the window. */
  check(seq: number): boolean {
    if (seq === 0) return false;
    if (seq > this.top) return true;
    if (this.top - seq >= REPLAY_WINDOW_SIZE) return false;
    const bit = seq & (REPLAY_BITMAP_BITS - 1);
    return (this.bitmap[bit >>> 5] & (1 << (bit & (WORD_BITS - 1)))) === 0;
  }

  /** Record `seq` as received, sliding the window if it is the newest. Call only after `check` and the ICV. */
  update(seq: number): void {
    if (seq === 0) return;
    if (seq > this.top) {
      const topWord = this.top >>> 5;
      const seqWord = seq >>> 5;
      const clear = Math.min(seqWord - topWord, BITMAP_WORDS);
      for (let i = 1; i <= clear; i++) this.bitmap[(topWord + i) & (BITMAP_WORDS - 1)] = 0;
      this.top = seq;
    } else if (this.top - seq >= REPLAY_WINDOW_SIZE) {
      return; // behind the window: its bit now belongs to a newer number
    }
    const bit = seq & (REPLAY_BITMAP_BITS - 1);
    this.bitmap[bit >>> 5] |= 1 << (bit & (WORD_BITS - 1));
  }

  /** Forget everything (a new SA). */
  reset(): void {
    this.bitmap.fill(0);
    this.top = 0;
  }
}
