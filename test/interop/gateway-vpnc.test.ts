/**
 * Our gateway (src/gateway) proven with Debian's real vpnc in all four NAT traversal modes (root, network
 * namespaces; see test/interop/README.md). The gateway runs inside this test process with its sockets and
 * TUN device opened in the bed's gateway namespace; vpnc runs with Debian's vpnc-script in the client
 * namespace (private /run and resolv.conf). Missing root or binaries fail the file: never skipped.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Logger } from '../../src/log.js';
import { listNetns, nsRun, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, startCapture, tcpTransferBothWays } from '../helpers/traffic.js';
import { runVpncToExit, startVpnc, VPNC, VPNC_SCRIPT, type NattMode, type VpncRefOptions } from '../helpers/vpnc-ref.js';
import { envRecordingScript } from '../helpers/vpnc-ref.js';

const PREREQUISITES = [VPNC, VPNC_SCRIPT, 'ip', 'unshare', 'mount', 'stdbuf', 'nft', 'tcpdump', 'ping', 'sysctl'];
const TRANSFER_BYTES = 2 << 20;
const GROUP = 'testgroup';
const GROUP_SECRET = 'group-secret-42';
const USER = 'alice';
const PASSWORD = 'wonderland';
const BANNER = 'Welcome to the vpnc-ts test gateway';
const DOMAIN = 'corp.example';

function gatewayConfigText(netns: string, dpdIdle: number): string {
  return [
    '# test gateway',
    `Listen ${BED.gatewayOutside}`,
    `Group ${GROUP}`,
    `Group secret ${GROUP_SECRET}`,
    `User ${USER} ${PASSWORD}`,
    'User bob builder',
    `Pool ${BED.poolFirst}-${BED.poolLast}`,
    'Netmask 255.255.255.0',
    `DNS ${BED.vpnDns}`,
    'NBNS 203.0.113.137',
    `Default domain ${DOMAIN}`,
    `Banner "${BANNER}"`,
    `Split include ${BED.innerNet}`,
    `Split DNS ${DOMAIN}`,
    'Cisco UDP port 10000',
    `DPD ${dpdIdle}`,
    'Interface name gwt%d',
    `Netns ${netns}`,
    '',
  ].join('\n');
}

interface Running {
  bed: Testbed;
  gw: Gateway;
  log: string[];
}

function bringUp(nat: boolean, dpdIdle = 30): Running {
  requireRoot();
  requireBinaries(PREREQUISITES);
  const bed = createTestbed({ nat, prefix: 'gv' });
  const log: string[] = [];
  try {
    const config = parseGatewayConfig(gatewayConfigText(bed.gateway, dpdIdle), 'gateway-test.conf');
    const gw = Gateway.start(config, { log: new Logger({ level: 2, sink: (l) => log.push(l) }) });
    return { bed, gw, log };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

function tearDown(r: Running | undefined): void {
  r?.gw.close();
  if (r) destroyTestbed(r.bed);
}

function clientOptions(bed: Testbed, extra: Partial<VpncRefOptions> = {}): VpncRefOptions {
  return { netns: bed.client, gateway: BED.gatewayOutside, group: GROUP, groupSecret: GROUP_SECRET, user: USER, password: PASSWORD, ...extra };
}

/** Connects vpnc, checks the tunnel with ping and a TCP transfer each way, disconnects; returns vpnc's output. */
async function connectAndCarry(
  r: Running,
  mode: NattMode,
  opts: { beforeStop?: (output: () => string) => Promise<unknown>; script?: string } = {},
): Promise<{ output: string; address: string }> {
  const vpnc = startVpnc(clientOptions(r.bed, { nattMode: mode, debug: 2, ...(opts.script ? { script: opts.script } : {}) }));
  try {
    const tun = await vpnc.waitForTunnel(20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- gateway log ---\n${r.log.slice(-30).join('\n')}`);
    });
    expect(tun.address).toMatch(/^192\.0\.2\.(1\d|[2-4]\d|50)$/);
    expect(nsRun(r.bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
    const pinged = await ping(r.bed.client, BED.innerHost, 3);
    expect(pinged.received, `${pinged.output}\n${r.log.slice(-20).join('\n')}`).toBe(3);
    const { upload, download } = await tcpTransferBothWays(r.bed.client, r.bed.inner, BED.innerHost, TRANSFER_BYTES);
    expect(upload.sent.bytes).toBe(TRANSFER_BYTES);
    expect(upload.received).toEqual(upload.sent);
    expect(download.sent.bytes).toBe(TRANSFER_BYTES);
    expect(download.received).toEqual(download.sent);
    expect(r.gw.peerCount).toBe(1);
    expect(readClientResolvConf(r.bed)).toContain(`nameserver ${BED.vpnDns}`);
    await opts.beforeStop?.(vpnc.output);
    expect(await vpnc.stop()).toEqual({ code: 0, signal: null });
    // vpnc's DELETEs on exit make the gateway forget the client and free its address.
    await waitFor('gateway to forget the client', () => (r.gw.peerCount === 0 ? true : undefined), 5000);
    expect(r.gw.dataPlane.size).toBe(0);
    expect(readClientResolvConf(r.bed)).toBe(CLIENT_RESOLV_CONF);
    return { output: vpnc.output(), address: tun.address };
  } finally {
    await vpnc.stop();
  }
}


const hasLine = (lines: string[], re: RegExp): boolean => lines.some((l) => re.test(l));

describe('Debian vpnc against our gateway (direct)', () => {
  let r: Running;
  beforeAll(() => {
    r = bringUp(false);
  });
  afterAll(() => tearDown(r));

  it('natt without a NAT: NAT-D says so, ESP is raw protocol 50; mode config reaches vpnc-script', async () => {
    const esp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'ip proto 50');
    const udp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'udp port 4500 or udp port 10000');
    const script = envRecordingScript();
    let result: { output: string; address: string };
    try {
      result = await connectAndCarry(r, 'natt', { script: script.path });
      const env = script.env('connect');
      expect(env.get('INTERNAL_IP4_ADDRESS')).toBe(result.address);
      expect(env.get('INTERNAL_IP4_NETMASK')).toBe('255.255.255.0');
      expect(env.get('INTERNAL_IP4_DNS')).toBe(BED.vpnDns);
      expect(env.get('INTERNAL_IP4_NBNS')).toBe('203.0.113.137');
      expect(env.get('CISCO_DEF_DOMAIN')).toBe(DOMAIN);
      expect(env.get('CISCO_BANNER')).toBe(BANNER);
      expect(env.get('CISCO_SPLIT_DNS')).toBe(DOMAIN);
      expect(env.get('CISCO_SPLIT_INC')).toBe('1');
      expect(env.get('CISCO_SPLIT_INC_0_ADDR')).toBe('203.0.113.0');
      expect(env.get('CISCO_SPLIT_INC_0_MASKLEN')).toBe('24');
      expect(script.env('disconnect').get('reason')).toBe('disconnect');
    } finally {
      rmSync(script.dir, { recursive: true, force: true });
    }
    const { output, address } = result;
    const espLines = await esp.stop();
    const udpLines = await udp.stop();
    expect(output).toContain('NAT status: NAT-T VID seen, no NAT device detected');
    expect(output).toContain(`got address ${address}`);
    expect(output).toContain(BANNER);
    // vpnc sends R-U-THERE as soon as the tunnel is up (both sides announced DPD); the gateway answers.
    expect(output).toContain('got r-u-there ack');
    expect(output).toMatch(/IKE SA selected psk\+xauth-aes256-sha1/);
    expect(output).toMatch(/IPSEC SA selected aes256-sha1/);
    expect(hasLine(espLines, /198\.51\.100\.2 > 198\.51\.100\.1: ESP\(spi=0x/)).toBe(true);
    expect(hasLine(espLines, /198\.51\.100\.1 > 198\.51\.100\.2: ESP\(spi=0x/)).toBe(true);
    expect(udpLines).toEqual([]);
    expect(r.log.join('\n')).toMatch(/via raw ESP to 198\.51\.100\.2/);
  });

  it('force-natt: floats to UDP 4500 although there is no NAT', async () => {
    const udp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'udp port 4500');
    const { output } = await connectAndCarry(r, 'force-natt');
    const lines = await udp.stop();
    expect(output).toContain('NAT status: this end behind NAT? YES -- remote end behind NAT? no');
    expect(hasLine(lines, /198\.51\.100\.2\.4500 > 198\.51\.100\.1\.4500: UDP-encap: ESP\(spi=0x/)).toBe(true);
    expect(hasLine(lines, /198\.51\.100\.1\.4500 > 198\.51\.100\.2\.4500: UDP-encap: ESP\(spi=0x/)).toBe(true);
  });

  it('none: no NAT-T at all, raw protocol 50', async () => {
    const esp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'ip proto 50');
    const udp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'udp port 4500');
    const { output } = await connectAndCarry(r, 'none');
    const espLines = await esp.stop();
    expect(output).toContain('NAT status: no NAT-T VID seen');
    expect(hasLine(espLines, /198\.51\.100\.2 > 198\.51\.100\.1: ESP\(spi=0x/)).toBe(true);
    expect(await udp.stop()).toEqual([]);
  });

  it('cisco-udp: the gateway names its port in mode config, ESP travels in UDP 10000 both ways', async () => {
    const udp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'udp port 10000');
    const esp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'ip proto 50');
    const { output } = await connectAndCarry(r, 'cisco-udp');
    const lines = await udp.stop();
    expect(output).toContain('got peer udp encapsulation port: 10000');
    expect(hasLine(lines, /198\.51\.100\.2\.10000 > 198\.51\.100\.1\.10000: /)).toBe(true);
    expect(hasLine(lines, /198\.51\.100\.1\.10000 > 198\.51\.100\.2\.10000: /)).toBe(true);
    expect(await esp.stop()).toEqual([]);
    expect(r.log.join('\n')).toMatch(/via Cisco UDP to 198\.51\.100\.2:10000/);
  });

  it('a wrong group secret makes vpnc exit 2 (HASH_R does not verify)', async () => {
    const result = await runVpncToExit(clientOptions(r.bed, { groupSecret: 'not-the-group-secret' }));
    expect(result.output).toMatch(/hash comparison failed/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 2, signal: null });
    expect(readClientResolvConf(r.bed)).toBe(CLIENT_RESOLV_CONF);
  });

  it('a wrong XAUTH password makes vpnc exit 2 (XAUTH status FAIL)', async () => {
    const result = await runVpncToExit(clientOptions(r.bed, { password: 'not-the-password' }));
    expect(result.output).toMatch(/authentication unsuccessful/);
    expect({ code: result.code, signal: result.signal }).toEqual({ code: 2, signal: null });
    expect(r.log.join('\n')).toMatch(/XAUTH for user "alice" REFUSED/);
    // vpnc ACKs the failed status before it exits; the ACK makes the gateway forget that client.
    await waitFor('gateway to drop the refused client', () => (r.log.some((l) => /gone: XAUTH refused for "alice"/.test(l)) ? true : undefined), 5000);
  });
});

describe('Debian vpnc against our gateway through a masquerading NAT router', () => {
  let r: Running;
  beforeAll(() => {
    r = bringUp(true, 2);
  });
  afterAll(() => tearDown(r));

  it('natt: both sides see the NAT, vpnc floats IKE and ESP to UDP 4500 and carries traffic', async () => {
    const udp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'udp');
    const esp = await startCapture(r.bed.gateway, r.bed.gatewayOutsideIf, 'ip proto 50');
    // DPD 2: once the tunnel is idle for 2 s the gateway asks R-U-THERE through the NAT, and vpnc answers.
    const idle = (output: () => string) => waitFor('gateway R-U-THERE answered', () => (output().includes('got r-u-there request sent ack') ? true : undefined), 8000);
    const { output } = await connectAndCarry(r, 'natt', { beforeStop: idle });
    const lines = await udp.stop();
    expect(output).toContain('NAT status: this end behind NAT? YES -- remote end behind NAT? no');
    expect(output).toMatch(/NAT-T mode: 2/);
    expect(hasLine(lines, /198\.51\.100\.2\.\d+ > 198\.51\.100\.1\.4500: UDP-encap: ESP\(spi=0x/)).toBe(true);
    expect(lines.some((l) => l.includes('198.51.100.130'))).toBe(false);
    expect(await esp.stop()).toEqual([]);
    expect(r.log.join('\n')).toMatch(/initiator behind NAT/);
  });
});

describe('teardown', () => {
  it('stopping the gateway deletes the ISAKMP SA: vpnc ends by itself; nothing is left behind', async () => {
    const r = bringUp(false);
    const vpnc = startVpnc(clientOptions(r.bed, { nattMode: 'natt' }));
    try {
      await vpnc.waitForTunnel(20_000);
      const tunName = r.gw.tun.name;
      expect(nsRun(r.bed.gateway, 'ip', ['-o', 'link', 'show'])).toContain(tunName);
      await r.gw.stop();
      const status = await Promise.race([vpnc.exited, new Promise<undefined>((res) => setTimeout(() => res(undefined), 10_000))]);
      expect(status, vpnc.output()).toEqual({ code: 0, signal: null });
      expect(vpnc.output()).toContain('connection terminated by peer');
      expect(nsRun(r.bed.gateway, 'ip', ['-o', 'link', 'show'])).not.toContain(tunName);
      expect(readClientResolvConf(r.bed)).toBe(CLIENT_RESOLV_CONF);
    } finally {
      await vpnc.stop();
      tearDown(r);
    }
    expect(r.bed.namespaces.filter((ns) => listNetns().includes(ns))).toEqual([]);
  });
});
