/**
 * Certificate authentication (`--auth-mode cert`): our client in main mode with RSA signatures, then XAUTH and
 * mode config, against strongSwan configured with `auth = pubkey` and a second round `auth = xauth`, with a test
 * PKI made by openssl. Debian's vpnc is the control: it refuses the mode ("not implemented yet"). The failures
 * each end in one line naming what was wrong: a key that is not the certificate's and an expired certificate
 * (local, exit 1), a gateway certificate from a CA we do not trust and a client certificate the gateway does not
 * trust (exit 2). Keys in encrypted PEM and in PKCS#12, with the password in the profile and through the prompt
 * (answered by a --password-helper). Root; never skipped.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  let helper: string;

  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'openssl', 'ip', 'unshare', 'stdbuf', 'nft', 'ping']);
    pki = makePki();
    client = issueClientCert(pki, 'alice', '/O=vpnc-ts test/CN=alice', pki.root);
    // The password helper answers every prompt with the test password (the prompt path without a terminal).
    helper = join(pki.dir, 'password-helper');
    writeFileSync(helper, '#!/bin/sh\necho key-password-7\n');
    chmodSync(helper, 0o755);
    ({ bed, gw } = await bedWithStrongSwan({ prefix: 'crt' }, { certAuth: { certPath: pki.gatewayByRoot.certPath, keyPath: pki.gatewayByRoot.keyPath, caPaths: [pki.root.certPath] } }));
  });
  afterAll(async () => {
    await removeStrongSwanBed(bed, gw);
    pki?.remove();
  });

  /** Connects with `o`, pings twice through the tunnel, stops: the tunnel came up and ended clean. */
  async function upPingStop(o: VpncRefOptions): Promise<void> {
    const v = startVpnc(o);
    let up: unknown;
    try {
      await v.waitForTunnel(30_000);
      up = (await ping(bed.client, BED.innerHost, 2)).received;
    } catch (err) {
      up = (err as Error).message;
    }
    const status = await v.stop();
    expect(up).toBe(2);
    expect(status).toEqual({ code: 0, signal: null });
  }

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

  it('a key that is not the certificate\'s: exit 1, one line naming the file', async () => {
    const r = await runVpncToExit(certOptions([`IPSec certificate ${client.certPath}`, `IPSec private key ${pki.gateway.keyPath}`]), 15_000);
    expect(r.output).toContain(`vpnc: ${client.certPath}: no certificate in it matches the private key (the first is "O=vpnc-ts test, CN=alice")`);
    expect(r.code, r.output).toBe(1);
  });

  it('an expired client certificate: exit 1, one line saying so', async () => {
    const old = issueClientCert(pki, 'expired', '/O=vpnc-ts test/CN=old-alice', pki.root, { expired: true });
    const r = await runVpncToExit(certOptions([`IPSec certificate ${old.certPath}`, `IPSec private key ${old.keyPath}`]), 15_000);
    expect(r.output).toMatch(new RegExp(`vpnc: ${old.certPath}: our certificate "CN=old-alice, O=vpnc-ts test" expired on Jan  2 00:00:00 2020 GMT`));
    expect(r.code, r.output).toBe(1);
  });

  it('a gateway certificate from a CA we do not trust: exit 2, one line naming it', async () => {
    const r = await runVpncToExit(certOptions([`IPSec certificate ${client.certPath}`, `IPSec private key ${client.keyPath}`], {}, pki.otherRoot.certPath), 40_000);
    expect(r.output).toContain('vpnc: gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" is not trusted: its issuer "O=vpnc-ts test, CN=Test Root CA" is not a trusted CA (check CA-File / CA-Dir)\n');
    expect(r.code, r.output).toBe(2);
  }, 60_000);

  it('a client certificate the gateway does not trust: exit 2, one line', async () => {
    const stranger = issueClientCert(pki, 'stranger', '/O=Someone Else/CN=mallory', pki.otherRoot);
    const r = await runVpncToExit(certOptions([`IPSec certificate ${stranger.certPath}`, `IPSec private key ${stranger.keyPath}`]), 60_000);
    expect(r.output).toContain("vpnc: gateway refused phase 1: AUTHENTICATION_FAILED; check our certificate, its key and the gateway's trust in its CA\n");
    expect(r.code, r.output).toBe(2);
  }, 90_000);

  it('an encrypted PEM key: with the password in the profile, and asked for (through the password helper)', async () => {
    const encrypted = join(pki.dir, 'alice-encrypted.key');
    execFileSync('openssl', ['pkcs8', '-topk8', '-in', client.keyPath, '-out', encrypted, '-passout', 'pass:key-password-7', '-v2', 'aes-256-cbc']);
    for (const lines of [[`IPSec certificate password key-password-7`], [`Password helper ${helper}`]]) {
      await upPingStop(certOptions([`IPSec certificate ${client.certPath}`, `IPSec private key ${encrypted}`, ...lines]));
    }
    const wrong = await runVpncToExit(certOptions([`IPSec certificate ${client.certPath}`, `IPSec private key ${encrypted}`, 'IPSec certificate password wrong']), 15_000);
    expect(wrong.output).toContain(`vpnc: ${encrypted}: the password does not decrypt the private key`);
    expect(wrong.code).toBe(1);
  }, 120_000);

  it('a PKCS#12 file: with the password in the profile, and asked for (through the password helper)', async () => {
    const p12 = join(pki.dir, 'alice.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-in', client.certPath, '-inkey', client.keyPath, '-certfile', pki.root.certPath, '-out', p12, '-passout', 'pass:key-password-7']);
    for (const lines of [[`IPSec certificate password key-password-7`], [`Password helper ${helper}`]]) {
      await upPingStop(certOptions([`IPSec certificate ${p12}`, ...lines]));
    }
    const wrong = await runVpncToExit(certOptions([`IPSec certificate ${p12}`, 'IPSec certificate password wrong']), 15_000);
    expect(wrong.output).toContain(`vpnc: ${p12}: the password does not open the PKCS#12 file`);
    expect(wrong.code).toBe(1);
    rmSync(p12);
  }, 120_000);
});
