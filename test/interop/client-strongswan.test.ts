/**
 * Our client (`node bin/vpnc.js`) against strongSwan acting as a Cisco concentrator, in the namespace test
 * bed, with Debian's vpnc as the control in the same suite. Root; missing prerequisites fail, never skip.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childExit, netnsPids, nsRun, nsSpawnPrivateRun, pidAlive, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { CHARON, IKE_PROPOSALS, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, startCapture, tcpTransferBothWays } from '../helpers/traffic.js';
import { readPidFile, runVpncToExit, startVpnc, strongSwanClient, VPNC, VPNC_SCRIPT, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const BIG = 64 << 20;

function options(bed: Testbed, gw: StrongSwanGateway, extra: Partial<VpncRefOptions> = {}): VpncRefOptions {
  return strongSwanClient(bed.client, gw, { command: OURS, ...extra });
}

/** What must be identical before the connection and after it ended. */
function snapshot(bed: Testbed): string {
  return [
    nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']),
    nsRun(bed.client, 'ip', ['-o', 'link', 'show']).replace(/\d+: /g, ''),
    readClientResolvConf(bed) ?? '',
  ].join('\n---\n');
}

async function bringUp(nat: boolean, gwOptions: Omit<Parameters<typeof startStrongSwan>[0], 'netns'> = {}) {
  requireRoot();
  requireBinaries([CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'nft', 'tcpdump', 'ping']);
  const bed = createTestbed({ nat });
  try {
    return { bed, gw: await startStrongSwan({ netns: bed.gateway, ...gwOptions }) };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

async function tearDown(bed: Testbed | undefined, gw: StrongSwanGateway | undefined) {
  await gw?.stop();
  if (bed) destroyTestbed(bed);
}

/** Runs a client to its end and checks it left nothing behind. */
async function expectExit(bed: Testbed, o: VpncRefOptions, code: number, message: RegExp) {
  const before = snapshot(bed);
  const r = await runVpncToExit(o, 40_000);
  expect(r.output).toMatch(message);
  expect({ code: r.code, signal: r.signal }, r.output).toEqual({ code, signal: null });
  expect(snapshot(bed)).toBe(before);
}

describe('our client against strongSwan (no NAT in between)', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(false)));
  afterAll(() => tearDown(bed, gw));

  it(`natt: up, routes and DNS from the gateway, ping, ${BIG >> 20} MiB each way with matching sha256, clean end`, async () => {
    const before = snapshot(bed);
    const capture = await startCapture(bed.gateway, bed.gatewayOutsideIf, 'udp port 4500');
    const v = startVpnc(options(bed, gw, { debug: 1 }));
    try {
      const tun = await v.waitForTunnel(30_000);
      expect(readPidFile(v.pidFile)).toBe(v.pid);
      expect(v.output()).toContain('IKE SA selected psk+xauth-aes256-sha1');
      // charon sends MD5("strongSwan") with send_vendor_id = yes: named, and the Cisco dialect kept.
      expect(v.output()).toContain("the gateway's vendor IDs say strongSwan; dialect cisco (the default)");
      expect(nsRun(bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
      expect(readClientResolvConf(bed)).toContain(`nameserver ${BED.vpnDns}`);
      const p = await ping(bed.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
      const { upload, download } = await tcpTransferBothWays(bed.client, bed.inner, BED.innerHost, BIG);
      expect(upload.sent.bytes).toBe(BIG);
      expect(upload.received).toEqual(upload.sent);
      expect(download.sent.bytes).toBe(BIG);
      expect(download.received).toEqual(download.sent);
      expect(gw.listSas()).toMatch(/INSTALLED, TUNNEL-in-UDP/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    const lines = await capture.stop();
    expect(lines.some((l) => /198\.51\.100\.2\.4500 > 198\.51\.100\.1\.4500: UDP-encap: ESP\(spi=0x/.test(l))).toBe(true);
    expect(gw.log()).toMatch(/received DELETE for IKE_SA/);
    expect(readPidFile(v.pidFile)).toBeUndefined();
    expect(snapshot(bed)).toBe(before);
    expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
  }, 120_000);

  it('force-natt: claims a NAT, floats and carries traffic', async () => {
    const v = startVpnc(options(bed, gw, { nattMode: 'force-natt' }));
    try {
      await v.waitForTunnel(30_000);
      expect(v.output()).toContain('NAT status: this end behind NAT? YES');
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('control: Debian vpnc connects to the same gateway', async () => {
    const v = startVpnc(options(bed, gw, { command: [VPNC] }));
    try {
      await v.waitForTunnel(30_000);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('a wrong group secret exits 2 with a hint and leaves nothing behind', async () => {
    await expectExit(bed, options(bed, gw, { groupSecret: 'wrong-secret' }), 2, /check the group password/);
  });

  it('a wrong XAUTH password exits 2 and leaves nothing behind', async () => {
    await expectExit(bed, options(bed, gw, { password: 'wrong-password' }), 2, /authentication unsuccessful/);
  });

  it('an unreachable gateway exits 1 with "no response from target"', async () => {
    // IKE timeout 10: the gateway given up after 10 s (30 by default), the option exercised.
    await expectExit(bed, { ...options(bed, gw), gateway: '198.51.100.77', extraConfig: ['IKE timeout 10'] }, 1, /no response from target 198\.51\.100\.77/);
  }, 60_000);
});

describe('our client through a masquerading NAT router', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(true)));
  afterAll(() => tearDown(bed, gw));

  it('detects the NAT, floats to 4500 and carries traffic', async () => {
    const atClient = await startCapture(bed.client, bed.clientIf, 'udp');
    const v = startVpnc(options(bed, gw));
    try {
      await v.waitForTunnel(30_000);
      const p = await ping(bed.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    const lines = await atClient.stop();
    expect(v.output()).toContain('NAT status: this end behind NAT? YES');
    expect(lines.some((l) => /198\.51\.100\.130\.500 > 198\.51\.100\.1\.500: isakmp/.test(l))).toBe(true);
    expect(lines.some((l) => /198\.51\.100\.130\.4500 > 198\.51\.100\.1\.4500: UDP-encap: ESP/.test(l))).toBe(true);
    expect(gw.log()).toMatch(/remote host is behind NAT/);
  });
});

describe('proposal sets', () => {
  it('aes128-sha256-modp2048 with --dh dh14 (a gateway vpnc 0.5.3 cannot use)', async () => {
    const { bed, gw } = await bringUp(false, { ikeProposals: IKE_PROPOSALS.sha256, espProposals: 'aes128-sha256' });
    try {
      const v = startVpnc(options(bed, gw, { dhGroup: 'dh14' }));
      try {
        await v.waitForTunnel(30_000);
        expect(v.output()).toContain('IKE SA selected psk+xauth-aes128-sha256');
        expect(v.output()).toMatch(/IPSEC SA selected AES-CBC-128\/HMAC-SHA2-256-128/);
        const p = await ping(bed.client, BED.innerHost, 2);
        expect(p.received, p.output).toBe(2);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
      }
      await expectExit(bed, options(bed, gw), 1, /gateway refused phase 1: NO-PROPOSAL-CHOSEN \(offered .* and dh2; .*another --dh group/);
    } finally {
      await tearDown(bed, gw);
    }
  }, 90_000);

  it('aes256-sha256 with ECP group 19 (--dh dh19) and AES-GCM-16 for ESP, with PFS on ECP too', async () => {
    const { bed, gw } = await bringUp(false, { ikeProposals: 'aes256-sha256-ecp256', espProposals: 'aes128gcm16', pfsGroup: 'ecp256' });
    try {
      const v = startVpnc(options(bed, gw, { dhGroup: 'dh19', pfs: 'dh19' }));
      try {
        await v.waitForTunnel(30_000);
        expect(v.output()).toContain('IKE SA selected psk+xauth-aes256-sha256');
        expect(v.output()).toMatch(/IPSEC SA selected AES-GCM-16.*PFS dh19/);
        const p = await ping(bed.client, BED.innerHost, 2);
        expect(p.received, p.output).toBe(2);
        expect(gw.listSas()).toMatch(/AES_GCM_16-128\/ECP_256/);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
      }
    } finally {
      await tearDown(bed, gw);
    }
  }, 90_000);

  it('3des-md5-modp1024 with PFS: refused without the weak flags, works with them, with and without PFS', async () => {
    const { bed, gw } = await bringUp(false, { ikeProposals: IKE_PROPOSALS.legacy, espProposals: '3des-md5', pfsGroup: 'modp1024' });
    try {
      await expectExit(bed, options(bed, gw), 1, /NO-PROPOSAL-CHOSEN .*--enable-weak-encryption \(3DES, DES\), --enable-weak-authentication \(MD5\)/);
      const weak = { enableWeakEncryption: true, enableWeakAuthentication: true } as const;
      const v = startVpnc(options(bed, gw, { ...weak, pfs: 'dh2' }));
      try {
        await v.waitForTunnel(30_000);
        expect(v.output()).toContain('IKE SA selected psk+xauth-3des-md5');
        expect(v.output()).toMatch(/IPSEC SA selected 3DES-CBC\/HMAC-MD5-96.*PFS dh2/);
        const p = await ping(bed.client, BED.innerHost, 2);
        expect(p.received, p.output).toBe(2);
        expect(gw.listSas()).toMatch(/3DES_CBC\/HMAC_MD5_96\/MODP_1024/);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
      }
      await expectExit(bed, options(bed, gw, { ...weak, pfs: 'nopfs' }), 1, /gateway refused quick mode: NO_PROPOSAL_CHOSEN/);
    } finally {
      await tearDown(bed, gw);
    }
  }, 90_000);
});

describe('prompts and less common settings', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(false)));
  afterAll(() => tearDown(bed, gw));

  /** Runs our client with a profile file and `stdin` as its standard input; resolves with its output once up. */
  async function withPrompts(extra: string[], stdin: string, noDetach: boolean) {
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-prompt-'));
    const pidFile = join(dir, 'vpnc.pid');
    const user = gw.options.users[0]!;
    const base = [
      `IPSec gateway ${BED.gatewayOutside}`, `IPSec ID ${gw.options.group}`, `IPSec secret ${gw.options.groupSecret}`,
      `Xauth username ${user.name}`, `Pidfile ${pidFile}`, `Script ${VPNC_SCRIPT}`, 'Debug 1', ...(noDetach ? ['No Detach'] : []),
    ];
    // A profile's first value of a key wins (as in vpnc): an `extra` line replaces the base line of its key.
    const key = (line: string) => /^(IPSec gateway|IPSec secret) /.exec(line)?.[1];
    const lines = [...base.filter((l) => !extra.some((e) => key(e) !== undefined && key(e) === key(l))), ...extra];
    writeFileSync(join(dir, 'p.conf'), `${lines.join('\n')}\n`, { mode: 0o600 });
    const child = nsSpawnPrivateRun(bed.client, 'node', [OURS[1]!, join(dir, 'p.conf')], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end(stdin);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { dir, pidFile, child, output: () => out };
  }

  it('asks for the XAUTH password with vpnc\'s prompt when the profile has none (foreground)', async () => {
    const user = gw.options.users[0]!;
    const r = await withPrompts([], `${user.password}\n`, true);
    try {
      await waitFor('tunnel', () => (r.output().includes('VPNC started in foreground') ? true : undefined), 30_000);
      expect(r.output()).toContain(`Enter password for ${user.name}@${BED.gatewayOutside}: `);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      r.child.kill('SIGTERM');
      expect(await childExit(r.child)).toEqual({ code: 0, signal: null });
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  it('Xauth interactive: the daemon asks through its foreground process ("Password for VPN user@gw: ")', async () => {
    const user = gw.options.users[0]!;
    const r = await withPrompts(['Xauth interactive'], `${user.password}\n`, false);
    try {
      expect(await childExit(r.child), r.output()).toEqual({ code: 0, signal: null });
      expect(r.output()).toContain(`Password for VPN ${user.name}@${BED.gatewayOutside}: `);
      expect(r.output()).toMatch(/VPNC started in background \(pid: \d+\)/);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      const pid = readPidFile(r.pidFile);
      if (pid) {
        process.kill(pid, 'SIGTERM');
        await waitFor('daemon exit', () => (pidAlive(pid) ? undefined : true), 10_000);
      }
      rmSync(r.dir, { recursive: true, force: true });
    }
  });

  /** Runs a background client to the foreground's exit; the daemon must be gone too and the machine as before. */
  async function backgroundFailure(extra: string[], stdin: string) {
    const before = snapshot(bed);
    const r = await withPrompts(extra, stdin, false);
    try {
      const status = await childExit(r.child);
      await waitFor('no process left in the client namespace', () => (netnsPids(bed.client).length === 0 ? true : undefined), 10_000);
      expect(readPidFile(r.pidFile)).toBeUndefined();
      expect(snapshot(bed)).toBe(before);
      return { status, output: r.output() };
    } finally {
      rmSync(r.dir, { recursive: true, force: true });
    }
  }

  it('background mode: a wrong XAUTH password in the daemon reaches the foreground as exit 2 with its message', async () => {
    const r = await backgroundFailure(['Xauth password wrong-password', 'Noninteractive'], '');
    expect(r.output).toMatch(/^vpnc: authentication unsuccessful/m);
    expect(r.output).not.toContain('VPNC started in background');
    expect(r.status, r.output).toEqual({ code: 2, signal: null });
  });

  it('background mode, Xauth interactive: a wrong password typed at the daemon\'s prompt is exit 2', async () => {
    const user = gw.options.users[0]!;
    const r = await backgroundFailure(['Xauth interactive'], 'not-the-password\n');
    expect(r.output).toContain(`Password for VPN ${user.name}@${BED.gatewayOutside}: `);
    expect(r.output).toMatch(/^vpnc: authentication unsuccessful/m);
    expect(r.status, r.output).toEqual({ code: 2, signal: null });
  });

  it('background mode: a wrong group secret is exit 2 with the hint, an unreachable gateway exit 1', async () => {
    const wrongSecret = await backgroundFailure(['Xauth password x', 'Noninteractive', 'IPSec secret wrong-secret'], '');
    expect(wrongSecret.output).toMatch(/check the group password/);
    expect(wrongSecret.status, wrongSecret.output).toEqual({ code: 2, signal: null });
    const unreachable = await backgroundFailure(['Xauth password x', 'Noninteractive', 'IPSec gateway 198.51.100.77', 'IKE timeout 10'], '');
    expect(unreachable.output).toMatch(/^vpnc: no response from target 198\.51\.100\.77/m);
    expect(unreachable.status, unreachable.output).toEqual({ code: 1, signal: null });
  }, 90_000);

  it('--local-addr takes a host name (resolved as vpnc does) and refuses one that does not resolve, in one line', async () => {
    // The client namespace's /etc/hosts is its own (ip netns exec bind-mounts /etc/netns/NAME/hosts).
    writeFileSync(`/etc/netns/${bed.client}/hosts`, `127.0.0.1 localhost\n${BED.clientDirect} client.example.test\n`);
    try {
      const v = startVpnc(options(bed, gw, { extraConfig: ['Local Addr client.example.test'] }));
      try {
        await v.waitForTunnel(30_000);
        expect(gw.log()).toMatch(/received packet: from 198\.51\.100\.2\[500\]/);
        const p = await ping(bed.client, BED.innerHost, 2);
        expect(p.received, p.output).toBe(2);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
      }
      const r = await runVpncToExit(options(bed, gw, { extraConfig: ['Local Addr nowhere.invalid'] }), 20_000);
      expect(r.output).toMatch(/^vpnc: --local-addr 'nowhere\.invalid': cannot resolve this host name to an IPv4 address$/m);
      expect(r.output).not.toMatch(/internal error|RangeError|    at /);
      expect({ code: r.code, signal: r.signal }).toEqual({ code: 1, signal: null });
    } finally {
      rmSync(`/etc/netns/${bed.client}/hosts`, { force: true });
    }
  });

  it('--target-network narrows quick mode to the inner network; --local-port 0 uses a random port', async () => {
    const v = startVpnc(options(bed, gw, { localPort: 0, extraConfig: ['IPSEC target network 203.0.113.0/255.255.255.0'] }));
    try {
      await v.waitForTunnel(30_000);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
      expect(gw.listSas()).toMatch(/203\.0\.113\.0\/24 === 192\.0\.2\.\d+\/32|remote +192\.0\.2\.\d+\/32/);
      const ports = [...gw.log().matchAll(/received packet: from 198\.51\.100\.2\[(\d+)\]/g)].map((m) => Number(m[1]));
      expect(ports.some((port) => port !== 500 && port !== 4500)).toBe(true);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  });
});
