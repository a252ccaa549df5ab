/**
 * Unit-test plumbing: our aggressive-mode initiator (group "mygroup", secret "s", KEY_ID), or our main-mode
 * initiator with a certificate, against the gateway's peer logic, datagram for datagram, no sockets. Addresses from
 * the pool start at 192.0.2.10.
 */
import { expect } from 'vitest';
import { ExchangeType, IdType } from '../../src/ike/constants.js';
import { AggressiveModeInitiator, type AggressiveModeResult } from '../../src/ike/exchanges/aggressive-mode.js';
import type { Phase1Policy } from '../../src/ike/proposals.js';
import type { GatewayConfig } from '../../src/gateway/config.js';
import { AggressiveModeResponder } from '../../src/gateway/exchanges/aggressive-mode.js';
import { GatewayPeer, type PeerAction } from '../../src/gateway/peer.js';
import type { MainModeInitiator } from '../../src/ike/exchanges/main-mode.js';
import { responderParams, startPhase1 } from '../../src/gateway/phase1-setup.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';

export const GW = { address: '198.51.100.1', port: 500 };
export const CLIENT = { address: '198.51.100.2', port: 500 };

/** The one datagram the actions send. */
export function sent(actions: PeerAction[]): Buffer {
  expect(actions.map((a) => a.kind)).toEqual(['send']);
  return (actions[0] as { data: Buffer }).data;
}

/** AM1 sent and answered: the client's initiator, AM1, the gateway's responder (its AM2) and its peer. */
export function firstContact(config: GatewayConfig, policy: Partial<Phase1Policy> = {}, allocate?: () => number | undefined) {
  const init = new AggressiveModeInitiator({
    policy: { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false, ...policy },
    groupName: 'mygroup',
    idType: IdType.KEY_ID,
    psk: Buffer.from('s'),
    nattMode: 'natt',
    dpd: true,
    initialContact: true,
  });
  const am1 = init.start();
  const responder = AggressiveModeResponder.start(am1, responderParams(config, CLIENT, 500));
  let next = parseIpv4('192.0.2.10');
  const peer = new GatewayPeer({ config, allocateAddress: allocate ?? (() => next++) }, responder, am1);
  return { init, am1, responder, peer };
}

/** Phase 1 done: the client's result, the gateway's peer, its AM2 and its first message after AM3 (the XAUTH request). */
export function clientMeetsGateway(
  config: GatewayConfig,
  policy: Partial<Phase1Policy> = {},
  allocate?: () => number | undefined,
): { result: AggressiveModeResult; peer: GatewayPeer; am2: Buffer; xauthRequest: Buffer } {
  const { init, responder, peer } = firstContact(config, policy, allocate);
  const result = init.receive(responder.am2, CLIENT, GW);
  return { result, peer, am2: responder.am2, xauthRequest: sent(peer.receive(result.am3)) };
}

/** The datagrams the actions send (any number). */
export function sends(actions: PeerAction[]): Buffer[] {
  return actions.flatMap((a) => (a.kind === 'send' ? [a.data] : []));
}

/** MM1 answered by a peer of `config`: the client's MM3 made, not yet delivered. */
export function mainModeToMm3(config: GatewayConfig, init: MainModeInitiator) {
  const mm1 = init.start();
  const responder = startPhase1(mm1, ExchangeType.IDENTITY_PROTECTION, config, CLIENT, 500);
  let next = parseIpv4('192.0.2.10');
  const peer = new GatewayPeer({ config, allocateAddress: () => next++ }, responder, mm1);
  return { init, peer, responder, mm3: init.receiveMm2(responder.firstAnswer, CLIENT, GW) };
}

/** MM1 to MM4 through a peer of `config`: the client is keyed and its MM5 made, not yet delivered. */
export function mainModeToMm5(config: GatewayConfig, init: MainModeInitiator) {
  const { peer, responder, mm3 } = mainModeToMm3(config, init);
  const keyed = init.receiveMm4(sends(peer.receive(mm3))[0]!, CLIENT, GW);
  return { init, peer, responder, keyed, mm5: init.mm5() };
}
