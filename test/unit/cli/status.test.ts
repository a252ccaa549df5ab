/**
 * `vpnc --status`: the command line, the control socket (a real Unix socket in a temp dir, served and asked
 * in-process), and the text a person reads.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/config/args.js';
import { UsageError, VpncError } from '../../../src/errors.js';
import { controlPathFor, requestStatus, serveControl } from '../../../src/cli/control-socket.js';
import { formatStatus } from '../../../src/cli/status.js';
import type { TunnelStatus } from '../../../src/session/status.js';

const dir = mkdtempSync(join(tmpdir(), 'vpnc-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STATUS: TunnelStatus = {
  version: 1,
  pid: 4242,
  stage: 'up',
  uptimeSeconds: 75,
  gateway: '198.51.100.1',
  localAddress: '198.51.100.2',
  transport: 'udp',
  ports: { local: 4500, remote: 4500 },
  tunnel: { device: 'tun0', address: '192.0.2.10', mtu: 1422, routes: ['203.0.113.0/24'], dns: ['203.0.113.53'] },
  ikeSa: { cookies: '0011223344556677/8899aabbccddeeff', transform: 'psk+xauth-aes256-sha1', ageSeconds: 75, secondsLeft: 28725 },
  espSas: [
    { direction: 'in', spi: '0badf00d', transform: 'AES-CBC-256/HMAC-SHA1-96', inUse: true, ageSeconds: 75, secondsLeft: 3525, kilobytesLeft: null, packets: 10, bytes: 840, drops: { replay: 1 } },
    { direction: 'out', spi: 'cafe0001', transform: 'AES-CBC-256/HMAC-SHA1-96', inUse: true, ageSeconds: 75, secondsLeft: 3525, kilobytesLeft: null, packets: 1, bytes: 84, drops: {} },
  ],
  traffic: { espSent: 512, espReceived: 0, drops: { unknownSpi: 0, routingLoop: 2, notSent: 0, sendFailed: 0 } },
  dpd: { enabled: true, probing: false, lastHeardSecondsAgo: 3, lastIkeSecondsAgo: null },
  events: { espRekeys: 1, reauthentications: 0, reconnects: 0, mtuChanges: 1 },
  process: { rssKb: 61234, heapUsedKb: 8123, fds: 23, resources: { Timeout: 3, UDPWRAP: 1, PipeWrap: 2 } },
};

describe('vpnc --status: the command line', () => {
  it('--status takes a profile or --pid-file, and --json; --json alone is refused', () => {
    expect(parseArgs(['--status', 'work'])).toMatchObject({ action: 'status', json: false, profiles: ['work'] });
    const a = parseArgs(['--status', '--json', '--pid-file', '/run/x.pid']);
    expect(a).toMatchObject({ action: 'status', json: true });
    expect(a.settings.get('pidFile')?.value).toBe('/run/x.pid');
    expect(() => parseArgs(['--json'])).toThrow(UsageError);
    expect(parseArgs(['work']).action).toBe('run');
  });
});

describe('vpnc --status: the control socket', () => {
  it('answers `status` with the JSON status; the socket is mode 0600 and gone after close()', async () => {
    const path = controlPathFor(join(dir, 'a.pid'));
    expect(path).toBe(join(dir, 'a.pid.ctl'));
    const server = serveControl(path, () => STATUS, (m) => {
      throw new Error(m);
    });
    await new Promise((r) => setTimeout(r, 50));
    try {
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(await requestStatus(path)).toEqual(STATUS);
    } finally {
      server.close();
    }
    await expect(requestStatus(path)).rejects.toThrow(/no running client here/);
  });

  it('replaces a stale socket file left by a killed client; before the tunnel is up it says so', async () => {
    const path = join(dir, 'b.pid.ctl');
    writeFileSync(path, 'stale');
    const server = serveControl(path, () => undefined, () => {});
    await new Promise((r) => setTimeout(r, 50));
    try {
      const err = await requestStatus(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VpncError);
      expect((err as VpncError).code).toBe('VPNC_ERR_CONTROL');
      expect((err as Error).message).toBe(`${path}: the tunnel is not up yet`);
    } finally {
      server.close();
    }
  });

  it('an unknown or overlong request gets an error line, not a status', async () => {
    const path = join(dir, 'c.pid.ctl');
    const server = serveControl(path, () => STATUS, () => {});
    await new Promise((r) => setTimeout(r, 50));
    const ask = (text: string) =>
      new Promise<string>((resolve) => {
        const s = createConnection(path);
        let got = '';
        s.setEncoding('utf8');
        s.on('connect', () => s.write(text));
        s.on('data', (d: string) => (got += d));
        s.on('end', () => resolve(got));
      });
    try {
      expect(JSON.parse(await ask('keys\n'))).toEqual({ error: 'unknown request "keys"' });
      expect(JSON.parse(await ask('x'.repeat(100)))).toEqual({ error: 'request too long' });
    } finally {
      server.close();
    }
  });
});

describe('vpnc --status: the text', () => {
  it('one aspect a line: gateway and path, tunnel, uptime and events, each SA, traffic, DPD', () => {
    expect(formatStatus(STATUS).split('\n')).toEqual([
      'gateway     198.51.100.1, ESP over udp (ports 4500 -> 4500), from 198.51.100.2',
      'tunnel      tun0 192.0.2.10, MTU 1422; routes 203.0.113.0/24; DNS 203.0.113.53',
      'up          75 s (stage up, pid 4242); 1 ESP rekey, 0 re-authentications, 0 reconnects',
      'ISAKMP SA   0011223344556677/8899aabbccddeeff psk+xauth-aes256-sha1, age 75 s, 28725 s left',
      'ESP SA in   0x0badf00d AES-CBC-256/HMAC-SHA1-96, age 75 s, 3525 s left, no kB limit; 10 packets, 840 bytes, drops: replay 1',
      'ESP SA out  0xcafe0001 AES-CBC-256/HMAC-SHA1-96, age 75 s, 3525 s left, no kB limit; 1 packet, 84 bytes, no drops',
      'traffic     ESP out 512, in 0; drops: routing loop 2',
      'DPD         on; gateway last heard 3 s ago, IKE never',
      'process     RSS 61234 kB, heap 8123 kB, 23 descriptors; Node resources: PipeWrap 2, Timeout 3, UDPWRAP 1',
      '',
    ]);
  });
});
