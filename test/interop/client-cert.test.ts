/**
 * Certificate authentication (`--auth-mode cert`): our client in main mode with RSA signatures, then XAUTH and
 * mode config, against strongSwan configured with `auth = pubkey` and a second round `auth = xauth`, with a test
 * PKI made by openssl. Debian's vpnc is the control: it cannot do the mode. The failures and the key formats
 * are test/helpers/cert-cases.ts, which gateway-cert.test.ts runs against the project's gateway too. Root;
 * never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certCases } from '../helpers/cert-cases.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../helpers/pki.js';
import { CHARON, SWANCTL, type StrongSwanGateway } from '../helpers/strongswan.js';
import { bedWithStrongSwan, removeStrongSwanBed } from '../helpers/strongswan-bed.js';
import type { Testbed } from '../helpers/testbed.js';
import { runVpncToExit, strongSwanClient, VPNC, VPNC_SCRIPT, VPNC_UP_MARKER, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

describe('certificate authentication: main mode + XAUTH against strongSwan', () => {
  let pki: Pki;
  let client: Issued;
  let bed: Testbed;
  let gw: StrongSwanGateway;

  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'openssl', 'ip', 'unshare', 'stdbuf', 'nft', 'ping']);
    pki = makePki();
    client = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
    ({ bed, gw } = await bedWithStrongSwan({ prefix: 'crt' }, { certAuth: { certPath: pki.gatewayByRoot.certPath, keyPath: pki.gatewayByRoot.keyPath, caPaths: [pki.root.certPath] } }));
  });
  afterAll(async () => {
    await removeStrongSwanBed(bed, gw);
    pki?.remove();
  });

  const certOptions = (lines: string[], extra: Partial<VpncRefOptions> = {}, ca = pki.root.certPath): VpncRefOptions =>
    strongSwanClient(bed.client, gw, { command: OURS, extraConfig: ['IKE Authmode cert', `CA-File ${ca}`, ...lines], ...extra });

  it("the control: Debian's vpnc cannot connect with --auth-mode cert (it offers aggressive mode, which this gateway refuses)", async () => {
    const r = await runVpncToExit({ ...certOptions([]), command: [VPNC] }, 15_000);
    expect(r.output).toContain('response was invalid [1]:  (ISAKMP_N_INVALID_EXCHANGE_TYPE)(7)');
    expect(r.output).not.toContain(VPNC_UP_MARKER);
    expect(r.code).toBe(1);
  });

  certCases(() => ({
    pki,
    client,
    bed,
    options: certOptions,
    whileConnected: () => expect(gw.log()).toMatch(/authentication of 'O=vpnc-ts test, CN=alice' with RSA.* successful|authentication of 'O=vpnc-ts test, CN=alice'.*successful/),
  }));
});
