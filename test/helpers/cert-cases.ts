/**
 * The cases of `--auth-mode cert` that every gateway must show the same way (strongSwan and the project's
 * gateway run them both): connect in main mode, ping, 4 MiB each way with matching sha256, a clean end; a key that is not the certificate's and an expired certificate (local, exit 1), a
 * gateway certificate from a CA we do not trust and a client certificate the gateway does not trust (exit 2),
 * each ending in one line; keys in encrypted PEM and PKCS#12, each with the password in the profile and asked
 * for (through a password helper), and a wrong password. Registered inside the caller's describe.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { issueClientCert, type Issued, type Pki } from './pki.js';
import { nsRun } from './netns.js';
import { BED, readClientResolvConf, type Testbed } from './testbed.js';
import { ping, tcpTransferBothWays } from './traffic.js';
import { runVpncToExit, startVpnc, type VpncRefOptions } from './vpnc-ref.js';

/** What the cases need from the caller's bed, once its beforeAll has run. */
export interface CertBed {
  readonly pki: Pki;
  /** The client's own certificate (issued by the PKI's root). */
  readonly client: Issued;
  readonly bed: Testbed;
  /** Options of our client with `lines` in its profile and `ca` as CA-File (default the PKI's root). */
  options(lines: string[], extra?: Partial<VpncRefOptions>, ca?: string): VpncRefOptions;
  /** Called while the connect case's tunnel is up (to check the gateway's side of it). */
  whileConnected(): void;
  /** Called after the gateway refused a client certificate from another CA (to check the gateway's side). */
  afterUntrustedClient?(): void;
}

const PASSWORD = 'key-password-7';
const BYTES = 4 << 20;

export function certCases(get: () => CertBed): void {
  /** Connects, pings twice through the tunnel, stops: the tunnel came up and ended clean. */
  async function upPingStop(o: VpncRefOptions): Promise<void> {
    const v = startVpnc(o);
    let up: unknown;
    try {
      await v.waitForTunnel(30_000);
      up = (await ping(get().bed.client, BED.innerHost, 2)).received;
    } catch (err) {
      up = `${(err as Error).message}\n${v.output()}`;
    }
    const status = await v.stop();
    expect(up).toBe(2);
    expect(status).toEqual({ code: 0, signal: null });
  }

  /** A password helper that answers every prompt with the test password (the prompt path without a terminal). */
  function passwordHelper(): string {
    const helper = join(get().pki.dir, 'password-helper');
    writeFileSync(helper, `#!/bin/sh\necho ${PASSWORD}\n`);
    chmodSync(helper, 0o755);
    return helper;
  }

  it('connects in main mode with our certificate, pings, carries 4 MiB each way with matching sha256, ends clean', async () => {
    const { bed, client, options, whileConnected } = get();
    const v = startVpnc(options([`IPSec certificate ${client.certPath}`, `IPSec private key ${client.keyPath}`], { debug: 2 }));
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
      whileConnected();
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(readClientResolvConf(bed)).not.toContain(BED.vpnDns);
  }, 90_000);

  it("a key that is not the certificate's: exit 1, one line naming the file", async () => {
    const { pki, client, options } = get();
    const r = await runVpncToExit(options([`IPSec certificate ${client.certPath}`, `IPSec private key ${pki.gateway.keyPath}`]), 15_000);
    expect(r.output).toContain(`vpnc: ${client.certPath}: no certificate in it matches the private key (the first is "O=vpnc-ts test, CN=alice")`);
    expect(r.code, r.output).toBe(1);
  });

  it('an expired client certificate: exit 1, one line saying so', async () => {
    const { pki, options } = get();
    const old = issueClientCert(pki, 'expired', '/O=vpnc-ts test/CN=old-alice', pki.root, { expired: true });
    const r = await runVpncToExit(options([`IPSec certificate ${old.certPath}`, `IPSec private key ${old.keyPath}`]), 15_000);
    expect(r.output).toMatch(new RegExp(`vpnc: ${old.certPath}: our certificate "CN=old-alice, O=vpnc-ts test" expired on Jan  2 00:00:00 2020 GMT`));
    expect(r.code, r.output).toBe(1);
  });

  it('a gateway certificate from a CA we do not trust: exit 2, one line naming it', async () => {
    const { pki, client, options } = get();
    const r = await runVpncToExit(options([`IPSec certificate ${client.certPath}`, `IPSec private key ${client.keyPath}`], {}, pki.otherRoot.certPath), 40_000);
    expect(r.output).toContain('vpnc: gateway certificate "O=vpnc-ts test, CN=gw-direct.example.test" is not trusted: its issuer "O=vpnc-ts test, CN=Test Root CA" is not a trusted CA (check CA-File / CA-Dir)\n');
    expect(r.code, r.output).toBe(2);
  }, 60_000);

  it('a client certificate the gateway does not trust: exit 2, one line', async () => {
    const { pki, options, afterUntrustedClient } = get();
    const stranger = issueClientCert(pki, 'stranger', '/O=Someone Else/CN=mallory', pki.otherRoot);
    const r = await runVpncToExit(options([`IPSec certificate ${stranger.certPath}`, `IPSec private key ${stranger.keyPath}`]), 60_000);
    expect(r.output).toContain("vpnc: gateway refused phase 1: AUTHENTICATION_FAILED; check our certificate, its key and the gateway's trust in its CA\n");
    expect(r.code, r.output).toBe(2);
    afterUntrustedClient?.();
  }, 90_000);

  it('an encrypted PEM key: with the password in the profile, and asked for (through the password helper)', async () => {
    const { pki, client, options } = get();
    const encrypted = join(pki.dir, 'alice-encrypted.key');
    execFileSync('openssl', ['pkcs8', '-topk8', '-in', client.keyPath, '-out', encrypted, '-passout', `pass:${PASSWORD}`, '-v2', 'aes-256-cbc']);
    for (const lines of [[`IPSec certificate password ${PASSWORD}`], [`Password helper ${passwordHelper()}`]]) {
      await upPingStop(options([`IPSec certificate ${client.certPath}`, `IPSec private key ${encrypted}`, ...lines]));
    }
    const wrong = await runVpncToExit(options([`IPSec certificate ${client.certPath}`, `IPSec private key ${encrypted}`, 'IPSec certificate password wrong']), 15_000);
    expect(wrong.output).toContain(`vpnc: ${encrypted}: the password does not decrypt the private key`);
    expect(wrong.code).toBe(1);
  }, 120_000);

  it('a PKCS#12 file: with the password in the profile, and asked for (through the password helper)', async () => {
    const { pki, client, options } = get();
    const p12 = join(pki.dir, 'alice.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-in', client.certPath, '-inkey', client.keyPath, '-certfile', pki.root.certPath, '-out', p12, '-passout', `pass:${PASSWORD}`]);
    for (const lines of [[`IPSec certificate password ${PASSWORD}`], [`Password helper ${passwordHelper()}`]]) {
      await upPingStop(options([`IPSec certificate ${p12}`, ...lines]));
    }
    const wrong = await runVpncToExit(options([`IPSec certificate ${p12}`, 'IPSec certificate password wrong']), 15_000);
    expect(wrong.output).toContain(`vpnc: ${p12}: the password does not open the PKCS#12 file`);
    expect(wrong.code).toBe(1);
    rmSync(p12);
  }, 120_000);
}
