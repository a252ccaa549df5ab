import { describe, expect, it } from 'vitest';
import { EspSa } from '../../../src/esp/sa.js';
import { resolveEspSuite } from '../../../src/esp/transforms.js';
import { silentLogger } from '../../../src/log.js';
import { EspKeeper, RETIRED_GRACE_MS } from '../../../src/session/esp-keeper.js';
import type { EspPair } from '../../../src/session/quick-mode-driver.js';

const suite = resolveEspSuite(12, 128, 2);
function pair(inSpi: number, outSpi: number, lifetimeSeconds = 0): EspPair {
  const keymat = Buffer.alloc(suite.keymatLength, 7);
  return { inbound: EspSa.fromKeymat(inSpi, suite, keymat), outbound: EspSa.fromKeymat(outSpi, suite, keymat), lifetimeSeconds, lifetimeKilobytes: 0, description: '' };
}

/** Records what the keeper does to the data path. */
function fakeDatapath() {
  const inbound = new Set<number>();
  let outbound = 0;
  return {
    inbound,
    outbound: () => outbound,
    install(i: EspSa, o: EspSa) {
      inbound.add(i.spi);
      outbound = o.spi;
    },
    removeInbound(spi: number) {
      inbound.delete(spi);
    },
  };
}

const policy = { weakEncryption: false, weakAuthentication: false, noEncryption: false };

describe('EspKeeper', () => {
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
    k.expire(Date.now() + RETIRED_GRACE_MS - 1000);
    expect(dp.inbound.has(0x1001)).toBe(true);
    k.expire(Date.now() + RETIRED_GRACE_MS + 1000);
    expect([...dp.inbound]).toEqual([0x1002]);
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
    expect(k.deleted([0x2001])).toBe(false);
    expect(dp.inbound.has(0x1001)).toBe(false);
    expect(k.due(Date.now())).toBe(false);
    expect(k.deleted([0x1002])).toBe(true);
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
