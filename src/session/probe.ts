/**
 * `vpnc --probe`: asks the gateway what it accepts, without a tunnel and without user authentication. For each
 * DH group, one aggressive mode with our usual proposals: whether it is answered, which transform the gateway
 * chose and the lifetime it stated, or how it refused. An answer whose HASH_R verifies proves the group
 * secret; then AM3 completes phase 1 (the group's authentication only: no XAUTH, no mode config) and a DELETE
 * removes the ISAKMP SA at once, so nothing is left on the gateway. INITIAL-CONTACT is never sent (it would
 * end the user's other sessions there). NAT-T, NAT seen, DPD, XAUTH and Cisco Unity come from the answers.
 */
import type { VpncConfig } from '../config/validate.js';
import { AuthError, VpncError } from '../errors.js';
import type { NatStatus, PeerFeatures } from '../ike/exchanges/aggressive-mode.js';
import { buildDeleteIsakmp } from '../ike/exchanges/informational.js';
import { randomMessageId } from '../ike/ike-sa.js';
import type { Logger } from '../log.js';
import { IkeChannel } from './ike-channel.js';
import { aggressiveModeFor } from './phase1.js';
import { localAddressFor, resolveGateway } from './route.js';
import { Timers } from './timers.js';

/** The groups tried, in the order vpnc's `IKE DH Group` names them (dh1 only with weak encryption allowed). */
export const PROBE_GROUPS = [2, 5, 14, 15, 16, 17, 18, 19, 20, 21] as const;

export type ProbeAnswer =
  | { readonly kind: 'chose'; readonly transform: string; readonly lifetimeSeconds: number }
  /** The gateway answered with a refusal (a notify), or with something we cannot accept. */
  | { readonly kind: 'refused'; readonly why: string }
  /** HASH_R did not verify: the group secret (or ID) is not what the gateway has. */
  | { readonly kind: 'wrong-secret'; readonly why: string }
  | { readonly kind: 'silent' };

export interface ProbeRow {
  readonly dhGroup: number;
  readonly answer: ProbeAnswer;
}

export interface ProbeReport {
  readonly gateway: string;
  readonly localAddress: string;
  readonly rows: readonly ProbeRow[];
  /** What the gateway announced in its first answer (undefined when none came). */
  readonly peer: PeerFeatures | undefined;
  readonly nat: NatStatus | undefined;
}

export async function probeGateway(config: VpncConfig, log: Logger, netns?: string): Promise<ProbeReport> {
  const gateway = await resolveGateway(config.gateway);
  const localAddress = await localAddressFor(gateway);
  const groups = [...(config.weakEncryption ? [1] : []), ...PROBE_GROUPS];
  const rows: ProbeRow[] = [];
  let peer: PeerFeatures | undefined;
  let nat: NatStatus | undefined;
  for (const dhGroup of groups) {
    const channel = openProbeChannel(config, gateway, log, netns);
    try {
      const am = aggressiveModeFor(config, log, { dhGroup, initialContact: false });
      let answer: ProbeAnswer;
      try {
        const am2 = await channel.exchange(am.start(), (d) => am.accepts(d), { waits: Timers.probeDelaysMs });
        const result = am.receive(am2, { address: localAddress, port: channel.localPort }, { address: gateway, port: 500 });
        peer ??= result.peer;
        nat ??= result.nat;
        if (result.nat.natdType !== 0 && (result.nat.localBehindNat || result.nat.remoteBehindNat) && result.peer.nattVersion >= 2) channel.floatTo4500();
        channel.send(result.am3);
        channel.send(buildDeleteIsakmp(result.sa, randomMessageId()));
        answer = { kind: 'chose', transform: result.sa.suite.name, lifetimeSeconds: result.ikeLifetimeSeconds };
      } catch (err) {
        if (err instanceof AuthError) answer = { kind: 'wrong-secret', why: err.message };
        else if (err instanceof VpncError && err.code === 'VPNC_ERR_PEER_TIMEOUT') answer = { kind: 'silent' };
        else if (err instanceof VpncError) answer = { kind: 'refused', why: err.message };
        else throw err;
      }
      log.at(1)?.(`dh${dhGroup}: ${answer.kind}`);
      rows.push({ dhGroup, answer });
    } finally {
      channel.close();
    }
  }
  return { gateway, localAddress, rows, peer, nat };
}

/**
 * A socket of its own for each try, on the configured local port (500, as a client would ask from), or on a
 * random one when that is taken (a tunnel is running): the gateway may then see a port change as a NAT.
 */
function openProbeChannel(config: VpncConfig, gateway: string, log: Logger, netns: string | undefined): IkeChannel {
  const open = (localPort: number) => new IkeChannel({ localAddress: '0.0.0.0', localPort, gateway, gatewayPort: 500, log, ...(netns ? { netns } : {}) });
  try {
    return open(config.localPort);
  } catch (err) {
    if (!(err instanceof VpncError) || config.localPort === 0) throw err;
    log.at(1)?.(`local port ${config.localPort} is taken (${err.message}); probing from a random port`);
    return open(0);
  }
}
