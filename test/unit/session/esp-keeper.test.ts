import { describe, expect, it } from 'vitest';
import { ESP_HEADROOM, ESP_SEQ_REKEY_AT, EspStatus } from '../../../src/esp/constants.js';
import { createPacketSpan, encapsulate } from '../../../src/esp/packet.js';
import { EspSa } from '../../../src/esp/sa.js';
import { resolveEspSuite } from '../../../src/esp/transforms.js';
import { silentLogger } from '../../../src/log.js';
import { EspKeeper } from '../../../src/session/esp-keeper.js';
import { Timers } from '../../../src/session/timers.js';
import type { EspPair } from '../../../src/session/quick-mode-driver.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';

const suite = resolveEspSuite(12, 128, 2);
function pair(inSpi: number, outSpi: number, lifetimeSeconds = 0, lifetimeKilobytes = 0, family: 4 | 6 = 4): EspPair {
  const keymat = Buffer.alloc(suite.keymatLength, 7);
  return { family, inbound: EspSa.fromKeymat(spiFromNumber(inSpi), suite, keymat), outbound: EspSa.fromKeymat(spiFromNumber(outSpi), suite, keymat), lifetimeSeconds, lifetimeKilobytes, description: '' };
}

/** Seals one 1000-byte IPv4 packet with the SA (what the data path does per packet). */
function sealOne(sa: EspSa): void {
  const buf = Buffer.alloc(ESP_HEADROOM + 1000 + 64);
  buf[ESP_HEADROOM] = 0x45;
  expect(encapsulate(sa, buf, ESP_HEADROOM, 1000, createPacketSpan())).toBe(EspStatus.OK);
}

/** Records what the keeper does to the data path. */
function fakeDatapath() {
  const inbound = new Set<number>();
  let outbound = 0;
  let outbound6 = 0;
  return {
    inbound,
    outbound: () => outbound,
    outbound6: () => outbound6,
    install(i: EspSa, o: EspSa, family: 4 | 6 = 4) {
      inbound.add(i.spi);
      if (family === 6) outbound6 = o.spi;
      else outbound = o.spi;
    },
    removeInbound(spi: number) {
      inbound.delete(spi);
    },
    removeOutbound(family: 4 | 6) {
      if (family === 6) outbound6 = 0;
      else outbound = 0;
    },
  };
}

const policy = { weakEncryption: false, weakAuthentication: false, noEncryption: false };

describe('EspKeeper', () => {
  it('keeps one pair per family: IPv6 beside IPv4, each replaced, deleted and due on its own', () => {
    const dp = fakeDatapath();
    let now = 1_000_000;
    const k = new EspKeeper(silentLogger, policy, undefined, { now: () => now });
    k.datapath = dp as never;
    k.install(pair(0x1001, 0x2001, 600), false);
    k.install(pair(0x6001, 0x7001, 3600, 0, 6), false);
    expect(dp.outbound()).toBe(0x2001);
    expect(dp.outbound6()).toBe(0x7001);
    expect(k.current?.inbound.spi).toBe(0x1001);
    expect(k.pairOf(6)?.inbound.spi).toBe(0x6001);
    now += 600 * 850; // 85 % of the IPv4 lifetime: only IPv4 is due
    expect(k.dueFamilies(now)).toEqual([4]);
    const old6 = k.install(pair(0x6002, 0x7002, 3600, 0, 6), true);
    expect(old6?.inbound.spi).toBe(0x6001);
    expect(k.current?.inbound.spi).toBe(0x1001); // the IPv4 pair is untouched
    expect([...dp.inbound].sort((a, b) => a - b)).toEqual([0x1001, 0x6001, 0x6002]);
    expect(k.deleted([spiFromNumber(0x7002)])).toBe(true); // the gateway deletes the IPv6 pair in use
    expect(k.dueReason(now, 6)).toBe('the gateway deleted the SA in use');
    expect(k.currentDeleted).toBe(false); // the IPv4 pair still stands
    expect(k.installed.filter((e) => e.inUse).map((e) => e.pair.family).sort()).toEqual([4, 6]);
    k.reset();
    expect(dp.inbound.size).toBe(0);
    expect(dp.outbound()).toBe(0);
    expect(dp.outbound6()).toBe(0);
    expect(k.pairOf(6)).toBeUndefined();
  });

  it('installs pairs, keeps the replaced inbound SA for the grace period, then drops it', () => {
    const dp = fakeDatapath();
    const installed: number[] = [];
    const k = new EspKeeper(silentLogger, policy, (p) => installed.push(p.inbound.spi));
    k.datapath = dp as never;
    k.install(pair(0x1001, 0x2001), false);
    const old = k.install(pair(0x1002, 0x2002), true);
    expect(old?.inbound.spi).toBe(0x1001);
    expect(installed).toEqual([0x1001, 0x1002]);
    expect([...dp.inbound]).toEqual([0x1001, 0x1002]);
    expect(dp.outbound()).toBe(0x2002);
    k.expire(Date.now() + Timers.retiredEspGraceMs - 1000);
    expect(dp.inbound.has(0x1001)).toBe(true);
    k.expire(Date.now() + Timers.retiredEspGraceMs + 1000);
    expect([...dp.inbound]).toEqual([0x1002]);
  });

  it('is due at 85 % of a kilobyte lifetime in either direction, counting what the SA sealed', () => {
    const k = new EspKeeper(silentLogger, policy);
    const p = pair(1000, 2000, 3600, 10); // 10 kB: due from 8704 bytes on
    k.install(p, false);
    expect(p.outbound.softByteLimit).toBe(8704);
    for (let i = 0; i < 8; i++) sealOne(p.outbound);
    expect(p.outbound.counters.bytes).toBe(8000);
    expect(k.due(Date.now())).toBe(false);
    sealOne(p.outbound);
    expect(k.due(Date.now())).toBe(true);
    expect(k.dueReason(Date.now())).toBe('8 of 10 kB used');
    const q = pair(1001, 2001, 3600, 10);
    k.install(q, true);
    expect(k.due(Date.now())).toBe(false);
    q.inbound.counters.bytes = 9000; // opened traffic counts the same way (decapsulate adds to it)
    expect(k.due(Date.now())).toBe(true);
    k.install(pair(1002, 2002, 3600, 0), true);
    expect(k.current!.outbound.softByteLimit).toBe(Infinity);
  });

  it('is due before the outbound sequence number can cycle (RFC 4303 3.3.3), with no lifetime at all', () => {
    const k = new EspKeeper(silentLogger, policy);
    const p = pair(1000, 2000);
    k.install(p, false);
    p.outbound.nextSeq = ESP_SEQ_REKEY_AT - 1;
    expect(k.due(Date.now())).toBe(false);
    sealOne(p.outbound);
    expect(p.outbound.nextSeq).toBe(ESP_SEQ_REKEY_AT);
    expect(k.due(Date.now())).toBe(true);
    expect(k.dueReason(Date.now())).toBe(`sequence number ${ESP_SEQ_REKEY_AT} near its end`);
  });

  it('is due at 85 % of a stated lifetime, never without one', () => {
    const k = new EspKeeper(silentLogger, policy);
    expect(k.due(Date.now())).toBe(false);
    k.install(pair(1000, 2000, 100), false);
    expect(k.due(Date.now() + 84_000)).toBe(false);
    expect(k.due(Date.now() + 86_000)).toBe(true);
    k.install(pair(1001, 2001, 0), false);
    expect(k.due(Date.now() + 10 ** 9)).toBe(false);
  });

  it('a DELETE of the pair in use makes a quick mode due at once; a DELETE of a replaced pair drops it', () => {
    const dp = fakeDatapath();
    const k = new EspKeeper(silentLogger, policy);
    k.datapath = dp as never;
    k.install(pair(0x1001, 0x2001), false);
    k.install(pair(0x1002, 0x2002), true);
    expect(k.deleted([spiFromNumber(0x2001)])).toBe(false);
    expect(dp.inbound.has(0x1001)).toBe(false);
    expect(k.due(Date.now())).toBe(false);
    expect(k.deleted([spiFromNumber(0x1002)])).toBe(true);
    expect(k.due(Date.now())).toBe(true);
    k.install(pair(0x1003, 0x2003), true);
    expect(k.due(Date.now())).toBe(false);
  });

  it('reset forgets every SA', () => {
    const dp = fakeDatapath();
    const k = new EspKeeper(silentLogger, policy);
    k.datapath = dp as never;
    k.install(pair(0x1001, 0x2001), false);
    k.install(pair(0x1002, 0x2002), true);
    k.reset();
    expect(k.current).toBeUndefined();
    expect(dp.inbound.size).toBe(0);
  });
});
