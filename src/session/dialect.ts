/**
 * Which vendor's dialect the client speaks after AM2: the `Vendor` setting when the user gave one (vpnc's rules:
 * mode config is asked for with cisco and fortigate, a mode config pushed during XAUTH is taken with netscreen),
 * else what the gateway's vendor IDs say it is. Left at its default, the client takes a mode config pushed during
 * XAUTH from any gateway (WatchGuard names no maker and pushes; vpnc fails there with "xauth SET message
 * rejected"), saying so unless the gateway is a Netscreen, and asks for one when none was pushed. Pure.
 */
import type { Vendor } from '../config/validate.js';
import { GATEWAY_MAKER_NAMES, type GatewayMaker } from '../ike/vendor-ids.js';

export type Dialect = Vendor;

export interface DialectChoice {
  readonly dialect: Dialect;
  /** What becomes of a mode config pushed during XAUTH: taken, taken with a notice, or refused. */
  readonly push: 'take' | 'take-noted' | 'refuse';
  /** Ask for mode config (CFG_REQUEST) when none was pushed. */
  readonly pull: boolean;
  /** The line for debug level 1: the maker seen and the dialect in use. */
  readonly describe: string;
  /** Said at the normal level: the dialect differs from what the setting says, and why. */
  readonly notice: string | undefined;
}

/** The dialect a maker's gateways speak; undefined: none of its own (the Cisco one). */
function dialectOf(maker: GatewayMaker | undefined): Dialect | undefined {
  return maker === 'netscreen' || maker === 'fortigate' ? maker : undefined;
}

export function chooseDialect(vendor: Vendor, vendorGiven: boolean, maker: GatewayMaker | undefined): DialectChoice {
  const seen = maker === undefined ? 'the gateway names no maker in its vendor IDs' : `the gateway's vendor IDs say ${GATEWAY_MAKER_NAMES[maker]}`;
  const detected = dialectOf(maker);
  if (vendorGiven) {
    const differs = detected !== undefined && detected !== vendor;
    return {
      dialect: vendor,
      push: vendor === 'netscreen' ? 'take' : 'refuse',
      pull: vendor !== 'netscreen',
      describe: `${seen}; dialect ${vendor} (the Vendor setting)`,
      notice: differs ? `${seen}, but Vendor ${vendor} is set: speaking the ${vendor} dialect` : undefined,
    };
  }
  // Recognised, not set: AM1 went out as the default's (KEY_ID), and a gateway that does not push is asked.
  const dialect = detected ?? vendor;
  return {
    dialect,
    push: dialect === 'netscreen' ? 'take' : 'take-noted',
    pull: true,
    describe: `${seen}; dialect ${dialect} (${detected ? 'recognised' : 'the default'})`,
    notice: detected !== undefined && detected !== vendor ? `${seen}: speaking the ${dialect} dialect` : undefined,
  };
}
