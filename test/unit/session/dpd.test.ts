import { describe, expect, it } from 'vitest';
import { DeadPeerDetector } from '../../../src/session/dpd.js';

const opts = { idleMs: 10_000, retryMs: 2_000, attempts: 3, initialSeq: 41 };

describe('DeadPeerDetector', () => {
  it('stays quiet while the gateway is heard from', () => {
    const d = new DeadPeerDetector(opts);
    expect(d.poll(9_999, 0)).toEqual({ kind: 'none' });
    expect(d.poll(50_000, 45_000)).toEqual({ kind: 'none' });
  });

  it('probes after the idle time, resends every retry interval, then declares the peer dead', () => {
    const d = new DeadPeerDetector(opts);
    expect(d.poll(10_000, 0)).toEqual({ kind: 'send', seq: 42, attempt: 1 });
    expect(d.poll(11_999, 0)).toEqual({ kind: 'none' });
    expect(d.poll(12_000, 0)).toEqual({ kind: 'send', seq: 42, attempt: 2 });
    expect(d.poll(14_000, 0)).toEqual({ kind: 'send', seq: 42, attempt: 3 });
    expect(d.poll(15_000, 0)).toEqual({ kind: 'none' });
    expect(d.poll(16_000, 0)).toEqual({ kind: 'dead' });
  });

  it('an ACK with the right sequence number ends the probe; a wrong one does not', () => {
    const d = new DeadPeerDetector(opts);
    d.poll(10_000, 0);
    expect(d.ack(41)).toBe(false);
    expect(d.ack(42)).toBe(true);
    expect(d.ack(42)).toBe(false);
    // Heard from at the ACK: the next probe waits for a full idle time and uses the next number.
    expect(d.poll(15_000, 10_100)).toEqual({ kind: 'none' });
    expect(d.poll(20_100, 10_100)).toEqual({ kind: 'send', seq: 43, attempt: 1 });
  });

  it('wraps the sequence number without ever using 0', () => {
    const d = new DeadPeerDetector({ ...opts, initialSeq: 0xffffffff });
    expect(d.poll(10_000, 0)).toEqual({ kind: 'send', seq: 1, attempt: 1 });
  });

  it('after a freeze it probes at once on the short schedule, and an ACK returns it to the normal one', () => {
    const d = new DeadPeerDetector({ ...opts, retryMs: 5_000, attempts: 6 });
    expect(d.poll(1_000, 900)).toEqual({ kind: 'none' });
    d.probeNow();
    expect(d.poll(1_001, 900)).toEqual({ kind: 'send', seq: 42, attempt: 1 });
    expect(d.poll(3_000, 900)).toEqual({ kind: 'none' });
    expect(d.poll(3_001, 900)).toEqual({ kind: 'send', seq: 42, attempt: 2 });
    expect(d.ack(42)).toBe(true);
    expect(d.poll(4_000, 3_500)).toEqual({ kind: 'none' });
    expect(d.poll(13_500, 3_500)).toEqual({ kind: 'send', seq: 43, attempt: 1 });
    expect(d.poll(17_000, 3_500)).toEqual({ kind: 'none' }); // 5 s between resends again
  });

  it('after a freeze, three unanswered probes two seconds apart declare the peer dead', () => {
    const d = new DeadPeerDetector({ ...opts, retryMs: 5_000, attempts: 6 });
    d.probeNow();
    expect(d.poll(0, 0)).toMatchObject({ kind: 'send', attempt: 1 });
    expect(d.poll(2_000, 0)).toMatchObject({ kind: 'send', attempt: 2 });
    expect(d.poll(4_000, 0)).toMatchObject({ kind: 'send', attempt: 3 });
    expect(d.poll(6_000, 0)).toEqual({ kind: 'dead' });
  });
});
