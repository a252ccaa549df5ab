/** Black-hole detection alone (EspWatch), and the inner DNS probe it sends, with a fake clock. */
import { describe, expect, it } from 'vitest';
import { decodeIpv4Header, IpProtocol, ipv4Checksum } from '../../../src/io/index.js';
import { formatIpv4 } from '../../../src/wire/ipv4-text.js';
import { EspWatch } from '../../../src/session/esp-watch.js';
import { buildDnsProbe } from '../../../src/session/inner-probe.js';
import { Timers } from '../../../src/session/timers.js';

const T0 = 1_700_000_000_000;

describe('EspWatch', () => {
  it('silence while sending: probe after espSilenceMs, verdict espProbeWaitMs later if IKE answered meanwhile', () => {
    const w = new EspWatch();
    expect(w.observe(T0, { sent: 1, received: 0, ikeHeardAt: 0 }, true).kind).toBe('none');
    expect(w.observe(T0 + Timers.espSilenceMs - 1, { sent: 5, received: 0, ikeHeardAt: 0 }, true).kind).toBe('none');
    const probeAt = T0 + Timers.espSilenceMs;
    expect(w.observe(probeAt, { sent: 6, received: 0, ikeHeardAt: 0 }, true).kind).toBe('probe');
    expect(w.observe(probeAt + Timers.espProbeWaitMs - 1, { sent: 7, received: 0, ikeHeardAt: probeAt + 10 }, true).kind).toBe('none');
    expect(w.observe(probeAt + Timers.espProbeWaitMs, { sent: 8, received: 0, ikeHeardAt: probeAt + 10 }, true)).toEqual({
      kind: 'black-hole',
      silentMs: Timers.espSilenceMs + Timers.espProbeWaitMs,
    });
    // Said once; restart() (ESP travels another way now) makes a new verdict possible.
    expect(w.observe(probeAt + 60_000, { sent: 20, received: 0, ikeHeardAt: probeAt + 10 }, true).kind).toBe('none');
    w.restart({ sent: 20, received: 0, ikeHeardAt: 0 });
    expect(w.observe(probeAt + 61_000, { sent: 20, received: 0, ikeHeardAt: 0 }, true).kind).toBe('none');
    expect(w.observe(probeAt + 62_000, { sent: 21, received: 0, ikeHeardAt: 0 }, true).kind).toBe('none');
    expect(w.observe(probeAt + 62_000 + Timers.espSilenceMs, { sent: 22, received: 0, ikeHeardAt: 0 }, true).kind).toBe('probe');
  });

  it('an ESP packet coming back ends the suspicion, even after the probe', () => {
    const w = new EspWatch();
    w.observe(T0, { sent: 1, received: 0, ikeHeardAt: 0 }, true);
    expect(w.observe(T0 + Timers.espSilenceMs, { sent: 2, received: 0, ikeHeardAt: 0 }, true).kind).toBe('probe');
    expect(w.observe(T0 + Timers.espSilenceMs + 100, { sent: 2, received: 1, ikeHeardAt: T0 + Timers.espSilenceMs + 50 }, true).kind).toBe('none');
    expect(w.observe(T0 + 60_000, { sent: 2, received: 1, ikeHeardAt: T0 + Timers.espSilenceMs + 50 }, true).kind).toBe('none');
  });

  it('IKE silent too: no verdict (DPD decides), and the watch starts over', () => {
    const w = new EspWatch();
    w.observe(T0, { sent: 1, received: 0, ikeHeardAt: 0 }, true);
    const probeAt = T0 + Timers.espSilenceMs;
    expect(w.observe(probeAt, { sent: 2, received: 0, ikeHeardAt: 0 }, true).kind).toBe('probe');
    expect(w.observe(probeAt + Timers.espProbeWaitMs, { sent: 3, received: 0, ikeHeardAt: probeAt - 1 }, true).kind).toBe('none');
    const again = probeAt + Timers.espProbeWaitMs;
    expect(w.observe(again + Timers.espSilenceMs, { sent: 4, received: 0, ikeHeardAt: 0 }, true).kind).toBe('probe');
  });

  it('without a way to probe (no DPD, no resolver) it never concludes; nothing sent is no silence', () => {
    const w = new EspWatch();
    for (let t = 0; t < 60_000; t += 1000) expect(w.observe(T0 + t, { sent: t, received: 0, ikeHeardAt: T0 + t }, false).kind).toBe('none');
    const idle = new EspWatch();
    for (let t = 0; t < 60_000; t += 1000) expect(idle.observe(T0 + t, { sent: 0, received: 0, ikeHeardAt: T0 + t }, true).kind).toBe('none');
  });
});

describe('buildDnsProbe', () => {
  it('is an IPv4/UDP DNS query for the root NS records from the tunnel address to the resolver', () => {
    const p = buildDnsProbe('192.0.2.10', '203.0.113.53', 0x1234, 40000);
    const h = decodeIpv4Header(p, 0, p.length);
    expect(h.protocol).toBe(IpProtocol.UDP);
    expect(formatIpv4(h.source)).toBe('192.0.2.10');
    expect(formatIpv4(h.destination)).toBe('203.0.113.53');
    expect(h.totalLength).toBe(p.length);
    expect(ipv4Checksum(p, 0, 20)).toBe(0);
    expect(p.readUInt16BE(20)).toBe(40000);
    expect(p.readUInt16BE(22)).toBe(53);
    expect(p.readUInt16BE(24)).toBe(p.length - 20);
    expect(p.subarray(28).toString('hex')).toBe('123401000001000000000000' + '00' + '0002' + '0001');
  });

  it('refuses an address that is not a dotted quad', () => {
    expect(() => buildDnsProbe('192.0.2', '203.0.113.53', 1, 1)).toThrow(new RangeError('not an IPv4 address: "192.0.2" (3 numbers; a dotted quad has 4)'));
  });
});
