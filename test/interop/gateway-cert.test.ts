/**
 * Certificate authentication (`--auth-mode cert`) against the project's gateway in main mode with RSA signatures
 * and XAUTH (Certificate, Private key, Client CA; no group: certificates only), with a test PKI made by openssl:
 * the cases of test/helpers/cert-cases.ts, the same as against strongSwan (connect, ping, 4 MiB each way with
 * matching sha256, a clean end; the failures and key formats), with the gateway's own account of each;
 * re-authentication (the gateway deletes the ISAKMP SA, the client runs main mode again and signs again without
 * asking); Debian's vpnc as the control, refused as it cannot do the mode. Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { certCases } from '../helpers/cert-cases.js';
import { requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { issueClientCert, makePki, type Issued, type Pki } from '../helpers/pki.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { nsExec } from '../helpers/traffic.js';
import { runVpncToExit, startVpnc, VPNC, VPNC_SCRIPT, VPNC_UP_MARKER, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

describe("certificate authentication: main mode + XAUTH against the project's gateway", () => {
  let pki: Pki;
  let client: Issued;
  let bed: Testbed;
  let gw: Gateway;
  const log: string[] = [];

  beforeAll(() => {
    requireRoot();
    requireBinaries([VPNC, VPNC_SCRIPT, 'openssl', 'ip', 'unshare', 'ping']);
    pki = makePki();
    client = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
    bed = createTestbed({ prefix: 'gc' });
    gw = startProjectGateway(
      bed.gateway,
      [
        `Certificate ${pki.gatewayByRoot.certPath}`,
        `Private key ${pki.gatewayByRoot.keyPath}`,
        `Client CA ${pki.root.certPath}`,
        `Pool ${BED.poolFirst}-${BED.poolLast}`,
        `Split include ${BED.innerNet}`,
        `DNS ${BED.vpnDns}`,
        'DPD 0',
        'Interface name gwc%d',
      ],
      { name: 'gateway-cert.conf', log, group: false },
    );
  }, 60_000);
  afterAll(() => {
    gw?.close();
    if (bed) destroyTestbed(bed);
    pki?.remove();
  });

  /** Our client with `lines` after the test account (the group lines are there but unused in cert mode). */
  const certOptions = (lines: string[], extra: Partial<VpncRefOptions> = {}, ca = pki.root.certPath): VpncRefOptions => ({
    netns: bed.client,
    gateway: BED.gatewayOutside,
    group: 'unused',
    groupSecret: 'unused',
    user: 'alice',
    password: 'wonderland',
    command: OURS,
    extraConfig: ['IKE Authmode cert', `CA-File ${ca}`, ...lines],
    ...extra,
  });
  const aliceLines = () => [`IPSec certificate ${client.certPath}`, `IPSec private key ${client.keyPath}`];

  it('re-authenticates in main mode when the gateway deletes the ISAKMP SA; a steady ping loses nothing', async () => {
    const v = startVpnc(certOptions(aliceLines()));
    try {
      await v.waitForTunnel(30_000);
      const pinging = nsExec(bed.client, 'ping', ['-c', '40', '-i', '0.2', '-W', '1', BED.innerHost], 30_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const first = gw.peers()[0]!;
      expect(gw.deleteIsakmpOnly(first.key)).toBe(true);
      await waitFor('re-authentication', () => (v.output().includes('phase 1 re-authenticated') ? true : undefined), 20_000);
      expect(await pinging, v.output()).toMatch(/40 packets transmitted, 40 received, 0% packet loss/);
      const second = gw.peers()[0]!;
      expect(second.key).not.toBe(first.key);
      expect(log.filter((l) => l.startsWith(`peer ${second.key}: phase 1 established (rsa+xauth-`))).toHaveLength(1);
      expect(v.output()).not.toMatch(/re-authentication failed|connection terminated/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 90_000);

  it("the control: Debian's vpnc cannot connect with --auth-mode cert (it offers aggressive mode, which this gateway refuses)", async () => {
    const r = await runVpncToExit({ ...certOptions([]), command: [VPNC] }, 15_000);
    expect(r.output).toContain('(ISAKMP_N_INVALID_EXCHANGE_TYPE)(7)');
    expect(r.output).not.toContain(VPNC_UP_MARKER);
    expect(r.code).toBe(1);
    expect(log.some((l) => l.includes('refusing aggressive mode from 198.51.100.2:500: aggressive mode, which this gateway does not take'))).toBe(true);
  });

  certCases(() => ({
    pki,
    client,
    bed,
    options: certOptions,
    whileConnected: () => {
      expect(log.some((l) => /main mode from 198\.51\.100\.2:500$/.test(l)), log.join('\n')).toBe(true);
      expect(log.some((l) => /phase 1 established \(rsa\+xauth-aes\d+-sha\d*-dh\d+, O=vpnc-ts test, CN=alice\)/.test(l)), log.join('\n')).toBe(true);
      expect(log.some((l) => l.endsWith('XAUTH for user "alice" accepted'))).toBe(true);
    },
    afterUntrustedClient: () =>
      expect(
        log.some((l) => l.includes('client certificate "O=Someone Else, CN=mallory" is not trusted: its issuer "O=Someone Else, CN=Other Root CA" is not a trusted CA (check Client CA in gateway-cert.conf)')),
        log.join('\n'),
      ).toBe(true),
  }));
});
