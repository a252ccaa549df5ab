/** When the ISAKMP SA is re-authenticated, with an injected clock (numbers as Date.now() values). */
import { describe, expect, it } from 'vitest';
import { IkeSaLife } from '../../../src/session/ike-sa-life.js';
import { Timers } from '../../../src/session/timers.js';

const T0 = 1_700_000_000_000;

describe('IkeSaLife', () => {
  it('is due at 85 % of the lifetime and expired at its end', () => {
    const life = new IkeSaLife();
    expect(life.due(T0)).toBe(false);
    life.established(T0, 100);
    expect(life.usable).toBe(true);
    expect(life.due(T0 + 84_999)).toBe(false);
    expect(life.due(T0 + 85_000)).toBe(true);
    expect(life.expired(T0 + 99_999)).toBe(false);
    expect(life.expired(T0 + 100_000)).toBe(true);
    expect(life.describe(T0 + 85_000)).toBe('ISAKMP SA at 85 of 100 s');
  });

  it('without a lifetime it is never due', () => {
    const life = new IkeSaLife();
    life.established(T0, 0);
    expect(life.due(T0 + 10 ** 12)).toBe(false);
    expect(life.expired(T0 + 10 ** 12)).toBe(false);
  });

  it('a clock that jumps (suspend) past the lifetime makes it due and expired at once', () => {
    const life = new IkeSaLife();
    life.established(T0, 3600);
    const afterSleep = T0 + 8 * 3600_000;
    expect(life.due(afterSleep)).toBe(true);
    expect(life.expired(afterSleep)).toBe(true);
    expect(life.failed(afterSleep)).toBe(false);
  });

  it('after a failed attempt the old SA keeps working; the next try comes 30 s later, or halfway to the end', () => {
    const life = new IkeSaLife();
    life.established(T0, 1000);
    const first = T0 + 850_000;
    expect(life.failed(first)).toBe(true);
    expect(life.usable).toBe(true);
    expect(life.due(first + Timers.reauthRetryMs - 1)).toBe(false);
    expect(life.due(first + Timers.reauthRetryMs)).toBe(true);
    const late = T0 + 990_000; // 10 s left: try again in 5 s
    expect(life.failed(late)).toBe(true);
    expect(life.due(late + 4_999)).toBe(false);
    expect(life.due(late + 5_000)).toBe(true);
    expect(life.failed(T0 + 1_000_000)).toBe(false);
  });

  it('deleted by the gateway: due now, not usable, and a new SA makes it established again', () => {
    const life = new IkeSaLife();
    life.established(T0, 1000);
    life.deleted(T0 + 5);
    expect(life.usable).toBe(false);
    expect(life.due(T0 + 5)).toBe(true);
    expect(life.failed(T0 + 6)).toBe(false);
    life.established(T0 + 10, 1000);
    expect(life.usable).toBe(true);
    expect(life.due(T0 + 10)).toBe(false);
  });

  it('after giveUp() (credentials refused) it is never due again, and spent once its lifetime is over', () => {
    const life = new IkeSaLife();
    life.established(T0, 100);
    life.giveUp();
    expect(life.usable).toBe(true);
    expect(life.due(T0 + 99_000)).toBe(false);
    expect(life.failed(T0 + 90_000)).toBe(false);
    expect(life.spent(T0 + 99_999)).toBe(false);
    expect(life.spent(T0 + 100_000)).toBe(true);
    life.established(T0 + 200_000, 100);
    expect(life.spent(T0 + 10 ** 9)).toBe(false);
  });
});
