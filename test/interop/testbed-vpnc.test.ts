/**
 * The test bed proven with Debian's real vpnc against a strongSwan gateway acting as a Cisco concentrator
 * (root, network namespaces; see test/interop/README.md). Missing root or binaries fail the file: never skipped.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listNetns, nsRun, pidAlive, requireBinaries, requireRoot } from '../helpers/netns.js';
import { CHARON, IKE_PROPOSALS, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, startCapture, tcpTransferBothWays } from '../helpers/traffic.js';
import { readPidFile, runVpncToExit, startVpnc, strongSwanClient, VPNC, VPNC_SCRIPT, type VpncRefOptions } from '../helpers/vpnc-ref.js';
import { envRecordingScript } from '../helpers/vpnc-ref.js';

const PREREQUISITES = [CHARON, SWANCTL, VPNC, VPNC_SCRIPT, 'ip', 'unshare', 'mount', 'stdbuf', 'nft', 'tcpdump', 'ping', 'sysctl'];
const TRANSFER_BYTES = 4 << 20;

function checkPrerequisites(): void {
  requireRoot();
  requireBinaries(PREREQUISITES);
}

/** vpnc options matching the gateway's account, for the bed's client namespace. */
function clientOptions(bed: Testbed, gw: StrongSwanGateway, extra: Partial<VpncRefOptions> = {}): VpncRefOptions {
  return strongSwanClient(bed.client, gw, extra);
}


async function bringUp(nat: boolean, gatewayOptions: Omit<Parameters<typeof startStrongSwan>[0], 'netns'> = {}): Promise<{ bed: Testbed; gw: StrongSwanGateway }> {
  checkPrerequisites();
  const bed = createTestbed({ nat });
  try {
    return { bed, gw: await startStrongSwan({ netns: bed.gateway, ...gatewayOptions }) };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

async function tearDown(bed: Testbed | undefined, gw: StrongSwanGateway | undefined): Promise<void> {
  await gw?.stop();
  if (bed) destroyTestbed(bed);
}

describe('Debian vpnc against strongSwan (direct)', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(false)));
  afterAll(() => tearDown(bed, gw));

  for (const mode of ['natt', 'force-natt'] as const) {
    it(`${mode}: tunnel up, script env, ping and ${TRANSFER_BYTES >> 20} MiB each way with matching sha256`, async () => {
      const script = envRecordingScript();
      const capture = await startCapture(bed.gateway, bed.gatewayOutsideIf, 'udp port 4500');
      const vpnc = startVpnc(clientOptions(bed, gw, { nattMode: mode, script: script.path, configVia: mode === 'natt' ? 'stdin' : 'file' }));
      try {
        const tun = await vpnc.waitForTunnel();
        expect(tun.address).toMatch(/^192\.0\.2\.(1\d|[2-4]\d|50)$/);
        expect(readPidFile(vpnc.pidFile)).toBe(vpnc.pid);
        // No NAT here: in natt mode vpnc's own NAT-D check says so (force-natt claims one); libipsec's faked
        // NAT-D makes the gateway look NATed, so vpnc floats to 4500 in both modes.
        const selfNat = mode === 'natt' ? 'no' : 'YES';
        expect(vpnc.output()).toContain(`NAT status: this end behind NAT? ${selfNat} -- remote end behind NAT? YES`);

        const env = script.env('connect');
        expect(env.get('TUNDEV')).toBe(tun.device);
        expect(env.get('VPNGATEWAY')).toBe(BED.gatewayOutside);
        expect(env.get('INTERNAL_IP4_ADDRESS')).toBe(tun.address);
        expect(env.get('INTERNAL_IP4_DNS')).toBe(BED.vpnDns);
        expect(env.get('CISCO_BANNER')).toBe(gw.options.banner);
        expect(env.get('CISCO_DEF_DOMAIN')).toBe(gw.options.defaultDomain);
        expect(env.get('CISCO_SPLIT_INC')).toBe('1');
        expect(env.get('CISCO_SPLIT_INC_0_ADDR')).toBe('203.0.113.0');
        expect(env.get('CISCO_SPLIT_INC_0_MASKLEN')).toBe('24');
        expect(nsRun(bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
        expect(readClientResolvConf(bed)).toContain(`nameserver ${BED.vpnDns}`);

        const pinged = await ping(bed.client, BED.innerHost, 3);
        expect(pinged.received, pinged.output).toBe(3);

        const { upload, download } = await tcpTransferBothWays(bed.client, bed.inner, BED.innerHost, TRANSFER_BYTES);
        expect(upload.received).toEqual(upload.sent);
        expect(download.received).toEqual(download.sent);
        expect(upload.sent.bytes).toBe(TRANSFER_BYTES);
        expect(download.sent.bytes).toBe(TRANSFER_BYTES);

        const sas = gw.listSas();
        expect(sas).toMatch(/ESTABLISHED/);
        expect(sas).toMatch(/INSTALLED, TUNNEL-in-UDP/);
        expect(sas).toContain(`${tun.address}/32`);
        expect(await vpnc.stop()).toEqual({ code: 0, signal: null });
        const lines = await capture.stop();
        expect(lines.some((l) => /198\.51\.100\.2\.4500 > 198\.51\.100\.1\.4500: UDP-encap: ESP\(spi=0x/.test(l))).toBe(true);
        expect(script.env('disconnect').get('reason')).toBe('disconnect');
        expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
        expect(nsRun(bed.client, 'ip', ['-o', 'link', 'show'])).not.toMatch(/tun\d/);
      } finally {
        await vpnc.stop();
        await capture.stop();
        rmSync(script.dir, { recursive: true, force: true });
      }
    });
  }

  it('a wrong group secret makes vpnc exit 2 (HASH_R does not verify)', async () => {
    const result = await runVpncToExit(clientOptions(bed, gw, { groupSecret: 'not-the-group-secret' }));
    expect(result.output).toMatch(/hash comparison failed/);
    expect(result.output).toMatch(/check group password/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 2, signal: null });
    expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
  });

  it('a wrong XAUTH password makes vpnc exit 2 (XAUTH status FAIL)', async () => {
    const result = await runVpncToExit(clientOptions(bed, gw, { password: 'not-the-password' }));
    expect(result.output).toMatch(/authentication unsuccessful/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 2, signal: null });
    expect(gw.log()).toMatch(/XAuth authentication of 'alice' failed/);
  });
});

describe('Debian vpnc through a masquerading NAT router', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(true)));
  afterAll(() => tearDown(bed, gw));

  it('detects the NAT, floats IKE and ESP to UDP 4500 and carries traffic', async () => {
    const seenByGateway = await startCapture(bed.gateway, bed.gatewayOutsideIf, 'udp');
    const sentByClient = await startCapture(bed.client, bed.clientIf, 'udp');
    const vpnc = startVpnc(clientOptions(bed, gw, { nattMode: 'natt', debug: 2 }));
    try {
      await vpnc.waitForTunnel();
      const pinged = await ping(bed.client, BED.innerHost, 3);
      expect(pinged.received, pinged.output).toBe(3);
    } finally {
      expect(await vpnc.stop()).toEqual({ code: 0, signal: null });
    }
    const atGateway = await seenByGateway.stop();
    const atClient = await sentByClient.stop();
    expect(vpnc.output()).toMatch(/NAT status: this end behind NAT\? YES/);
    expect(vpnc.output()).toMatch(/NAT-T mode: 2/);
    // The client floats its own socket from 500 to 4500 ...
    expect(atClient.some((l) => /198\.51\.100\.130\.500 > 198\.51\.100\.1\.500: isakmp/.test(l))).toBe(true);
    expect(atClient.some((l) => /198\.51\.100\.130\.4500 > 198\.51\.100\.1\.4500: UDP-encap: ESP/.test(l))).toBe(true);
    // ... and the gateway only ever sees the router's address: the masquerade is real.
    expect(atGateway.some((l) => /198\.51\.100\.2\.\d+ > 198\.51\.100\.1\.4500: UDP-encap: ESP/.test(l))).toBe(true);
    expect(atGateway.some((l) => l.includes('198.51.100.130'))).toBe(false);
    expect(gw.log()).toMatch(/remote host is behind NAT/);
    expect(gw.log()).toMatch(/IKE_SA cisco\[\d+\] established between 198\.51\.100\.1\[198\.51\.100\.1\]\.\.\.198\.51\.100\.2\[testgroup\]/);
  });
});

describe('legacy proposals with PFS', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(false, { ikeProposals: IKE_PROPOSALS.legacy, espProposals: '3des-md5', pfsGroup: 'modp1024' })));
  afterAll(() => tearDown(bed, gw));

  it('3des-md5-modp1024 with quick-mode PFS (dh2) carries traffic', async () => {
    const vpnc = startVpnc(clientOptions(bed, gw, { pfs: 'dh2', enableWeakEncryption: true, enableWeakAuthentication: true }));
    try {
      await vpnc.waitForTunnel();
      const pinged = await ping(bed.client, BED.innerHost, 2);
      expect(pinged.received, pinged.output).toBe(2);
      expect(vpnc.output()).toMatch(/IKE SA selected psk\+xauth-3des-md5/);
      expect(vpnc.output()).toMatch(/IPSEC SA selected 3des-md5/);
      expect(gw.listSas()).toMatch(/3DES_CBC\/HMAC_MD5_96\/MODP_1024/);
    } finally {
      expect(await vpnc.stop()).toEqual({ code: 0, signal: null });
    }
  });

  it('without PFS on the client the gateway refuses quick mode and vpnc exits 1', async () => {
    const result = await runVpncToExit(clientOptions(bed, gw, { pfs: 'nopfs', enableWeakEncryption: true, enableWeakAuthentication: true }));
    expect(result.output).toMatch(/NO_PROPOSAL_CHOSEN/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
  });
});

describe('a SHA-2 gateway (aes128-sha256-modp2048), which vpnc 0.5.3 cannot speak', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  beforeAll(async () => ({ bed, gw } = await bringUp(false, { ikeProposals: IKE_PROPOSALS.sha256, espProposals: 'aes128-sha256' })));
  afterAll(() => tearDown(bed, gw));

  it('refuses every vpnc phase-1 proposal with NO_PROPOSAL_CHOSEN and vpnc exits 1', async () => {
    const result = await runVpncToExit(clientOptions(bed, gw, { dhGroup: 'dh14' }));
    // vpnc reads the INFORMATIONAL (N(NO_PROP)) where it expects AM2 and reports it as an invalid response.
    expect(result.output).toMatch(/response was invalid/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 1, signal: null });
    expect(gw.log()).toContain('configured proposals: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048');
    expect(gw.log()).toMatch(/no proposal found/);
  });
});

describe('teardown', () => {
  it('leaves no namespaces, processes, resolv.conf or temp dirs behind', async () => {
    const { bed, gw } = await bringUp(true);
    const vpnc = startVpnc(clientOptions(bed, gw));
    let pids: number[] = [];
    try {
      await vpnc.waitForTunnel();
      pids = [gw.pid, vpnc.pid];
      expect(pids.every(pidAlive)).toBe(true);
    } finally {
      await vpnc.stop();
      await tearDown(bed, gw);
    }
    const left = listNetns();
    expect(bed.namespaces.filter((ns) => left.includes(ns))).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(existsSync(`/etc/netns/${bed.client}`)).toBe(false);
    expect(existsSync(gw.dir) || existsSync(vpnc.dir)).toBe(false);
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith('vpnc-ts-tcp-'))).toEqual([]);
  });
});
