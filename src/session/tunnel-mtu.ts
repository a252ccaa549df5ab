/**
 * The tunnel device's MTU from what was negotiated: the path MTU towards the gateway (the kernel's, which
 * includes what "fragmentation needed" taught it) minus the real overhead of the transform and encapsulation
 * in use (src/esp/overhead.ts). Set after the first quick mode and whenever ESP travels another way; lowered
 * when the path shrinks (looked at with every route check), so TCP recovers. Not when the user set --ifmtu.
 */
import { Encapsulation, innerMtu, MIN_INNER_MTU } from '../esp/overhead.js';
import type { EspSuite } from '../esp/transforms.js';
import { pathMtu, setLinkMtu } from '../io/index.js';
import type { SessionContext } from './negotiate.js';
import type { EspTransportKind } from './trace/taps.js';

const ENCAPSULATION_OF: Record<EspTransportKind, Encapsulation> = { raw: 'raw', udp: 'udp', 'cisco-udp': 'udp', draft: 'draft' };

export class TunnelMtu {
  /** The MTU we set last (undefined: none yet, or the script may have set another since). */
  private current: number | undefined;
  private lastPath = 0;

  constructor(
    private readonly ctx: SessionContext,
    private readonly device: string,
  ) {}

  /** How often we set the MTU. */
  changes = 0;

  /** The MTU we set last, if any. */
  get value(): number | undefined {
    return this.current;
  }

  /** The script configured the device again (connect): whatever we set is gone. */
  forget(): void {
    this.current = undefined;
  }

  /**
   * Sets the MTU for the path and the ESP in use. `onlyLower`: a periodic look, which may only lower it (a
   * larger path MTU comes back by itself when the kernel forgets what it learned; raising early would lose
   * packets again).
   */
  update(suite: EspSuite, transport: EspTransportKind, onlyLower: boolean): void {
    const { config, log, endpoints, hooks } = this.ctx;
    if (config.ifMtu > 0) return;
    let path: number;
    try {
      path = pathMtu(endpoints.gateway, hooks.netns);
    } catch (err) {
      log.at(1)?.(`tunnel MTU left as it is: ${(err as Error).message}`);
      return;
    }
    const mtu = Math.min(innerMtu(path, suite, ENCAPSULATION_OF[transport]), 65535);
    if (mtu < MIN_INNER_MTU) {
      if (path !== this.lastPath) log.notice(`the path to the gateway carries at most ${path} bytes: too small for ESP with ${suite.name} over ${transport}`);
      this.lastPath = path;
      return;
    }
    const before = this.current;
    if (mtu === before || (onlyLower && before !== undefined && mtu > before)) return;
    try {
      setLinkMtu(this.device, mtu, hooks.netns);
    } catch (err) {
      log.notice((err as Error).message);
      return;
    }
    this.current = mtu;
    this.lastPath = path;
    this.changes++;
    if (before !== undefined && mtu < before) log.notice(`the path to the gateway now carries at most ${path} bytes: tunnel MTU lowered from ${before} to ${mtu}`);
    else log.at(1)?.(`tunnel MTU ${mtu}: path MTU ${path} minus ESP overhead (${suite.name} over ${transport})`);
  }
}
