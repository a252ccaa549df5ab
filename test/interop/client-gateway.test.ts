/**
 * Our client against the project's own gateway in every NAT traversal mode (the gateway itself is proven by
 * Debian's vpnc in gateway-vpnc.test.ts), including the two that strongSwan cannot carry here: raw ESP and
 * Cisco UDP. Also runs the README's demo. Root; never skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Logger } from '../../src/log.js';
import { nsRun, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, startCapture, tcpTransferBothWays } from '../helpers/traffic.js';
import { startVpnc, VPNC_SCRIPT, type NattMode } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const BYTES = 4 << 20;

function gatewayConfig(netns: string, o: { split?: boolean; banner?: string } = {}): string {
  return [
    `Listen ${BED.gatewayOutside}`,
    'Group testgroup',
    'Group secret group-secret-42',
    'User alice wonderland',
    `Pool ${BED.poolFirst}-${BED.poolLast}`,
    `DNS ${BED.vpnDns}`,
    'Default domain corp.example',
    ...(o.split === false ? [] : [`Split include ${BED.innerNet}`]),
    ...(o.banner ? [`Banner ${o.banner}`] : []),
    'Cisco UDP port 10000',
    'Interface name gwc%d',
    `Netns ${netns}`,
    '',
  ].join('\n');
}

interface Bed {
  bed: Testbed;
  gw: Gateway;
  log: string[];
}

function bringUp(nat: boolean, o: { split?: boolean; banner?: string } = {}): Bed {
  requireRoot();
  requireBinaries([VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'nft', 'tcpdump', 'ping']);
  const bed = createTestbed({ nat, prefix: 'cg' });
  const log: string[] = [];
  try {
    const gw = Gateway.start(parseGatewayConfig(gatewayConfig(bed.gateway, o), 'client-gateway.conf'), { log: new Logger({ level: 1, sink: (l) => log.push(l) }) });
    return { bed, gw, log };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

/** The tcpdump filter matching how ESP must travel in each case, and our client's own words for it. */
const WIRE: Record<string, { filter: string; pattern: RegExp; transport: string }> = {
  raw: { filter: 'ip proto 50', pattern: /ESP\(spi=0x/, transport: 'ESP over raw' },
  udp: { filter: 'udp port 4500', pattern: /UDP-encap: ESP\(spi=0x/, transport: 'ESP over udp' },
  cisco: { filter: 'udp port 10000', pattern: /\.10000 > .*\.10000: UDP/, transport: 'ESP over cisco-udp' },
};

async function connectAndCarry(b: Bed, mode: NattMode, wire: keyof typeof WIRE): Promise<string> {
  const w = WIRE[wire]!;
  const capture = await startCapture(b.bed.client, b.bed.clientIf, w.filter);
  const v = startVpnc({ netns: b.bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', nattMode: mode, command: OURS });
  try {
    const tun = await v.waitForTunnel(20_000).catch((err: Error) => {
      throw new Error(`${err.message}\n--- gateway log ---\n${b.log.slice(-20).join('\n')}`);
    });
    expect(v.output()).toContain(w.transport);
    expect(nsRun(b.bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
    const p = await ping(b.bed.client, BED.innerHost, 3);
    expect(p.received, p.output).toBe(3);
    const { upload, download } = await tcpTransferBothWays(b.bed.client, b.bed.inner, BED.innerHost, BYTES);
    expect(upload.received).toEqual(upload.sent);
    expect(download.received).toEqual(download.sent);
    expect(upload.sent.bytes).toBe(BYTES);
  } finally {
    expect(await v.stop()).toEqual({ code: 0, signal: null });
  }
  await waitFor('gateway to forget the client', () => (b.gw.peerCount === 0 ? true : undefined), 5000);
  expect(readClientResolvConf(b.bed)).toBe(CLIENT_RESOLV_CONF);
  const lines = await capture.stop();
  expect(lines.some((l) => w.pattern.test(l)), lines.slice(0, 5).join('\n')).toBe(true);
  return v.output();
}

describe('our client against our gateway, no NAT', () => {
  let b: Bed;
  beforeAll(() => (b = bringUp(false)));
  afterAll(() => {
    b?.gw.close();
    if (b) destroyTestbed(b.bed);
  });

  it('natt without a NAT: NAT-D shows none, ESP goes raw (protocol 50)', async () => {
    const out = await connectAndCarry(b, 'natt', 'raw');
    expect(out).toContain('NAT status: NAT-T VID seen, no NAT device detected');
  });
  it('none: raw ESP', async () => {
    await connectAndCarry(b, 'none', 'raw');
  });
  it('force-natt: ESP in UDP 4500', async () => {
    const out = await connectAndCarry(b, 'force-natt', 'udp');
    expect(out).toContain('NAT status: this end behind NAT? YES');
  });
  it('cisco-udp: ESP in UDP 10000, IKE stays on 500', async () => {
    await connectAndCarry(b, 'cisco-udp', 'cisco');
  });
});

describe('our client against our gateway through a NAT router', () => {
  let b: Bed;
  beforeAll(() => (b = bringUp(true)));
  afterAll(() => {
    b?.gw.close();
    if (b) destroyTestbed(b.bed);
  });

  it('natt: detects the NAT and floats to UDP 4500', async () => {
    const out = await connectAndCarry(b, 'natt', 'udp');
    expect(out).toContain('NAT status: this end behind NAT? YES');
  });
});

describe('full tunnel, and a hostile banner, with our vpnc-script', () => {
  const MARK = `/tmp/vpnc-ts-banner-${process.pid}`;
  const BANNER = `Hello $(touch ${MARK}-a) \`touch ${MARK}-b\` '; touch ${MARK}-c; echo "x`;
  let b: Bed;
  beforeAll(() => (b = bringUp(false, { split: false, banner: BANNER })));
  afterAll(() => {
    b?.gw.close();
    if (b) destroyTestbed(b.bed);
    for (const s of ['a', 'b', 'c']) rmSync(`${MARK}-${s}`, { force: true });
  });

  it('routes everything through the tunnel, keeps the gateway reachable, restores the default route, and runs nothing from the banner', async () => {
    const before = nsRun(b.bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']);
    const v = startVpnc({ netns: b.bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, script: join(ROOT, 'scripts', 'vpnc-script') });
    try {
      const tun = await v.waitForTunnel(20_000);
      expect(nsRun(b.bed.client, 'ip', ['route', 'get', '192.0.2.200'])).toContain(`dev ${tun.device}`);
      expect(nsRun(b.bed.client, 'ip', ['route', 'get', BED.gatewayOutside])).not.toContain(`dev ${tun.device}`);
      const p = await ping(b.bed.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
      expect(v.output()).toContain(BANNER);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
    expect(nsRun(b.bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all'])).toBe(before);
    expect(readClientResolvConf(b.bed)).toBe(CLIENT_RESOLV_CONF);
    for (const s of ['a', 'b', 'c']) expect(existsSync(`${MARK}-${s}`)).toBe(false);
  });
});

describe('the README demo', () => {
  it('npm run demo connects, carries traffic, disconnects and restores everything', () => {
    requireRoot();
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh')], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('VPNC started in background');
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.stdout).toMatch(/8\.0 MiB received over TCP in [\d.]+ s; sha256 matches/);
    expect(r.stdout).toContain('identical to before the connection');
  });

  it('npm run demo -- --cert does the same with certificates: main mode with RSA signatures, then XAUTH', () => {
    requireRoot();
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh'), '--cert'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/main mode from 198\.51\.100\.2:500\n/);
    expect(r.stdout).toMatch(/phase 1 established \(rsa\+xauth-[\w-]+, O=vpnc-ts demo, CN=alice\)/);
    expect(r.stderr).toContain('gateway certificate verified: "O=vpnc-ts demo, CN=gateway.demo.example" <- "O=vpnc-ts demo, CN=Demo CA"');
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received/);
    expect(r.stdout).toMatch(/8\.0 MiB received over TCP in [\d.]+ s; sha256 matches/);
    expect(r.stdout).toContain('identical to before the connection');
  });

  it('an unknown argument: exit 1 in one line, nothing set up', () => {
    const r = spawnSync('bash', [join(ROOT, 'scripts', 'demo.sh'), '--psk'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([1, "demo: unknown argument '--psk' (the only one is --cert)\n"]);
  });
});
