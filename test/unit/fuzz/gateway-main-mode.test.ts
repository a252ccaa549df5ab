/**
 * The gateway's main mode under fuzzing (src/gateway/exchanges/main-mode.ts through GatewayPeer): MM1 mutated
 * byte-wise (an MM2 or a typed refusal), MM3 mutated byte-wise, and MM5's payload list mutated in its plaintext
 * and sealed under the exchange's real keys, so that it gets past decryption into the checks. Nothing may throw;
 * a refused MM3 or MM5 must leave the exchange as it was (the client's real message is then still answered: no
 * IV moved, no state taken), and an MM5 is only accepted with the client's real signature.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { IkeSa } from '../../../src/ike/ike-sa.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { parseGatewayConfig, type GatewayConfig } from '../../../src/gateway/config.js';
import { startPhase1 } from '../../../src/gateway/phase1-setup.js';
import { certInitiator } from '../../helpers/cert-initiator.js';
import { CLIENT, mainModeToMm3, mainModeToMm5, sends } from '../../helpers/client-meets-gateway.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../../helpers/pki.js';
import { mutated, mutatedList, withoutRaw } from './mutate.js';
import { caseOf, outcome, target } from './runs.js';


let pki: Pki;
let alice: Issued;
let config: GatewayConfig;
beforeAll(() => {
  pki = makePki();
  alice = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
  config = parseGatewayConfig(
    ['Listen 198.51.100.1', 'Pool 192.0.2.10-192.0.2.20', 'User alice wonderland', `Certificate ${pki.gatewayByRoot.certPath}`, `Private key ${pki.gatewayByRoot.keyPath}`, `Client CA ${pki.root.certPath}`].join('\n'),
    'fuzz.conf',
  );
}, 60_000);
afterAll(() => pki.remove());

/** DH group 2 keeps an exchange per input cheap. */
const initiator = () => certInitiator(pki, alice, { policy: { authMode: 'cert', dhGroup: 2, weakEncryption: false, weakAuthentication: false } });
/** A fresh exchange up to the client's MM3 (not yet delivered). */
const toMm3 = () => mainModeToMm3(config, initiator());

/** A fresh exchange up to the client's MM5 (not yet delivered), with a twin of the SA to seal forgeries under. */
function toMm5() {
  const { init, peer, keyed, mm5 } = mainModeToMm5(config, initiator());
  const twin = () => new IkeSa(keyed.sa.cookieI, keyed.sa.cookieR, keyed.sa.suite, keyed.sa.keys);
  return { init, peer, mm5, payloads: withoutRaw(twin().open(mm5).payloads), twin };
}

/** Defers building an arbitrary until the PKI exists. */
const lazy = <T>(make: () => fc.Arbitrary<T>): fc.Arbitrary<T> => fc.constant(null).chain(make);

describe('fuzz: the gateway in main mode', () => {
  target('gateway MM1 bytes', [lazy(() => mutated(initiator().start(), 8))], (mm1) => {
    const r = outcome(() => startPhase1(mm1, ExchangeType.IDENTITY_PROTECTION, config, CLIENT, 500));
    if (r.ok) expect(r.value.firstAnswer.length).toBeGreaterThan(28);
    return r.ok ? 'MM2' : caseOf(r.error);
  });

  target('gateway MM3 bytes', [fc.nat()], (seed) => {
    const { peer, mm3 } = toMm3();
    const forged = fc.sample(mutated(mm3, 16), { seed, numRuns: 1 })[0]!;
    const answered = sends(peer.receive(forged));
    if (answered.length > 0) return 'answered';
    // Refused: the real MM3 is still answered with MM4.
    expect(sends(peer.receive(mm3))).toHaveLength(1);
    return 'refused, real MM3 answered';
  });

  target('gateway MM5 payloads (sealed)', [fc.nat()], (seed) => {
    const { init, peer, mm5, payloads, twin } = toMm5();
    const list: Payload[] = fc.sample(mutatedList(payloads), { seed, numRuns: 1 })[0]!;
    const actions = peer.receive(twin().seal(ExchangeType.IDENTITY_PROTECTION, 0, list));
    const sig = payloads.find((p) => p.type === PayloadType.SIG)!;
    if (actions.some((a) => a.kind === 'close')) return 'refused and closed';
    if (sends(actions).length > 0) {
      // Accepted: only with the client's own signature in it.
      expect(list).toContainEqual(sig);
      return 'accepted';
    }
    // Refused as no MM5: the exchange goes on with the real one.
    expect(init.receiveMm6(sends(peer.receive(mm5))[0]!).gatewayChain[0]).toBe('O=vpnc-ts test, CN=gw-direct.example.test');
    return 'refused, real MM5 accepted';
  });
});
