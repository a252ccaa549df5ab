/**
 * `vpnc --status` on a running tunnel (ours against the project's gateway): the text and the JSON, counters that
 * move with traffic (a ping of N packets raises ESP out and in by N), and the refusal of a caller who is not
 * root, in one line. Root; never skipped.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import type { TunnelStatus } from '../../src/session/status.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { startVpnc, type VpncRef } from '../helpers/vpnc-ref.js';

const BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js');
const run = promisify(execFile);
const N = 7;

/** `vpnc --status ARGS`, as root or as nobody; never throws for a non-zero exit. */
async function status(args: string[], asNobody = false): Promise<{ code: number; stdout: string; stderr: string }> {
  const [cmd, argv] = asNobody ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'node', BIN, '--status', ...args]] : ['node', [BIN, '--status', ...args]];
  try {
    const r = await run(cmd as string, argv as string[], { timeout: 15_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('vpnc --status', () => {
  let bed: Testbed;
  let gw: Gateway;
  let v: VpncRef;
  beforeAll(async () => {
    requireRoot();
    requireBinaries(['setpriv']);
    bed = createTestbed({ prefix: 'st' });
    gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`, `Split include ${BED.innerNet}`, 'Interface name gws%d'], { name: 'status.conf', log: [] });
    v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: ['node', BIN] });
    await v.waitForTunnel(20_000);
  });
  afterAll(async () => {
    if (v) await v.stop();
    gw?.close();
    if (bed) destroyTestbed(bed);
  });

  it(`--json: a ping of ${N} raises ESP out and in by ${N}, on the SA pair in use as on the totals`, async () => {
    const before = await status(['--json', '--pid-file', v.pidFile]);
    expect(before.code, before.stderr).toBe(0);
    const a = JSON.parse(before.stdout) as TunnelStatus;
    expect(a).toMatchObject({ version: 1, stage: 'up', gateway: BED.gatewayOutside, transport: 'raw', tunnel: { address: BED.poolFirst, routes: [BED.innerNet], dns: [BED.vpnDns] } });
    expect(a.espSas.map((e) => [e.direction, e.inUse, e.transform])).toEqual([['in', true, 'AES-CBC-256/HMAC-SHA1-96'], ['out', true, 'AES-CBC-256/HMAC-SHA1-96']]);
    expect((await ping(bed.client, BED.innerHost, N)).received).toBe(N);
    const b = JSON.parse((await status(['--json', '--pid-file', v.pidFile])).stdout) as TunnelStatus;
    expect(b.traffic.espSent - a.traffic.espSent).toBe(N);
    expect(b.traffic.espReceived - a.traffic.espReceived).toBe(N);
    expect(b.espSas[0]!.packets - a.espSas[0]!.packets).toBe(N);
    expect(b.espSas[1]!.packets - a.espSas[1]!.packets).toBe(N);
    // Never keys: nothing in the status is longer than a cookie pair.
    expect(before.stdout).not.toMatch(/[0-9a-f]{40,}/);
  });

  it('the text: one aspect a line, the counters as in the JSON', async () => {
    const r = await status(['--pid-file', v.pidFile]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`gateway     ${BED.gatewayOutside}, ESP over raw (ports 500 -> 500), from ${BED.clientDirect}`);
    expect(lines.filter((l) => l.startsWith('ESP SA '))).toHaveLength(2);
    expect(lines.some((l) => /^traffic {5}ESP out \d+, in \d+; /.test(l))).toBe(true);
  });

  it('a caller who is not root: refused in one line, exit 1', async () => {
    const r = await status(['--pid-file', v.pidFile], true);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("vpnc: --status needs root: the control socket of a running client is root's (mode 0600)\n");
  });

  it('no client behind the pid file: one line naming the socket, exit 1', async () => {
    const r = await status(['--pid-file', '/tmp/vpnc-ts-none.pid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('vpnc: /tmp/vpnc-ts-none.pid.ctl: no running client here (is the tunnel up, and is this its pid file?)\n');
  });
});
