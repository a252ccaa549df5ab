/**
 * The quick modes of one ISAKMP SA per family (negotiatePairs): IPv6 beside IPv4 when mode config gave an IPv6
 * address; a rekey of one family leaves the other alone (regression: a rekey of IPv4 alone dropped the IPv6
 * pair); a refused IPv6 quick mode leaves an IPv4 tunnel; new terms without IPv6 drop the IPv6 pair.
 */
import { describe, expect, it } from 'vitest';
import { PeerTimeoutError, ProtocolError, VpncError } from '../../../src/errors.js';
import { EspSa } from '../../../src/esp/sa.js';
import { resolveEspSuite } from '../../../src/esp/transforms.js';
import type { IpFamily } from '../../../src/ike/exchanges/quick-mode-ids.js';
import { Logger, silentLogger } from '../../../src/log.js';
import { EspKeeper } from '../../../src/session/esp-keeper.js';
import { negotiatePairs } from '../../../src/session/esp-pairs.js';
import type { IkeSaSlot } from '../../../src/session/lifecycle.js';
import type { EspPair } from '../../../src/session/quick-mode-driver.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';

const suite = resolveEspSuite(12, 128, 2);
let nextSpi = 0x1000;
function pair(family: IpFamily): EspPair {
  const k = Buffer.alloc(suite.keymatLength, 1);
  return { family, inbound: EspSa.fromKeymat(spiFromNumber(nextSpi++), suite, k), outbound: EspSa.fromKeymat(spiFromNumber(nextSpi++), suite, k), lifetimeSeconds: 0, lifetimeKilobytes: 0, description: '' };
}
const slot = (v6: boolean) => ({ terms: { modeConfig: { address: '192.0.2.10', address6: v6 ? { address: '2001:db8:192::10', prefixLength: 128 } : undefined } } }) as unknown as IkeSaSlot;
const policy = { weakEncryption: false, weakAuthentication: false, noEncryption: false };

function harness(refuse6 = false) {
  const keeper = new EspKeeper(silentLogger, policy);
  const asked: IpFamily[] = [];
  const notices: string[] = [];
  const log = new Logger({ level: 0, sink: (line) => notices.push(line), timestamps: false });
  const n = {
    keeper,
    log,
    quickMode: async (_s: IkeSaSlot, family: IpFamily) => {
      asked.push(family);
      if (family === 6 && refuse6) throw new ProtocolError('gateway refused quick mode: INVALID-ID-INFORMATION');
      return pair(family);
    },
  };
  return { keeper, asked, notices, n };
}

describe('negotiatePairs', () => {
  it('IPv4, then IPv6 when mode config gave an IPv6 address; only IPv4 without', async () => {
    const a = harness();
    await negotiatePairs(a.n, slot(true), false);
    expect(a.asked).toEqual([4, 6]);
    expect(a.keeper.inUse.map((p) => p.family)).toEqual([4, 6]);
    const b = harness();
    await negotiatePairs(b.n, slot(false), false);
    expect(b.asked).toEqual([4]);
  });

  it('a rekey of IPv4 alone keeps the IPv6 pair (regression), and replaces only the IPv4 one', async () => {
    const a = harness();
    await negotiatePairs(a.n, slot(true), false);
    const v6 = a.keeper.pairOf(6);
    const old4 = a.keeper.pairOf(4);
    const { replaced } = await negotiatePairs(a.n, slot(true), true, [4]);
    expect(replaced).toEqual([old4]);
    expect(a.keeper.pairOf(6)).toBe(v6);
  });

  it('a refused IPv6 quick mode leaves the IPv4 tunnel, says so, and takes IPv6 out of the slot\'s mode config; a refused IPv4 one fails', async () => {
    const a = harness(true);
    const s = slot(true);
    await expect(negotiatePairs(a.n, s, false)).resolves.toEqual({ replaced: [], ipv6Dropped: true });
    expect(a.keeper.pairOf(4)).toBeDefined();
    expect(a.keeper.pairOf(6)).toBeUndefined();
    expect(s.terms.modeConfig.address6).toBeUndefined(); // the script is reconfigured without it; no rekey asks again
    expect(a.notices.join('\n')).toMatch(/IPv6 is not carried: the gateway gave the IPv6 address 2001:db8:192::10 but its quick mode failed: gateway refused quick mode: INVALID-ID-INFORMATION$/);
    const b = harness();
    b.n.quickMode = async () => {
      throw new ProtocolError('gateway refused quick mode: NO-PROPOSAL-CHOSEN');
    };
    await expect(negotiatePairs(b.n, slot(true), false)).rejects.toThrow('NO-PROPOSAL-CHOSEN');
  });

  it('an unanswered IPv6 quick mode is dropped the same way; the session ending is not', async () => {
    const a = harness();
    a.n.quickMode = async (_s, family) => {
      if (family === 6) throw new PeerTimeoutError('no answer from the gateway');
      return pair(family);
    };
    await expect(negotiatePairs(a.n, slot(true), false)).resolves.toMatchObject({ ipv6Dropped: true });
    const b = harness();
    b.n.quickMode = async (_s, family) => {
      if (family === 6) throw new VpncError('VPNC_ERR_INTERRUPTED', 'connection ended during quick mode');
      return pair(family);
    };
    await expect(negotiatePairs(b.n, slot(true), false)).rejects.toThrow('connection ended during quick mode');
  });

  it('re-authentication whose mode config no longer gives IPv6 drops the IPv6 pair (returned, to be deleted)', async () => {
    const a = harness();
    await negotiatePairs(a.n, slot(true), false);
    const v6 = a.keeper.pairOf(6);
    const { replaced } = await negotiatePairs(a.n, slot(false), true);
    expect(replaced).toContain(v6);
    expect(a.keeper.pairOf(6)).toBeUndefined();
  });
});
