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
import { nsRun, requireBinaries, requireRoot } from '../helpers/netns.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../helpers/pki.js';
import { CHARON, SWANCTL, type StrongSwanGateway } from '../helpers/strongswan.js';
import { bedWithStrongSwan, removeStrongSwanBed } from '../helpers/strongswan-bed.js';
import { BED, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, tcpTransferBothWays } from '../helpers/traffic.js';
import { runVpncToExit, startVpnc, strongSwanClient, VPNC, VPNC_SCRIPT, VPNC_UP_MARKER, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const BYTES = 4 << 20;

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

  it('connects in main mode with our certificate, pings, carries 4 MiB each way with matching sha256, ends clean', async () => {
    const v = startVpnc(certOptions([`IPSec certificate ${client.certPath}`, `IPSec private key ${client.keyPath}`], { debug: 2 }));
    try {
      const tun = await v.waitForTunnel(30_000);
      expect(v.output()).toContain('MM packet_5');
      expect(v.output()).toMatch(/IKE SA selected rsa\+xauth-aes\d+-sha/);
      expect(v.output()).toContain('gateway certificate verified: "O=vpnc-ts test, CN=gw-direct.example.test" <- "O=vpnc-ts test, CN=Test Root CA"');
      expect(nsRun(bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
      expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
      const { upload, download } = await tcpTransferBothWays(bed.client, bed.inner, BED.innerHost, BYTES);
      expect(upload.received).toEqual(upload.sent);
      expect(download.received).toEqual(download.sent);
      expect(upload.sent.bytes).toBe(BYTES);
      expect(gw.log()).toMatch(/authentication of 'O=vpnc-ts test, CN=alice' with RSA.* successful|authentication of 'O=vpnc-ts test, CN=alice'.*successful/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(readClientResolvConf(bed)).not.toContain(BED.vpnDns);
  }, 90_000);

  it("the control: Debian's vpnc cannot connect with --auth-mode cert (it offers aggressive mode, which this gateway refuses)", async () => {
    const r = await runVpncToExit({ ...certOptions([]), command: [VPNC] }, 15_000);
    expect(r.output).toContain('response was invalid [1]:  (ISAKMP_N_INVALID_EXCHANGE_TYPE)(7)');
    expect(r.output).not.toContain(VPNC_UP_MARKER);
    expect(r.code).toBe(1);
  });

  certCases(() => ({ pki, client, bed, options: certOptions }));
});
