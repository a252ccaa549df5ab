/**
 * Runs aggressive mode between the client's AggressiveModeInitiator and the test FakeResponder, for tests
 * that need an established ISAKMP SA on both sides.
 */
import { IdType } from '../../../src/ike/constants.js';
import { AggressiveModeInitiator, type AggressiveModeParams, type AggressiveModeResult } from '../../../src/ike/exchanges/aggressive-mode.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import type { Phase1Policy } from '../../../src/ike/proposals.js';
import { FakeResponder, type Addr, type Am2Options } from './fake-responder.js';

/** Our address and port as we sent AM1, and the gateway's. */
export const LOCAL: Addr = { address: '198.51.100.10', port: 500 };
export const REMOTE: Addr = { address: '198.51.100.1', port: 500 };
export const PSK = Buffer.from('group secret');

export const POLICY: Phase1Policy = { authMode: 'psk', dhGroup: 14, weakEncryption: false, weakAuthentication: false };

/** An initiator with test defaults (group "vpngroup", KEY_ID, natt, DPD, INITIAL-CONTACT). */
export function initiator(over: Partial<AggressiveModeParams> = {}): AggressiveModeInitiator {
  return new AggressiveModeInitiator({
    policy: POLICY,
    groupName: 'vpngroup',
    idType: IdType.KEY_ID,
    psk: PSK,
    nattMode: 'natt',
    dpd: true,
    initialContact: true,
    ...over,
  });
}

export interface Established {
  init: AggressiveModeInitiator;
  result: AggressiveModeResult;
  resp: FakeResponder;
  /** AM3 as the responder decrypted it (HASH_I already checked). */
  am3: Payload[];
}

/** AM1 -> AM2 -> AM3 with the responder checking AM3. */
export function establish(over: Partial<AggressiveModeParams> = {}, am2: Am2Options = {}, local: Addr = LOCAL, remote: Addr = REMOTE): Established {
  const init = initiator(over);
  const resp = new FakeResponder(PSK);
  const result = init.receive(resp.answerAm1(init.start(), am2), local, remote);
  return { init, result, resp, am3: resp.readAm3(result.am3) };
}
