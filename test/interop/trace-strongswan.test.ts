/**
 * The diagnostic trace on real interop sessions: our client (`node bin/vpnc.js`) against strongSwan with
 * --trace and --trace-keys, a ping through, two provoked drops, then tshark with the keys must show the
 * aggressive mode, the decrypted XAUTH and mode config attributes, quick mode, and the ICMP echo inside
 * decrypted ESP on the outer interface, the same echo in clear on the inner one, and a comment on each drop.
 * And the secrets: below debug 99 neither the group secret nor the XAUTH password appears anywhere we
 * write; at 99 they do, after vpnc's warning. Root; missing prerequisites fail, never skip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childExit, nsRun, nsSpawnPrivateRun, pidAlive, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { CHARON, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { readPidFile, startVpnc, vpncConfig, VPNC_SCRIPT, VPNC_UP_MARKER, type VpncRef, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
/** Distinctive secrets, so that a search for them cannot hit anything else. */
const GROUP_SECRET = 'Gr0up-S3cret-7f3a9c';
const PASSWORD = 'Xauth-Passw0rd-51e2d8';
const BOGUS_SPI = 'deadbeef';

/** XAUTH attributes (draft-beaulieu-ike-xauth) and mode config attributes (RFC 2409 draft) tshark must show. */
const XAUTH_USER_NAME = '16521';
const XAUTH_USER_PASSWORD = '16522';
const XAUTH_STATUS = '16527';
const INTERNAL_IP4_ADDRESS = '1';
const INTERNAL_IP4_DNS = '3';

/** The tunnel is up: the foreground message is out and the device carries a pool address (any debug level). */
async function waitUp(v: VpncRef, bed: Testbed): Promise<string> {
  return waitFor('our client up', () => {
    const out = v.output();
    if (!out.includes(VPNC_UP_MARKER)) return undefined;
    const line = nsRun(bed.client, 'ip', ['-o', '-4', 'addr', 'show']).split('\n').find((l) => l.includes(' 192.0.2.'));
    return line?.split(/\s+/)[1];
  }, 30_000).catch((err: Error) => {
    throw new Error(`${err.message}\n${v.output()}`);
  });
}

/** ESP in UDP with an SPI that is not ours, from the gateway's address to the client's NAT-T port. */
function injectUnknownSpi(bed: Testbed): void {
  const py = [
    'import socket',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    `s.bind(("${BED.gatewayOutside}", 0))`,
    `s.sendto(bytes.fromhex("${BOGUS_SPI}00000001") + bytes(48), ("${BED.clientDirect}", 4500))`,
  ].join('\n');
  nsRun(bed.gateway, 'python3', ['-c', py]);
}

function tshark(trace: string, keys: string, filter: string, fields: string[]): string[][] {
  const options = readFileSync(keys, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).flatMap((l) => ['-o', l]);
  const out = execFileSync('tshark', ['-n', '-r', trace, ...options, '-Y', filter, '-T', 'fields', '-E', 'separator=|', ...fields.flatMap((f) => ['-e', f])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out.trim().split('\n').filter(Boolean).map((l) => l.split('|'));
}

describe('diagnostic trace of our client against strongSwan', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  let base: VpncRefOptions;
  let dir: string;

  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'ping', 'tshark', 'python3']);
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-trace-'));
    bed = createTestbed({ nat: false });
    gw = await startStrongSwan({ netns: bed.gateway, groupSecret: GROUP_SECRET, users: [{ name: 'alice', password: PASSWORD }] });
    base = { netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: GROUP_SECRET, user: 'alice', password: PASSWORD, command: OURS };
  });
  afterAll(async () => {
    await gw?.stop();
    if (bed) destroyTestbed(bed);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tshark with the keys shows AM, decrypted XAUTH and mode config, QM, the echo in ESP and in clear, and commented drops', async () => {
    const trace = join(dir, 'session.pcapng');
    const keys = join(dir, 'session.keys');
    const v = startVpnc({ ...base, debug: 1, extraConfig: [`Trace file ${trace}`, `Trace keys file ${keys}`] });
    let output: string;
    try {
      const tun = await waitUp(v, bed);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
      // A packet into the tunnel addressed to the gateway itself: the client refuses it (routing loop).
      nsRun(bed.client, 'ping', ['-n', '-c', '1', '-W', '1', '-I', tun, BED.gatewayOutside], { allowFail: true });
      injectUnknownSpi(bed);
      await waitFor('both drops logged', () => (/routing loop/.test(v.output()) && /unknown SPI/.test(v.output()) ? true : undefined), 10_000);
    } finally {
      await v.stop();
      output = v.output();
    }

    const exchanges = tshark(trace, keys, 'isakmp', ['isakmp.exchangetype']).map(([t]) => t);
    expect(exchanges).toContain('4');
    expect(exchanges).toContain('6');
    expect(exchanges).toContain('32');
    const cfgAttrs = tshark(trace, keys, 'isakmp.exchangetype == 6', ['isakmp.cfg.attr.type']).flatMap(([t]) => t!.split(','));
    for (const a of [XAUTH_USER_NAME, XAUTH_USER_PASSWORD, XAUTH_STATUS, INTERNAL_IP4_ADDRESS, INTERNAL_IP4_DNS]) expect(cfgAttrs, `attribute ${a}`).toContain(a);

    const outerEcho = tshark(trace, keys, 'frame.interface_id == 0 && esp && icmp', ['icmp.type', 'ip.dst']);
    expect(outerEcho).toContainEqual(['8', `${BED.gatewayOutside},${BED.innerHost}`]);
    expect(outerEcho).toContainEqual(['0', `${BED.clientDirect},${BED.poolFirst}`]);
    const innerEcho = tshark(trace, keys, 'frame.interface_id == 1 && icmp && !frame.comment', ['icmp.type', 'ip.src', 'ip.dst']);
    expect(innerEcho).toContainEqual(['8', BED.poolFirst, BED.innerHost]);
    expect(innerEcho).toContainEqual(['0', BED.innerHost, BED.poolFirst]);

    const comments = tshark(trace, keys, 'frame.comment', ['frame.interface_id', 'frame.comment']);
    expect(comments).toContainEqual(['1', 'dropped: routing loop: packet to the gateway itself']);
    expect(comments).toContainEqual(['0', `dropped: unknown SPI 0x${BOGUS_SPI}`]);

    expect(output).toMatch(/trace: ESP SA 0x[0-9a-f]{8} inbound {2}\(AES-CBC-256\/HMAC-SHA1-96\): [1-9]\d* packets, \d+ bytes; no drops/);
    expect(output).toMatch(/trace: ESP SA 0x[0-9a-f]{8} outbound \(AES-CBC-256\/HMAC-SHA1-96\): [1-9]\d* packets, \d+ bytes; dropped: routing loop: packet to the gateway itself 1/);
    // The kernel's own IPv6 on the new device (no IPv6 from this gateway) finds no IPv6 SA: dropped, not sent in the IPv4 one.
    expect(output).toMatch(new RegExp(`trace: outside our SAs: dropped: (out: no IPv6 SA \\d+, )?in: unknown SPI 0x${BOGUS_SPI} 1`));
    // Timestamped, one event a line.
    expect(output).toMatch(/^vpnc: \d\d:\d\d:\d\d\.\d{3} IKE SA selected psk\+xauth-aes256-sha1$/m);
  }, 60_000);

  it('in the background (daemon) too: the trace is written until the daemon ends', async () => {
    const trace = join(dir, 'daemon.pcapng');
    const keys = join(dir, 'daemon.keys');
    const pidFile = join(dir, 'daemon.pid');
    const profile = join(dir, 'daemon.conf');
    const text = vpncConfig({ ...base, extraConfig: [`Trace file ${trace}`, `Trace keys file ${keys}`] }, pidFile).replace('No Detach\n', '');
    writeFileSync(profile, text, { mode: 0o600 });
    const fg = nsSpawnPrivateRun(bed.client, OURS[0]!, [...OURS.slice(1), profile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    fg.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    fg.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    expect(await childExit(fg), out).toEqual({ code: 0, signal: null });
    const pid = readPidFile(pidFile)!;
    expect(out).toContain(`VPNC started in background (pid: ${pid})...`);
    const p = await ping(bed.client, BED.innerHost, 1);
    expect(p.received, p.output).toBe(1);
    process.kill(pid, 'SIGTERM');
    await waitFor('daemon exit', () => (pidAlive(pid) ? undefined : true), 10_000);
    expect(tshark(trace, keys, 'frame.interface_id == 0 && esp && icmp', ['icmp.type']).map(([t]) => t)).toEqual(['8', '0']);
    expect(tshark(trace, keys, 'frame.interface_id == 1 && icmp', ['icmp.type']).map(([t]) => t)).toEqual(['8', '0']);
    // The DELETEs of the orderly end are in the trace: the file was closed after them.
    expect(tshark(trace, keys, 'isakmp.exchangetype == 5', ['isakmp.exchangetype']).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  for (const debug of [0, 1, 2, 3] as const) {
    it(`debug ${debug}: neither the group secret nor the password appears in the log, the trace or the keys file`, async () => {
      const runDir = mkdtempSync(join(dir, `d${debug}-`));
      const v = startVpnc({ ...base, debug, extraConfig: [`Trace file ${join(runDir, 't.pcapng')}`, `Trace keys file ${join(runDir, 'k')}`] });
      try {
        await waitUp(v, bed);
        const p = await ping(bed.client, BED.innerHost, 1);
        expect(p.received, p.output).toBe(1);
      } finally {
        await v.stop();
      }
      const written = readdirSync(runDir).map((f) => readFileSync(join(runDir, f)));
      expect(written.length).toBe(2);
      for (const secret of [GROUP_SECRET, PASSWORD]) {
        const hex = Buffer.from(secret).toString('hex');
        expect(v.output()).not.toContain(secret);
        expect(v.output()).not.toContain(hex);
        for (const bytes of written) {
          expect(bytes.includes(secret)).toBe(false);
          expect(bytes.toString('hex')).not.toContain(hex);
        }
      }
      if (debug === 3) expect(v.output()).toMatch(/sent ISAKMP to 198\.51\.100\.1:500: AGGRESSIVE\(4\)/);
      expect(v.output()).not.toContain('WARNING! active debug level is >= 99');
    }, 60_000);
  }

  it('debug 99: the warning, then the group secret and the password in the log', async () => {
    const v = startVpnc({ ...base, debug: 99 });
    try {
      await waitUp(v, bed);
    } finally {
      await v.stop();
    }
    const out = v.output();
    expect(out).toContain('WARNING! active debug level is >= 99, output includes username and password (hex encoded)');
    expect(out.indexOf('WARNING!')).toBeLessThan(out.indexOf(GROUP_SECRET));
    expect(out).toContain(`IPSec secret: "${GROUP_SECRET}"`);
    expect(out).toContain(`XAUTH reply password: "${PASSWORD}" (hex ${Buffer.from(PASSWORD).toString('hex')})`);
    expect(out).toMatch(/IKE SA key material/);
  }, 60_000);
});
