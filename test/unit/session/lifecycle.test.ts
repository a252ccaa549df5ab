/**
 * The client session's state machine, driven with a fake clock: one loop turn is wait() then tick(), as the
 * shell does it; the durations are the protocol's (seconds of lifetime), not the test's.
 */
import { describe, expect, it } from 'vitest';
import type { IkeSa } from '../../../src/ike/ike-sa.js';
import type { ModeConfig } from '../../../src/ike/exchanges/mode-config.js';
import { newSlot, SessionLifecycle, type Duty, type IkeSaSlot, type LifecyclePolicy, type Observed } from '../../../src/session/lifecycle.js';
import { Timers } from '../../../src/session/timers.js';
import { copyCookie } from '../../../src/wire/sa-ids.js';

const T0 = 1_700_000_000_000;

/** The one clock of a test. */
class FakeClock {
  t = T0;
  now(): number {
    return this.t;
  }
}

/** Only its cookie matters to the state machine. */
function fakeSa(tag: number): IkeSa {
  return { cookieI: Buffer.alloc(8, tag) } as unknown as IkeSa;
}

const modeConfig = { address: '192.0.2.10', dns: ['203.0.113.53'] } as ModeConfig;
const terms = { modeConfig, natt: 'rfc' as const, encapMode: 3, pfsGroup: 0 };

function slot(policy: LifecyclePolicy, tag: number, at: number, lifetimeSeconds: number, peerDpd = true): IkeSaSlot {
  return newSlot({ sa: fakeSa(tag), at, lifetimeSeconds, terms, policy, peerDpd, dpdSeq: 100 });
}

/** A session up with an ISAKMP SA of `lifetimeSeconds`, a gateway heard from at every turn unless told. */
const POLICY: LifecyclePolicy = { reconnectTimeoutMs: 0, dpdIdleSeconds: 300, nattMode: 'natt', nattFallback: true };

function session(lifetimeSeconds: number, policy: Partial<LifecyclePolicy> = {}) {
  const p: LifecyclePolicy = { ...POLICY, ...policy };
  const clock = new FakeClock();
  const lc = new SessionLifecycle(p);
  const first = slot(p, 1, clock.now(), lifetimeSeconds);
  lc.established(clock.now(), first);
  let heard = clock.now();
  return {
    lc,
    clock,
    first,
    policy: p,
    silent: false,
    espDue: false,
    transport: 'udp' as Observed['transport'],
    /** ESP counters as the data path keeps them, and when IKE was last heard. */
    esp: { sent: 0, received: 0, ikeHeardAt: 0 },
    /** One turn of the loop, `ms` after the last. */
    turn(ms: number = Timers.loopTickMs): Duty[] {
      lc.wait(clock.now());
      clock.t += ms;
      if (!this.silent) heard = clock.t;
      return lc.tick(clock.t, { lastHeard: heard, espDue: this.espDue, transport: this.transport, esp: { ...this.esp } });
    },
    /** Turns a second apart until one gives a duty of `kind` (or `limitS` seconds pass). */
    until(kind: Duty['kind'], limitS: number): { duties: Duty[]; at: number } | undefined {
      for (let i = 0; i < limitS; i++) {
        const duties = this.turn();
        if (duties.some((d) => d.kind === kind)) return { duties, at: clock.t };
      }
      return undefined;
    },
  };
}

/** The gateway deletes the ISAKMP SA and the re-authentication finds nobody: the peer is dead. */
function deadAfterDelete(s: ReturnType<typeof session>): void {
  s.lc.isakmpDeleted(s.clock.now());
  s.turn();
  s.lc.reauthStarted(s.clock.now());
  s.lc.reauthFailed(s.clock.now(), 'no response', false);
}

const kinds = (duties: Duty[]) => duties.map((d) => d.kind);
const notices = (duties: Duty[]) => duties.flatMap((d) => (d.kind === 'notice' ? [d.text] : []));

describe('SessionLifecycle: connecting', () => {
  it('the first SA is ours once keyed (its refusals and DPD are read during the first quick mode); ticks wait for it', () => {
    const lc = new SessionLifecycle(POLICY);
    const sa = fakeSa(4);
    expect(lc.saFor(sa.cookieI)).toBeUndefined();
    lc.keyed(sa);
    expect(lc.stage).toEqual({ kind: 'connecting', next: sa });
    expect(lc.saFor(sa.cookieI)).toBe(sa);
    expect(lc.tick(T0, { lastHeard: T0, espDue: true, transport: 'raw', esp: { sent: 0, received: 0, ikeHeardAt: 0 } })).toEqual([]);
    lc.signal('SIGINT');
    expect(lc.stage).toEqual({ kind: 'ended', reason: { kind: 'signal', signal: 'SIGINT' } });
  });
});

describe('SessionLifecycle: phase-1 re-authentication', () => {
  it('is due at 85 % of the ISAKMP SA lifetime, not before', () => {
    const s = session(100);
    const due = s.until('reauthenticate', 200);
    expect(due?.at).toBe(T0 + 85_000);
    expect(s.lc.stage.kind).toBe('up');
  });

  it('holds two ISAKMP SAs while re-authenticating: the old carries the tunnel, the new one is ours once keyed', () => {
    const s = session(100);
    s.until('reauthenticate', 200);
    s.lc.reauthStarted(s.clock.now());
    const next = fakeSa(2);
    s.lc.keyed(next);
    expect(s.lc.stage.kind).toBe('reauthenticating');
    expect(s.lc.current).toBe(s.first);
    expect(s.lc.saFor(s.first.sa.cookieI)).toBe(s.first.sa);
    expect(s.lc.saFor(next.cookieI)).toBe(next);
    expect(s.lc.saFor(copyCookie(Buffer.alloc(8, 9)))).toBeUndefined();
    const fresh = newSlot({ sa: next, at: s.clock.now(), lifetimeSeconds: 100, terms, policy: s.policy, peerDpd: true, dpdSeq: 7 });
    expect(s.lc.reauthenticated(fresh)).toBe(s.first);
    expect(s.lc.current).toBe(fresh);
    expect(s.lc.last).toBe(fresh);
    expect(s.lc.saFor(s.first.sa.cookieI)).toBeUndefined();
    // The new SA's own lifetime counts from its birth.
    expect(s.until('reauthenticate', 200)?.at).toBe(fresh.life.current.kind === 'established' ? fresh.life.current.at + 85_000 : NaN);
  });

  it('a gateway that ignores the new SA: the old keeps the tunnel (DPD, ESP rekeys), retries follow, the end comes at its lifetime', () => {
    const s = session(200);
    const first = s.until('reauthenticate', 300);
    expect(first?.at).toBe(T0 + 170_000);
    s.lc.reauthStarted(s.clock.now());
    // No answer to the new aggressive mode: the channel gives up after its retransmissions (15 s).
    s.clock.t += 15_000;
    const failed = s.lc.reauthFailed(s.clock.now(), 'no response from target 203.0.113.1:500', false);
    expect(notices(failed)).toEqual(['phase 1 re-authentication failed: no response from target 203.0.113.1:500']);
    expect(s.lc.stage.kind).toBe('up');
    expect(s.lc.current).toBe(s.first);
    // The old SA still works: an ESP rekey on it is allowed, and its DPD runs.
    s.espDue = true;
    expect(kinds(s.turn())).toContain('rekey-esp');
    s.espDue = false;
    // Next try halfway to the end (15 s were left at 185 s: due at 192.5 s, so the turn at 193 s).
    const retry = s.until('reauthenticate', 30);
    expect(retry?.at).toBe(T0 + 193_000);
    s.lc.reauthStarted(s.clock.now());
    s.clock.t = T0 + 200_000;
    const last = s.lc.reauthFailed(s.clock.now(), 'no response from target 203.0.113.1:500', false);
    expect(notices(last)).toContain('the ISAKMP SA ended and could not be replaced: no response from target 203.0.113.1:500');
    expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });
  });

  it('a re-authentication the gateway refuses: no more tries, the old SA works until it expires, then the session ends', () => {
    const s = session(100);
    s.until('reauthenticate', 200);
    s.lc.reauthStarted(s.clock.now());
    const out = s.lc.reauthFailed(s.clock.now(), 'authentication unsuccessful', true);
    expect(notices(out)).toEqual([
      'phase 1 re-authentication failed: authentication unsuccessful',
      'no more re-authentication attempts: the tunnel runs until the ISAKMP SA ends',
    ]);
    const seen: Duty[] = [];
    while (s.clock.t < T0 + 98_000) seen.push(...s.turn());
    expect(kinds(seen)).not.toContain('reauthenticate');
    expect(s.lc.current?.life.usable).toBe(true);
    s.espDue = true;
    expect(kinds(s.turn())).toContain('rekey-esp'); // at 99 s, a second before its end: still usable
    const end = s.turn();
    expect(notices(end)).toEqual(['the ISAKMP SA ended and could not be replaced: authentication unsuccessful']);
    expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });
  });

  it('the gateway deletes the ISAKMP SA but not the ESP SAs: re-authentication at once, no rekey or DPD on the dead SA', () => {
    const s = session(3600);
    s.turn();
    s.lc.isakmpDeleted(s.clock.now());
    s.espDue = true;
    s.silent = true;
    const duties = s.turn();
    expect(kinds(duties)).toContain('reauthenticate');
    expect(kinds(duties)).not.toContain('rekey-esp');
    expect(kinds(duties)).not.toContain('probe');
  });

  it('a move without NAT-T (raw ESP does not follow) makes re-authentication due at once; with NAT-T it probes', () => {
    const raw = session(3600);
    raw.turn();
    raw.lc.moved(raw.clock.now(), true);
    expect(kinds(raw.turn())).toContain('reauthenticate');
    const natt = session(3600);
    natt.turn();
    natt.lc.moved(natt.clock.now(), false);
    const d = natt.turn();
    expect(kinds(d)).toContain('probe');
    expect(kinds(d)).not.toContain('reauthenticate');
  });
});

describe('SessionLifecycle: the clock jumps (suspend, SIGSTOP)', () => {
  it('a turn much longer than its wait is a freeze: probe at once; three unanswered probes 2 s apart start the reconnection', () => {
    const s = session(86_400, { reconnectTimeoutMs: 300_000 });
    for (let i = 0; i < 5; i++) expect(kinds(s.turn())).not.toContain('probe');
    s.silent = true;
    const thawed = s.turn(Timers.loopTickMs + 60_000);
    expect(notices(thawed)).toEqual(['the client did not run for 60 s (suspend or stopped); probing the gateway']);
    expect(thawed.find((d) => d.kind === 'probe')).toEqual({ kind: 'probe', seq: 101, attempt: 1 });
    const thawAt = s.clock.t;
    expect(s.until('probe', 5)?.at).toBe(thawAt + Timers.dpdUrgentRetryMs);
    expect(s.until('probe', 5)?.at).toBe(thawAt + 2 * Timers.dpdUrgentRetryMs);
    const dead = s.until('attempt-reconnect', 5);
    expect(dead?.at).toBe(thawAt + 3 * Timers.dpdUrgentRetryMs);
    expect(notices(dead?.duties ?? [])).toEqual(['connection terminated by dead peer detection', 'trying to reconnect for up to 300 s']);
    expect(s.lc.stage.kind).toBe('reconnecting');
    expect(s.lc.current).toBeUndefined();
    expect(kinds(s.turn(0))).toContain('reconnect');
  });

  it('a turn that took no longer than its wait is not a freeze, however slow the clock', () => {
    const s = session(86_400);
    for (let i = 0; i < 10; i++) expect(notices(s.turn())).toEqual([]);
  });

  it('a jump past the ISAKMP SA lifetime asks for re-authentication at once, and its failure ends it (no time left)', () => {
    const s = session(3600);
    s.turn();
    const after = s.turn(8 * 3600_000);
    expect(kinds(after)).toContain('reauthenticate');
    s.lc.reauthStarted(s.clock.now());
    s.lc.reauthFailed(s.clock.now(), 'no response', false);
    expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });
  });
});

describe('SessionLifecycle: the route to the gateway', () => {
  it('is looked at every 2 s, and at once when the kernel reports a change', () => {
    const s = session(86_400);
    const checks: string[] = [];
    for (let i = 0; i < 6; i++) for (const d of s.turn()) if (d.kind === 'check-route') checks.push(`${s.clock.t - T0}:${d.because}`);
    s.lc.kernelRouteEvent();
    for (const d of s.turn(10)) if (d.kind === 'check-route') checks.push(`${s.clock.t - T0}:${d.because}`);
    expect(checks).toEqual(['1000:timer', '3000:timer', '5000:timer', '6010:kernel']);
  });
});

describe('SessionLifecycle: reconnection and the end', () => {
  it('retries with doubling pauses until --reconnect-timeout, then gives up; a refusal ends it at once', () => {
    const s = session(86_400, { reconnectTimeoutMs: 20_000, dpdIdleSeconds: 0 });
    deadAfterDelete(s);
    expect(s.lc.stage.kind).toBe('reconnecting');
    const attempts: number[] = [];
    for (let i = 0; i < 40 && s.lc.stage.kind === 'reconnecting'; i++) {
      const wait = s.lc.wait(s.clock.now());
      s.clock.t += wait;
      const duties = s.lc.tick(s.clock.t, { lastHeard: 0, espDue: false, transport: 'udp', esp: s.esp });
      if (kinds(duties).includes('reconnect')) {
        attempts.push(s.clock.t - T0);
        s.lc.reconnectFailed(s.clock.now(), 'no response', false);
      }
      if (wait === 0 && !kinds(duties).includes('reconnect')) s.clock.t += 1;
    }
    expect(attempts).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });

    const r = session(86_400, { reconnectTimeoutMs: 20_000 });
    deadAfterDelete(r);
    const out = r.lc.reconnectFailed(r.clock.now(), 'authentication unsuccessful', true);
    expect(notices(out)).toEqual(['reconnect failed: authentication unsuccessful', 'giving up reconnecting']);
    expect(r.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });
  });

  it('a successful reconnection is up again on the new SA', () => {
    const s = session(86_400, { reconnectTimeoutMs: 60_000 });
    deadAfterDelete(s);
    const next = fakeSa(3);
    s.lc.keyed(next);
    expect(s.lc.saFor(next.cookieI)).toBe(next);
    const fresh = newSlot({ sa: next, at: s.clock.now(), lifetimeSeconds: 3600, terms, policy: s.policy, peerDpd: true, dpdSeq: 1 });
    s.lc.established(s.clock.now(), fresh);
    expect(s.lc.stage).toEqual({ kind: 'up', ike: fresh });
  });

  it('a signal ends the session from any stage, over a dead peer but not over the gateway\'s own DELETE', () => {
    const s = session(86_400, { reconnectTimeoutMs: 60_000 });
    deadAfterDelete(s);
    s.lc.signal('SIGTERM');
    expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'signal', signal: 'SIGTERM' } });
    // The goodbye goes on the SA that carried the tunnel last (if the gateway still has it).
    expect(s.lc.last).toBe(s.first);
    expect(s.turn()).toEqual([]);
    const p = session(86_400);
    p.lc.peerEnded();
    p.lc.signal('SIGINT');
    expect(p.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'peer-delete' } });
  });

  it('NAT keepalives every 9 s on UDP only; DPD only when the gateway announced it', () => {
    const s = session(86_400);
    const seen: Duty[] = [];
    for (let i = 0; i < 27; i++) seen.push(...s.turn());
    expect(kinds(seen).filter((k) => k === 'keepalive')).toHaveLength(3);
    const p: LifecyclePolicy = { ...POLICY, dpdIdleSeconds: 10 };
    expect(slot(p, 5, T0, 100, false).dpd).toBeUndefined();
    expect(slot(p, 5, T0, 100, true).dpd).toBeDefined();
    expect(slot({ ...p, dpdIdleSeconds: 0 }, 5, T0, 100, true).dpd).toBeUndefined();
  });
});

describe('SessionLifecycle: ESP that never comes back (black-hole detection)', () => {
  /** Raw ESP sent every turn, none received; the gateway answers IKE (each R-U-THERE) unless told. */
  function blackHole(policy: Partial<LifecyclePolicy>, transport: Observed['transport'] = 'raw', ikeAnswers = true) {
    const s = session(86_400, policy);
    s.transport = transport;
    const seen: Array<{ at: number; duties: Duty[] }> = [];
    for (let i = 0; i < 20 && !s.lc.ended; i++) {
      s.esp.sent += 3;
      const duties = s.turn();
      const probe = duties.find((d) => d.kind === 'probe');
      if (ikeAnswers && probe?.kind === 'probe') {
        // The R-U-THERE-ACK: DPD is answered and IKE was heard.
        s.lc.current?.dpd?.ack(probe.seq);
        s.esp.ikeHeardAt = s.clock.t;
      }
      if (duties.length) seen.push({ at: s.clock.t - T0, duties });
    }
    return { s, seen, all: seen.flatMap((x) => x.duties) };
  }

  it('natt mode, raw ESP: probes after 5 s of silence (R-U-THERE and the inner DNS query), then falls back to UDP with a re-authentication', () => {
    const { s, seen, all } = blackHole({});
    const probe = seen.find((x) => x.duties.some((d) => d.kind === 'probe-inner'));
    expect(probe?.at).toBe(1_000 + Timers.espSilenceMs);
    expect(kinds(probe!.duties)).toContain('probe');
    const verdict = seen.find((x) => x.duties.some((d) => d.kind === 'force-natt'));
    expect(verdict?.at).toBe(probe!.at + Timers.espProbeWaitMs);
    expect(notices(verdict!.duties)).toEqual([
      'no ESP has come back from the gateway for 10 s although IKE answers: something on the path or this machine drops ESP (IP protocol 50); switching to UDP encapsulation',
    ]);
    // The re-authentication comes at the next turn, once.
    const reauths = seen.filter((x) => x.duties.some((d) => d.kind === 'reauthenticate'));
    expect(reauths[0]?.at).toBe(verdict!.at + 1_000);
    expect(kinds(all).filter((k) => k === 'force-natt')).toHaveLength(1);
    // Over UDP, the first ESP that comes back proves it, and the advice for the profile follows once.
    s.lc.reauthStarted(s.clock.now());
    s.lc.reauthenticated(slot(s.policy, 2, s.clock.now(), 86_400));
    s.transport = 'udp';
    s.esp.received += 1;
    expect(notices(s.turn())).toEqual(['ESP in UDP works here; to use it from the start, put "NAT Traversal Mode force-natt" in the profile (or pass --natt-mode force-natt)']);
    s.esp.received += 1;
    expect(notices(s.turn())).toEqual([]);
  });

  it('--natt-mode none (or --no-natt-fallback): the same diagnosis, then the end (exit 1) with the advice', () => {
    for (const policy of [{ nattMode: 'none' as const }, { nattFallback: false }]) {
      const { s, all } = blackHole(policy);
      expect(kinds(all)).not.toContain('force-natt');
      expect(notices(all)).toEqual([
        'no ESP has come back from the gateway for 10 s although IKE answers: something on the path or this machine drops ESP (IP protocol 50); use UDP encapsulation: --natt-mode force-natt, or "NAT Traversal Mode force-natt" in the profile',
      ]);
      expect(s.lc.stage).toEqual({ kind: 'ended', reason: { kind: 'dead-peer' } });
    }
  });

  it('over UDP: says the port seems blocked, once, and carries on', () => {
    const { s, all } = blackHole({}, 'udp');
    expect(notices(all)).toEqual(['no ESP has come back from the gateway for 10 s although IKE answers: something on the path drops ESP in UDP (the port may be blocked)']);
    expect(s.lc.stage.kind).toBe('up');
  });

  it('falls back once: when forced NAT-T still gives raw ESP (a gateway without NAT-T), it says so instead of looping', () => {
    const { s } = blackHole({});
    // The re-authentication happens, but the gateway has no NAT-T: raw ESP again.
    s.lc.reauthStarted(s.clock.now());
    s.lc.reauthenticated(slot(s.policy, 2, s.clock.now(), 86_400));
    const later: Duty[] = [];
    for (let i = 0; i < 60; i++) {
      s.esp.sent += 3;
      const duties = s.turn();
      const probe = duties.find((d) => d.kind === 'probe');
      if (probe?.kind === 'probe') {
        s.lc.current?.dpd?.ack(probe.seq);
        s.esp.ikeHeardAt = s.clock.t;
      }
      later.push(...duties);
    }
    expect(kinds(later)).not.toContain('force-natt');
    expect(kinds(later)).not.toContain('reauthenticate');
    expect(notices(later).filter((t) => t.includes('the gateway offers no NAT-T'))).toHaveLength(1);
    expect(s.lc.stage.kind).toBe('up');
  });

  it('a path that carried ESP before is no black hole: a dead inner host later gives no verdict', () => {
    const s = session(86_400, { nattMode: 'none' });
    s.transport = 'raw';
    s.esp.sent += 1;
    s.esp.received += 1;
    s.turn();
    const later: Duty[] = [];
    for (let i = 0; i < 30; i++) {
      s.esp.sent += 3;
      later.push(...s.turn());
    }
    expect(kinds(later)).not.toContain('probe-inner');
    expect(s.lc.stage.kind).toBe('up');
  });

  it('no verdict when IKE does not answer either (that is for DPD), nor while ESP comes back', () => {
    const silent = blackHole({}, 'raw', false);
    expect(kinds(silent.all)).not.toContain('force-natt');
    expect(notices(silent.all).some((t) => t.includes('no ESP has come back'))).toBe(false);
    const s = session(86_400);
    s.transport = 'raw';
    const all: Duty[] = [];
    for (let i = 0; i < 20; i++) {
      s.esp.sent += 3;
      if (i % 4 === 0) s.esp.received += 1;
      all.push(...s.turn());
    }
    expect(kinds(all)).not.toContain('probe-inner');
  });
});
