/**
 * Hybrid authentication (`IKE Authmode hybrid`): strongSwan as a gateway that proves itself with an X.509
 * certificate and an RSA signature (`local { auth = pubkey }`) while the client authenticates with XAUTH only
 * (`remote { auth = xauth }`). Our client with `CA-File`: tunnel up and ping; a CA that did not issue the
 * gateway's certificate -> exit 2 naming the certificate. Debian's vpnc (built with certificate support,
 * gnutls) is the control against the same gateway. Root; missing prerequisites fail, never skip.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nsRun, requireBinaries, requireRoot } from '../helpers/netns.js';
import { makePki, type Issued, type Pki } from '../helpers/pki.js';
import { CHARON, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { runVpncToExit, startVpnc, VPNC, VPNC_SCRIPT, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

let pki: Pki;
/** CA-File for the gateway's chain: strongSwan (IKEv1) sends only its own certificate, so intermediate + root. */
let bundle: string;
let bed: Testbed | undefined;
let gw: StrongSwanGateway | undefined;

/** A hybrid profile: group name and secret (still required, sent as PRESHARED_KEY_HASH), XAUTH user, CA file. */
function options(caFile: string, extra: Partial<VpncRefOptions> = {}): VpncRefOptions {
  const user = gw!.options.users[0]!;
  return {
    netns: bed!.client,
    gateway: BED.gatewayOutside,
    group: gw!.options.group,
    groupSecret: gw!.options.groupSecret,
    user: user.name,
    password: user.password,
    command: OURS,
    extraConfig: ['IKE Authmode hybrid', `CA-File ${caFile}`, `CA-Dir ${pki.dir}/no-such-dir`],
    ...extra,
  };
}

/** What must be identical before a refused connection and after it. */
function snapshot(b: Testbed): string {
  return [nsRun(b.client, 'ip', ['-4', 'route', 'show', 'table', 'all']), nsRun(b.client, 'ip', ['-o', 'link', 'show']).replace(/\d+: /g, '')].join('\n---\n');
}

beforeAll(() => {
  requireRoot();
  requireBinaries([CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'openssl', 'ip', 'unshare', 'stdbuf', 'ping']);
  pki = makePki();
  bundle = join(pki.dir, 'bundle.pem');
  writeFileSync(bundle, pki.intermediate.certPem + pki.root.certPem);
  bed = createTestbed({ nat: false });
}, 90_000);

afterAll(() => {
  if (bed) destroyTestbed(bed);
  pki?.remove();
});

/** Starts the hybrid gateway for one describe block and stops it after. */
function hybridGateway(cert: () => Issued, caPaths: () => string[]): void {
  beforeAll(async () => {
    gw = await startStrongSwan({ netns: bed!.gateway, hybrid: { certPath: cert().certPath, keyPath: cert().keyPath, caPaths: caPaths() } });
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    gw = undefined;
  });
}

describe('gateway certificate under an intermediate CA (strongSwan sends both)', () => {
  hybridGateway(() => pki.gateway, () => [pki.intermediate.certPath, pki.root.certPath]);

  it('our client: chain leaf <- intermediate <- root (CA-File holds the root only), XAUTH, tunnel up, ping', async () => {
    const v = startVpnc(options(pki.root.certPath, { debug: 1 }));
    try {
      await v.waitForTunnel(30_000);
      expect(v.output()).toContain('IKE SA selected hybrid(rsa)-aes256-sha1');
      expect(v.output()).toContain('gateway certificate verified: "O=vpnc-ts test, CN=gw.example.test" <- "O=vpnc-ts test, CN=Test Intermediate CA" <- "O=vpnc-ts test, CN=Test Root CA"');
      const p = await ping(bed!.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
      expect(gw!.listSas()).toMatch(/INSTALLED, TUNNEL-in-UDP/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(gw!.log()).toMatch(/authentication of '198\.51\.100\.1' \(myself\) successful/);
    expect(gw!.log()).toMatch(/XAuth authentication of 'alice' successful/);
  }, 90_000);

  it('our client with a CA that did not issue the gateway certificate: exit 2 naming it, nothing left behind', async () => {
    const before = snapshot(bed!);
    const r = await runVpncToExit(options(pki.otherRoot.certPath), 40_000);
    expect(r.output).toContain(
      'gateway certificate "O=vpnc-ts test, CN=gw.example.test": intermediate CA "O=vpnc-ts test, CN=Test Intermediate CA" is not trusted: its issuer "O=vpnc-ts test, CN=Test Root CA" is not a trusted CA (check CA-File / CA-Dir)',
    );
    expect({ code: r.code, signal: r.signal }, r.output).toEqual({ code: 2, signal: null });
    expect(snapshot(bed!)).toBe(before);
  }, 60_000);

  it('Debian vpnc (gnutls build) fails here: it checks the signature with the LAST certificate sent (the intermediate)', async () => {
    const r = await runVpncToExit(options(bundle, { command: [VPNC] }), 40_000);
    expect(r.output).toContain("hash doesn't conform to PKCS#1 padding");
    expect({ code: r.code, signal: r.signal }, r.output).toEqual({ code: 1, signal: null });
  }, 60_000);
});

describe('gateway certificate straight under the root (strongSwan sends only it)', () => {
  hybridGateway(() => pki.gatewayByRoot, () => [pki.root.certPath]);

  it('our client: tunnel up and ping', async () => {
    const v = startVpnc(options(pki.root.certPath, { debug: 1 }));
    try {
      await v.waitForTunnel(30_000);
      expect(v.output()).toContain('gateway certificate verified: "O=vpnc-ts test, CN=gw-direct.example.test" <- "O=vpnc-ts test, CN=Test Root CA"');
      const p = await ping(bed!.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 90_000);

  it('control: Debian vpnc connects with the same CA file', async () => {
    const v = startVpnc(options(pki.root.certPath, { command: [VPNC] }));
    try {
      await v.waitForTunnel(30_000);
      expect(v.output()).toContain('IKE SA selected hybrid(rsa)-aes256-sha1');
      const p = await ping(bed!.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      const output = v.output();
      expect(await v.stop(), output).toEqual({ code: 0, signal: null });
    }
  }, 90_000);

  it('where we are stricter than Debian vpnc: its gnutls build ignores "signer not found" and connects with the other CA', async () => {
    // vpnc's crypto-gnutls.c verify_last() only fails on GNUTLS_CERT_SIGNER_NOT_CA; our client (like vpnc's
    // OpenSSL build) refuses a chain that does not end at a trusted CA (next test).
    const v = startVpnc(options(pki.otherRoot.certPath, { command: [VPNC] }));
    try {
      await v.waitForTunnel(30_000);
    } finally {
      const output = v.output();
      expect(await v.stop(), output).toEqual({ code: 0, signal: null });
    }
  }, 90_000);

  it('our client with the other CA: exit 2 naming the certificate', async () => {
    const r = await runVpncToExit(options(pki.otherRoot.certPath), 40_000);
    expect(r.output).toContain('gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" is not trusted: its issuer "O=vpnc-ts test, CN=Test Root CA" is not a trusted CA (check CA-File / CA-Dir)');
    expect({ code: r.code, signal: r.signal }, r.output).toEqual({ code: 2, signal: null });
  }, 60_000);
});
