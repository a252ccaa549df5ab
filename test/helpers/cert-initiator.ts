/** Our main-mode initiator as the unit tests build it: `who`'s certificate and key, the test PKI's root trusted, NAT-T and DPD on. */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { MainModeInitiator, type MainModeParams } from '../../src/ike/exchanges/main-mode.js';
import type { Issued, Pki } from './pki.js';

export function certInitiator(pki: Pki, who: Issued, over: Partial<MainModeParams> = {}): MainModeInitiator {
  return new MainModeInitiator({
    policy: { authMode: 'cert', dhGroup: 14, weakEncryption: false, weakAuthentication: false },
    credentials: { chain: [who.der], key: createPrivateKey(who.keyPem) },
    trust: { anchors: [new X509Certificate(pki.root.der)] },
    nattMode: 'natt',
    dpd: true,
    initialContact: true,
    ...over,
  });
}
