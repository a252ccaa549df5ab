/**
 * A gateway that deletes the ISAKMP SA but keeps the ESP SAs (the project's gateway, which can do this on
 * purpose): the tunnel keeps carrying traffic, the client re-authenticates at once, and the next quick mode
 * runs on the new ISAKMP SA. Root; never skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { childExit, nsRun, nsSpawnPrivateRun, requireRoot, waitFor } from '../helpers/netns.js';
import { addSecondUplink, BED, createTestbed, destroyTestbed, moveClientAddress, type Testbed } from '../helpers/testbed.js';
import { nsExec, pingUntilAnswered } from '../helpers/traffic.js';
import { startVpnc, VPNC_SCRIPT } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

describe('the gateway deletes the ISAKMP SA, not the ESP SAs', () => {
  let bed: Testbed;
  let gw: Gateway;
  const log: string[] = [];
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'rg' });
    gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'DPD 0', 'Interface name gwr%d'], { name: 'reauth-gateway.conf', log });
  });
  afterAll(() => {
    gw?.close();
    if (bed) destroyTestbed(bed);
  });

  it('the tunnel keeps carrying a steady ping, the client re-authenticates and runs quick mode on the new ISAKMP SA', async () => {
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, debug: 1 });
    try {
      const tun = await v.waitForTunnel(20_000);
      const pinging = nsExec(bed.client, 'ping', ['-c', '50', '-i', '0.2', '-W', '1', BED.innerHost], 30_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const first = gw.peers()[0]!;
      expect(gw.deleteIsakmpOnly(first.key)).toBe(true);
      await waitFor('re-authentication', () => (v.output().includes('phase 1 re-authenticated') ? true : undefined), 15_000);
      const out = await pinging;
      expect(out, `${v.output()}\n${log.join('\n')}`).toMatch(/50 packets transmitted, 50 received, 0% packet loss/);
      expect(v.output()).toContain('the gateway deleted the ISAKMP SA; the ESP SAs live on: re-authenticating');
      expect(v.output()).not.toMatch(/connection terminated|re-authentication failed/);
      // A new session (new cookies) authenticated, got the same address and the ESP pair of a new quick mode.
      const second = gw.peers()[0]!;
      expect(gw.peers()).toHaveLength(1);
      expect(second.key).not.toBe(first.key);
      expect(log.some((l) => l.startsWith(`peer ${first.key} (alice): gone: ISAKMP SA deleted, ESP SAs kept`)), log.join('\n')).toBe(true);
      expect(log.filter((l) => l.startsWith(`peer ${second.key}: ESP `))).toHaveLength(1);
      expect(v.output()).toContain(`got address ${tun.address}`);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 60_000);
});

describe('the gateway ends the session (DELETE of the ISAKMP SA and the ESP SAs)', () => {
  it('the client ends cleanly (exit 0, "connection terminated by peer") instead of re-authenticating', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'rh' });
    const gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'DPD 0', 'Interface name gwh%d'], { name: 'reauth-gateway-end.conf' });
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, debug: 1 });
    try {
      await v.waitForTunnel(20_000);
      await gw.stop();
      const status = await Promise.race([v.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
      expect(status, v.output()).toEqual({ code: 0, signal: null });
      expect(v.output()).toContain('connection terminated by peer');
      expect(v.output()).not.toContain('re-authenticating');
    } finally {
      await v.stop();
      gw.close();
      destroyTestbed(bed);
    }
  }, 60_000);
});

describe('re-authentication with a password typed at the prompt', () => {
  /** The start-up prompt (no password in the profile) and XAUTH's when it asks again. */
  const STARTUP = `Enter password for alice@${BED.gatewayOutside}: `;
  const PROMPT = `Password for VPN alice@${BED.gatewayOutside}: `;
  const count = (text: string, what: string) => text.split(what).length - 1;

  /** Our gateway with `Save password` as given; our client in the foreground, the password on stdin once. */
  async function typedOnce(savePassword: boolean) {
    requireRoot();
    const bed = createTestbed({ prefix: savePassword ? 'rs' : 'rn' });
    const gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'DPD 0', `Save password ${savePassword ? 'yes' : 'no'}`, 'Interface name gwp%d'], { name: 'reauth-prompt.conf' });
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-reauth-'));
    const profile = join(dir, 'p.conf');
    writeFileSync(profile, [
      `IPSec gateway ${BED.gatewayOutside}`, 'IPSec ID testgroup', 'IPSec secret group-secret-42', 'Xauth username alice',
      `Pidfile ${join(dir, 'vpnc.pid')}`, `Script ${VPNC_SCRIPT}`, 'Debug 1', 'No Detach', 'IKE lifetime 12', 'Reconnect timeout 0', '',
    ].join('\n'), { mode: 0o600 });
    const child = nsSpawnPrivateRun(bed.client, 'node', [OURS[1]!, profile], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.end('wonderland\n');
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const cleanup = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await childExit(child);
      gw.close();
      destroyTestbed(bed);
      rmSync(dir, { recursive: true, force: true });
    };
    return { child, output: () => out, cleanup };
  }

  it('the gateway forbids keeping it (UNITY_SAVE_PASSWD 0): not reused, nobody asked at the terminal (that would stop the tunnel); the client ends at the ISAKMP SA\'s end, exit 1, one line', async () => {
    const r = await typedOnce(false);
    try {
      await waitFor('tunnel', () => (r.output().includes('VPNC started in foreground') ? true : undefined), 20_000);
      const status = await Promise.race([childExit(r.child), new Promise<undefined>((res) => setTimeout(() => res(undefined), 25_000))]);
      expect(status, r.output()).toEqual({ code: 1, signal: null });
      expect(count(r.output(), STARTUP), r.output()).toBe(1);
      expect(count(r.output(), PROMPT), r.output()).toBe(0);
      const why = 'the gateway asks for the password again and none may be reused; asking at the terminal would stop the tunnel (a --password-helper can answer)';
      expect(r.output()).toContain(`phase 1 re-authentication failed: ${why}`);
      // One attempt only: the same answer again would fail again.
      expect(count(r.output(), 'phase 1 re-authentication failed'), r.output()).toBe(1);
      expect(r.output()).toMatch(new RegExp(`^vpnc: (\\d\\d:\\d\\d:\\d\\d\\.\\d{3} )?the ISAKMP SA ended and could not be replaced: ${why.replace(/[()-]/g, '\\$&')}$`, 'm'));
      expect(r.output()).not.toContain('phase 1 re-authenticated');
    } finally {
      await r.cleanup();
    }
  }, 60_000);

  it('the gateway allows keeping it (UNITY_SAVE_PASSWD 1): re-authenticated without asking again', async () => {
    const r = await typedOnce(true);
    try {
      await waitFor('re-authentication', () => (r.output().includes('phase 1 re-authenticated') ? true : undefined), 20_000);
      expect(count(r.output(), STARTUP), r.output()).toBe(1);
      expect(count(r.output(), PROMPT), r.output()).toBe(0);
      expect(r.child.exitCode).toBeNull();
    } finally {
      await r.cleanup();
    }
  }, 60_000);
});

describe('re-authentication in the background with a password helper', () => {
  it('the gateway forbids keeping the password: the detached client asks the helper again, and the tunnel lives on', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'rq' });
    const gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'DPD 0', 'Save password no', 'Interface name gwq%d'], { name: 'reauth-helper.conf' });
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-reauth-helper-'));
    const asked = join(dir, 'asked');
    const helper = join(dir, 'helper.sh');
    writeFileSync(helper, `#!/bin/sh\nprintf '%s\\n' "$1" >> '${asked}'\necho wonderland\n`, { mode: 0o755 });
    const pidFile = join(dir, 'vpnc.pid');
    const profile = join(dir, 'p.conf');
    writeFileSync(profile, [
      `IPSec gateway ${BED.gatewayOutside}`, 'IPSec ID testgroup', 'IPSec secret group-secret-42', 'Xauth username alice',
      `Pidfile ${pidFile}`, `Script ${VPNC_SCRIPT}`, `Password helper ${helper}`, 'IKE lifetime 12', 'Reconnect timeout 0', '',
    ].join('\n'), { mode: 0o600 });
    const status = () => JSON.parse(execFileSync('node', [OURS[1]!, '--status', '--pid-file', pidFile, '--json'], { encoding: 'utf8' })) as { events: { reauthentications: number } };
    try {
      // The foreground starts the daemon and returns once the tunnel is up.
      const fg = nsSpawnPrivateRun(bed.client, 'node', [OURS[1]!, profile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      fg.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      fg.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      expect(await childExit(fg), out).toEqual({ code: 0, signal: null });
      expect(out).toContain('VPNC started in background');
      await waitFor('a re-authentication in the background', () => {
        try {
          return status().events.reauthentications >= 1 ? true : undefined;
        } catch {
          return undefined;
        }
      }, 25_000);
      // Asked at the start (no password in the profile), and again by XAUTH at the re-authentication.
      expect(readFileSync(asked, 'utf8').split('\n').filter(Boolean)).toEqual([`Enter password for alice@${BED.gatewayOutside}: `, `Password for VPN alice@${BED.gatewayOutside}: `]);
    } finally {
      try {
        execFileSync('node', [join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc-disconnect.js'), '--pid-file', pidFile], { stdio: 'ignore' });
      } catch {
        /* not running */
      }
      gw.close();
      destroyTestbed(bed);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('roaming with raw ESP (no NAT-T): the gateway does not move the SAs, so the client re-authenticates', () => {
  it('a new outer address: a new phase 1 from there, traffic back within 30 s, the old session deleted', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'rr' });
    const log: string[] = [];
    const gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'DPD 0', 'Interface name gwm%d'], { name: 'reauth-roam.conf', log });
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, debug: 1 });
    try {
      await v.waitForTunnel(20_000);
      expect(v.output()).toContain('ESP over raw');
      const moved = '198.51.100.3';
      moveClientAddress(bed, moved);
      expect(await pingUntilAnswered(bed.client, BED.innerHost, 30_000), `${v.output()}\n${log.join('\n')}`).toBe(true);
      expect(v.output()).toContain(`the outer address changed from ${BED.clientDirect} to ${moved} (the kernel reported it); re-authenticating from there`);
      expect(v.output()).toContain('phase 1 re-authenticated');
      expect(log.some((l) => l.includes(`aggressive mode from ${moved}:500`)), log.join('\n')).toBe(true);
      await waitFor('the old session to be deleted', () => (gw.peerCount === 1 ? true : undefined), 5_000);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      gw.close();
      destroyTestbed(bed);
    }
  }, 60_000);
});

describe('a new uplink with another next hop, with a tunnel that takes the default route', () => {
  it('the old uplink goes down: the route to the gateway is re-pointed (attempt-reconnect), phase 1 is re-authenticated from the new one, traffic back within 30 s', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'ru' });
    const log: string[] = [];
    // No split: the script routes everything into the tunnel, the gateway's own address excepted.
    const gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'DPD 0', 'Interface name gwu%d'], { name: 'reauth-uplink.conf', log });
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-uplink-'));
    const wrapper = join(dir, 'script');
    writeFileSync(wrapper, `#!/bin/sh\necho "$reason" >> ${join(dir, 'reasons')}\nexec ${VPNC_SCRIPT}\n`, { mode: 0o755 });
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, debug: 1, script: wrapper });
    try {
      await v.waitForTunnel(20_000);
      expect(nsRun(bed.client, 'ip', ['route', 'show', 'default'])).toMatch(/^default dev tun/m);
      const uplink = addSecondUplink(bed);
      nsRun(bed.client, 'ip', ['link', 'set', bed.clientIf, 'down']);
      expect(await pingUntilAnswered(bed.client, BED.innerHost, 30_000), `${v.output()}\n${log.join('\n')}`).toBe(true);
      expect(v.output()).toContain('the route to the gateway leads into the tunnel (its uplink went away)');
      expect(v.output()).toContain(`the outer address changed from ${BED.clientDirect} to ${BED.secondUplinkClient}`);
      expect(v.output()).toContain('phase 1 re-authenticated');
      expect(nsRun(bed.client, 'ip', ['route', 'get', BED.gatewayOutside])).toContain(`via ${BED.secondUplinkGateway} dev ${uplink}`);
      expect(log.some((l) => l.includes(`aggressive mode from ${BED.secondUplinkClient}:500`)), log.join('\n')).toBe(true);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      gw.close();
      destroyTestbed(bed);
    }
    const reasons = readFileSync(join(dir, 'reasons'), 'utf8').trim().split('\n');
    rmSync(dir, { recursive: true, force: true });
    expect(reasons.slice(0, 3)).toEqual(['pre-init', 'connect', 'attempt-reconnect']);
    expect(reasons.at(-1)).toBe('disconnect');
  }, 60_000);
});
