/**
 * The quick modes of one ISAKMP SA: IPv4 always, then IPv6 when mode config gave an IPv6 address (one quick
 * mode carries one pair of IDs, RFC 2409 5.5). Each pair is installed in the keeper as it comes. The IPv6 side
 * is an addition: a gateway that refuses it, or does not answer it, leaves an IPv4 tunnel, said once, not a
 * failed connection; the slot's mode config then carries no IPv6 address, so the script is told to drop IPv6
 * (the caller reconfigures it) and no later rekey asks again (a re-authentication brings a new answer).
 */
import { VpncError } from '../errors.js';
import type { IpFamily } from '../ike/exchanges/quick-mode-ids.js';
import type { Logger } from '../log.js';
import type { EspKeeper } from './esp-keeper.js';
import type { IkeSaSlot } from './lifecycle.js';
import { familiesOf } from './negotiate.js';
import type { EspPair } from './quick-mode-driver.js';

export interface EspNegotiation {
  readonly keeper: EspKeeper;
  readonly log: Logger;
  /** Runs one quick mode on `slot` for `family` (SessionMessages.quickMode). */
  readonly quickMode: (slot: IkeSaSlot, family: IpFamily) => Promise<EspPair>;
}

/** What negotiatePairs did besides installing. */
export interface PairsOutcome {
  /** Pairs replaced or dropped, to be deleted at the gateway. */
  readonly replaced: EspPair[];
  /** The IPv6 quick mode failed: the slot's mode config no longer names an IPv6 address (reconfigure the script). */
  readonly ipv6Dropped: boolean;
}

/**
 * Negotiates and installs pairs on `slot`: those of `only` (a rekey of the families that are due), or else every
 * family its mode config gives (setup, re-authentication, reconnection: an IPv6 pair the new terms no longer
 * carry is dropped).
 */
export async function negotiatePairs(n: EspNegotiation, slot: IkeSaSlot, retireOld: boolean, only?: readonly IpFamily[]): Promise<PairsOutcome> {
  const families = only ?? familiesOf(slot.terms);
  const replaced: EspPair[] = [];
  let ipv6Dropped = false;
  const drop6 = () => {
    const dropped = n.keeper.drop(6);
    if (dropped) replaced.push(dropped);
  };
  for (const family of families) {
    let pair: EspPair;
    try {
      pair = await n.quickMode(slot, family);
    } catch (err) {
      // The session ending or the ISAKMP SA going away ends every quick mode, IPv6's too.
      if (family === 4 || (err instanceof VpncError && err.code === 'VPNC_ERR_INTERRUPTED')) throw err;
      const mc = slot.terms.modeConfig;
      n.log.notice(`IPv6 is not carried: the gateway gave the IPv6 address ${mc.address6?.address} but its quick mode failed: ${(err as Error).message}`);
      mc.address6 = undefined;
      ipv6Dropped = true;
      drop6();
      continue;
    }
    const old = n.keeper.install(pair, retireOld);
    if (old && retireOld) replaced.push(old);
  }
  if (only === undefined && !families.includes(6)) drop6();
  return { replaced, ipv6Dropped };
}
