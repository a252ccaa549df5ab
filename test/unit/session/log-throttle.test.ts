/** One notice per kind per interval: the first written, the rest counted and told when the interval is over. */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../../src/log.js';
import { LogThrottle } from '../../../src/session/log-throttle.js';

function setup() {
  const lines: string[] = [];
  const clock = { t: 1_000_000, now() { return this.t; } };
  const throttle = new LogThrottle(new Logger({ level: 0, sink: (l) => lines.push(l) }), clock, 10_000);
  return { lines, clock, throttle };
}

describe('LogThrottle', () => {
  it('a flood of one kind: one line, then the count once the interval is over', () => {
    const { lines, clock, throttle } = setup();
    for (let i = 0; i < 5000; i++) throttle.notice('quick mode refused', () => `quick mode refused: #${i}`);
    throttle.flush();
    expect(lines).toEqual(['quick mode refused: #0']);
    clock.t += 10_000;
    throttle.flush();
    expect(lines).toEqual(['quick mode refused: #0', 'quick mode refused: 4999 more like it in the last 10 s']);
    throttle.flush();
    expect(lines).toHaveLength(2);
  });

  it('kinds are held apart; a kind seen again after its interval is written again, its count first', () => {
    const { lines, clock, throttle } = setup();
    throttle.notice('a', () => 'a1');
    throttle.notice('b', () => 'b1');
    throttle.notice('a', () => 'a2');
    clock.t += 12_000;
    throttle.notice('a', () => 'a3');
    expect(lines).toEqual(['a1', 'b1', 'a: 1 more like it in the last 12 s', 'a3']);
  });

  it('the text of a held-back notice is never built', () => {
    const { throttle } = setup();
    let built = 0;
    for (let i = 0; i < 100; i++) throttle.notice('k', () => `x${built++}`);
    expect(built).toBe(1);
  });
});
