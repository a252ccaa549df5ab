/**
 * The levelled logger (src/log.ts): a message is written only at an enabled level, and when the level is off
 * nothing is built: the message expression is not evaluated (optional chaining skips it) and no closure or
 * writer is allocated per call (the writer is one object, made once).
 */
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/log.js';

describe('Logger', () => {
  it('writes at enabled levels only, through one writer made once', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 2, sink: (l) => lines.push(l) });
    log.at(1)?.('one');
    log.at(2)?.('two');
    log.at(3)?.('three');
    expect(lines).toEqual(['one', 'two']);
    expect(log.at(1)).toBe(log.at(2));
    expect(log.at(3)).toBeUndefined();
  });

  it('does not evaluate the message of a level that is off', () => {
    const log = new Logger({ level: 0, sink: () => {} });
    let built = 0;
    const expensive = () => {
      built++;
      return 'x';
    };
    log.at(1)?.(`dump ${expensive()}`);
    expect(built).toBe(0);
    log.level = 1;
    log.at(1)?.(`dump ${expensive()}`);
    expect(built).toBe(1);
  });

  it('timestamps every line of a multi-line message, notices always written', () => {
    const lines: string[] = [];
    const log = new Logger({ level: 0, sink: (l) => lines.push(l), timestamps: true });
    log.notice('a\nb');
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => /^\d\d:\d\d:\d\d\.\d{3} [ab]$/.test(l))).toBe(true);
  });
});
