/**
 * How a connection of our client starts and ends, against strongSwan: background mode with vpnc's message
 * and pid file, every ending (SIGTERM, SIGINT, SIGHUP, a gateway DELETE), DPD both ways, and that each
 * ending leaves routes, links and resolv.conf as they were. Root; never skipped.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childExit, nsRun, nsSpawnPrivateRun, pidAlive, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { CHARON, SWANCTL, startStrongSwan, type StrongSwanGateway } from '../helpers/strongswan.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, moveClientAddress, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { nsExec, ping, pingUntilAnswered, startCapture } from '../helpers/traffic.js';
import { readPidFile, startVpnc, vpncConfig, VPNC_SCRIPT, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js');
const OURS = ['node', BIN];

function snapshot(bed: Testbed): string {
  return [
    nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']),
    nsRun(bed.client, 'ip', ['-o', 'link', 'show']).replace(/\d+: /g, ''),
    readClientResolvConf(bed) ?? '',
  ].join('\n---\n');
}

describe('our client: lifecycle against strongSwan', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  let base: VpncRefOptions;

  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'ping', 'logger']);
    bed = createTestbed({ nat: false });
    gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 2 });
    const user = gw.options.users[0]!;
    base = { netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS };
  });
  afterAll(async () => {
    await gw?.stop();
    if (bed) destroyTestbed(bed);
  });

  it('runs in the background by default: vpnc\'s message, the daemon\'s pid in the pid file, SIGTERM ends it cleanly', async () => {
    const before = snapshot(bed);
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-bg-'));
    const pidFile = join(dir, 'vpnc.pid');
    const profile = join(dir, 'bg.conf');
    writeFileSync(profile, vpncConfig(base, pidFile).replace('No Detach\n', ''), { mode: 0o600 });
    try {
      const fg = nsSpawnPrivateRun(bed.client, 'node', [BIN, profile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      fg.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      fg.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const status = await childExit(fg);
      expect(status, out).toEqual({ code: 0, signal: null });
      const pid = readPidFile(pidFile);
      expect(pid).toBeGreaterThan(0);
      expect(out).toContain(`VPNC started in background (pid: ${pid})...`);
      expect(pid).not.toBe(fg.pid);
      expect(pidAlive(pid!)).toBe(true);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
      process.kill(pid!, 'SIGTERM');
      await waitFor('daemon exit', () => (pidAlive(pid!) ? undefined : true), 10_000);
      expect(readPidFile(pidFile)).toBeUndefined();
      expect(snapshot(bed)).toBe(before);
      await waitFor('gateway sees the DELETE', () => (/received DELETE for IKE_SA/.test(gw.log()) ? true : undefined), 5_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const signal of ['SIGINT', 'SIGHUP'] as const) {
    it(`${signal} ends the connection with DELETEs and restores the machine`, async () => {
      const before = snapshot(bed);
      const v = startVpnc(base);
      await v.waitForTunnel(30_000);
      process.kill(v.pid, signal);
      expect(await v.exited).toEqual({ code: 0, signal: null });
      expect(v.output()).toContain(`terminated by signal: ${signal}`);
      await v.stop();
      expect(snapshot(bed)).toBe(before);
    });
  }

  it('a gateway DELETE ends the client cleanly (exit 0, routes restored)', async () => {
    const before = snapshot(bed);
    const v = startVpnc(base);
    await v.waitForTunnel(30_000);
    nsRun(bed.gateway, SWANCTL, ['--terminate', '--ike', 'cisco', '--uri', gw.viciUri]);
    expect(await v.exited, v.output()).toEqual({ code: 0, signal: null });
    expect(v.output()).toContain('connection terminated by peer');
    await v.stop();
    expect(snapshot(bed)).toBe(before);
  });

  it('answers the gateway\'s DPD and detects a dead gateway by DPD (exit 1, machine restored)', async () => {
    const before = snapshot(bed);
    // Reconnect timeout 0: vpnc's behaviour, exit when DPD declares the gateway dead (ours reconnects by default).
    const v = startVpnc({ ...base, dpdIdle: 10, debug: 2, extraConfig: ['Reconnect timeout 0'] });
    await v.waitForTunnel(30_000);
    // strongSwan sends R-U-THERE every 2 s when idle; our answers keep the SA alive.
    const acks = () => (gw.log().match(/parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \]/g) ?? []).length;
    await waitFor('three DPD ACKs from our client', () => (acks() >= 3 ? true : undefined), 15_000);
    expect(gw.listSas()).toMatch(/ESTABLISHED/);
    // Now the gateway goes silent: drop everything it would send.
    nsRun(bed.gateway, 'nft', ['-f', '-'], { input: 'table ip dpdtest {\n chain out {\n  type filter hook output priority 0;\n  udp sport { 500, 4500 } drop\n }\n}\n' });
    try {
      const status = await v.exited;
      expect(v.output()).toContain('connection terminated by dead peer detection');
      expect(status).toEqual({ code: 1, signal: null });
    } finally {
      nsRun(bed.gateway, 'nft', ['delete', 'table', 'ip', 'dpdtest'], { allowFail: true });
      await v.stop();
    }
    expect(snapshot(bed)).toBe(before);
  }, 90_000);
});

describe('our client: its own DPD, with a gateway that does not probe', () => {
  it('an idle tunnel sends R-U-THERE every DPD period, strongSwan acknowledges each with the same sequence number, and the tunnel stays up', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 0 });
    const user = gw.options.users[0]!;
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, dpdIdle: 10, debug: 2 });
    try {
      await v.waitForTunnel(30_000);
      const sent = () => [...v.output().matchAll(/sending DPD R-U-THERE seq (\d+) \(attempt (\d+)\)/g)].map((m) => ({ seq: Number(m[1]), attempt: Number(m[2]) }));
      const acked = () => [...v.output().matchAll(/DPD R-U-THERE-ACK seq (\d+)(.*)/g)].map((m) => ({ seq: Number(m[1]), ignored: m[2] !== '' }));
      // Three DPD periods of silence (10 s each): three probes, each answered.
      await waitFor('three R-U-THERE-ACKs', () => (acked().length >= 3 ? true : undefined), 45_000);
      const probes = sent();
      expect(probes.slice(0, 3).map((p) => p.attempt), v.output()).toEqual([1, 1, 1]);
      expect(acked().slice(0, 3)).toEqual(probes.slice(0, 3).map((p) => ({ seq: p.seq, ignored: false })));
      expect(probes[1]!.seq).toBe(probes[0]!.seq + 1);
      expect(probes[2]!.seq).toBe(probes[1]!.seq + 1);
      // strongSwan saw our DPD requests and answered them; it sent none of its own.
      expect((gw.log().match(/parsed INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD\) \]/g) ?? []).length).toBeGreaterThanOrEqual(3);
      expect((gw.log().match(/generating INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD_ACK\) \]/g) ?? []).length).toBeGreaterThanOrEqual(3);
      expect(gw.log()).not.toMatch(/generating INFORMATIONAL_V1 request \d+ \[ HASH N\(DPD\) \]/);
      expect(pidAlive(v.pid)).toBe(true);
      expect(v.output()).not.toContain('dead peer');
      expect(gw.listSas()).toMatch(/ESTABLISHED/);
      const p = await ping(bed.client, BED.innerHost, 2);
      expect(p.received, p.output).toBe(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      await gw.stop();
      destroyTestbed(bed);
    }
  }, 90_000);
});

describe('our client: reconnecting after a dead peer (--reconnect-timeout)', () => {
  it('keeps the device and routes, runs attempt-reconnect, comes back when the gateway answers again, runs reconnect', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 2 });
    const user = gw.options.users[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-recon-'));
    const script = join(dir, 'record.sh');
    writeFileSync(script, `#!/bin/sh\necho "$reason $TUNDEV $INTERNAL_IP4_ADDRESS" >> ${dir}/reasons\nexec ${VPNC_SCRIPT}\n`, { mode: 0o755 });
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, dpdIdle: 10, script, extraConfig: ['Reconnect timeout 60'] });
    const block = 'table ip recon {\n chain out {\n  type filter hook output priority 0;\n  udp sport { 500, 4500 } drop\n }\n}\n';
    try {
      const tun = await v.waitForTunnel(30_000);
      nsRun(bed.gateway, 'nft', ['-f', '-'], { input: block });
      await waitFor('the client to give the gateway up and start reconnecting', () => (v.output().includes('trying to reconnect') ? true : undefined), 40_000);
      expect(nsRun(bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
      nsRun(bed.gateway, 'nft', ['delete', 'table', 'ip', 'recon']);
      await waitFor('reconnected', () => (v.output().includes('reconnected') ? true : undefined), 30_000);
      const p = await ping(bed.client, BED.innerHost, 3);
      expect(p.received, `${p.output}\n${v.output()}`).toBe(3);
      const reasons = readFileSync(join(dir, 'reasons'), 'utf8');
      expect(reasons).toMatch(new RegExp(`^pre-init\\s*\\nconnect ${tun.device} ${tun.address}\\nattempt-reconnect ${tun.device} ${tun.address}\\nreconnect ${tun.device} \\d`));
    } finally {
      nsRun(bed.gateway, 'nft', ['delete', 'table', 'ip', 'recon'], { allowFail: true });
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      await gw.stop();
      destroyTestbed(bed);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('our client: frozen (SIGSTOP) until the gateway dropped it, with the default settings', () => {
  it('after SIGCONT it notices the freeze, probes, finds the gateway has forgotten it, reconnects: traffic within 60 s, attempt-reconnect then reconnect', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    // strongSwan probes every 2 s and drops a client silent for 10 s (IKEv1 dpd_timeout).
    const gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 2, dpdTimeoutSeconds: 10 });
    const user = gw.options.users[0]!;
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-freeze-'));
    const script = join(dir, 'record.sh');
    writeFileSync(script, `#!/bin/sh\necho "$reason" >> ${dir}/reasons\nexec ${VPNC_SCRIPT}\n`, { mode: 0o755 });
    // No DPD or reconnect settings: the defaults (DPD idle 300 s, reconnect for 300 s).
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, script });
    try {
      await v.waitForTunnel(30_000);
      expect((await ping(bed.client, BED.innerHost, 2)).received).toBe(2);
      process.kill(v.pid, 'SIGSTOP');
      await waitFor('strongSwan to drop the silent client', () => (/ESTABLISHED/.test(gw.listSas()) ? undefined : true), 40_000, 500);
      process.kill(v.pid, 'SIGCONT');
      expect(await pingUntilAnswered(bed.client, BED.innerHost, 60_000), `${v.output()}\n${gw.logTail(30)}`).toBe(true);
      expect(v.output()).toMatch(/the client did not run for \d+ s \(suspend or stopped\); probing the gateway/);
      expect(v.output()).toContain('reconnected');
      expect(readFileSync(join(dir, 'reasons'), 'utf8').trim().split('\n')).toEqual(['pre-init', 'connect', 'attempt-reconnect', 'reconnect']);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      await gw.stop();
      destroyTestbed(bed);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

describe('our client: roaming (the outer address changes)', () => {
  it('a new outer address while a ping runs: traffic comes back within 30 s, no inner packet leaves in clear, the end restores everything', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway, dpdDelaySeconds: 0 });
    const user = gw.options.users[0]!;
    const routes = () => nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']);
    const before = routes();
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, debug: 1 });
    // Anything to or from the inner host in clear on the outer interface would be a leak.
    const capture = await startCapture(bed.client, bed.clientIf, `icmp and host ${BED.innerHost}`);
    try {
      await v.waitForTunnel(30_000);
      expect((await ping(bed.client, BED.innerHost, 2)).received).toBe(2);
      const moved = '198.51.100.3';
      moveClientAddress(bed, moved);
      expect(await pingUntilAnswered(bed.client, BED.innerHost, 30_000), `${v.output()}\n${gw.logTail(30)}`).toBe(true);
      // Noticed from the kernel's netlink notices, not the periodic check.
      expect(v.output()).toContain(`the outer address changed from ${BED.clientDirect} to ${moved} (the kernel reported it)`);
      expect(gw.log()).toMatch(new RegExp(`${moved.replace(/\./g, '\\.')}\\[4500\\]`));
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      const lines = await capture.stop();
      expect(lines, lines.join('\n')).toEqual([]);
      await gw.stop();
    }
    // The script put back what it changed; only our own address change remains.
    expect(routes()).toBe(before.replaceAll(`${BED.clientDirect} `, '198.51.100.3 '));
    expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
    destroyTestbed(bed);
  }, 120_000);
});

describe('our client: ESP rekeying', () => {
  it('when the gateway rekeys the ESP SAs every 4 s, a steady ping loses nothing', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway, childRekeySeconds: 4 });
    const user = gw.options.users[0]!;
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS });
    try {
      await v.waitForTunnel(30_000);
      const out = await nsExec(bed.client, 'ping', ['-c', '70', '-i', '0.2', '-W', '1', BED.innerHost], 40_000);
      expect(out).toMatch(/70 packets transmitted, 70 received, 0% packet loss/);
      const rekeys = (v.output().match(/gateway rekeyed the ESP SAs/g) ?? []).length;
      expect(rekeys, v.output()).toBeGreaterThanOrEqual(2);
      expect(gw.log()).toMatch(/CHILD_SA inner\{\d+\} established/);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      await gw.stop();
      destroyTestbed(bed);
    }
  }, 90_000);
});

describe('our client: the gateway lets an ESP SA expire', () => {
  it('when the gateway deletes the SA at its 10 s lifetime (it does not rekey), the client renegotiates at once: a steady ping loses at most the one packet in flight', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway, childLifeSeconds: 10 });
    const user = gw.options.users[0]!;
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, debug: 2 });
    try {
      await v.waitForTunnel(30_000);
      // ping exits 1 when a packet is lost; the count is what matters here.
      const out = await nsExec(bed.client, 'sh', ['-c', `ping -c 100 -i 0.2 -W 1 ${BED.innerHost} || true`], 40_000);
      // The gateway drops the SA without warning: a packet already on its way may be lost, no more.
      const received = Number(/100 packets transmitted, (\d+) received/.exec(out)?.[1] ?? 0);
      expect(received, `${out}\n${v.output()}`).toBeGreaterThanOrEqual(99);
      expect(v.output()).toContain('gateway deleted the ESP SA in use; negotiating a new one');
      expect((v.output().match(/IPSEC SA selected/g) ?? []).length).toBeGreaterThanOrEqual(2);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      await gw.stop();
      destroyTestbed(bed);
    }
  }, 90_000);
});

describe('vpnc-disconnect', () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;
  let base: VpncRefOptions;
  const DISCONNECT = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc-disconnect.js');

  beforeAll(async () => {
    requireRoot();
    bed = createTestbed({ nat: false });
    gw = await startStrongSwan({ netns: bed.gateway });
    const user = gw.options.users[0]!;
    base = { netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS };
  });
  afterAll(async () => {
    await gw?.stop();
    if (bed) destroyTestbed(bed);
  });

  /** Runs `steps` (shell) in the client namespace with a private /run shared by the client and vpnc-disconnect. */
  async function scenario(steps: (pidFile: string, profile: string, dir: string) => string): Promise<{ out: string; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-disc-'));
    const pidFile = join(dir, 'vpnc.pid');
    const profile = join(dir, 'p.conf');
    writeFileSync(profile, vpncConfig(base, pidFile), { mode: 0o600 });
    const sh = nsSpawnPrivateRun(bed.client, 'sh', ['-c', steps(pidFile, profile, dir)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    sh.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    sh.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const status = await childExit(sh);
    expect(status, out).toEqual({ code: 0, signal: null });
    return { out, dir };
  }

  const upAndWait = (profile: string, dir: string) => `
node ${BIN} ${profile} > ${dir}/client.log 2>&1 &
pid=$!
i=0; until grep -q 'VPNC started' ${dir}/client.log; do i=$((i+1)); [ $i -gt 300 ] && { cat ${dir}/client.log; exit 3; }; sleep 0.1; done
ip route get ${BED.innerHost} > ${dir}/route-during
`;

  it('stops a running client, waits for its teardown and reports it', async () => {
    const before = snapshot(bed);
    const { out, dir } = await scenario((pidFile, profile, d) => `${upAndWait(profile, d)}
node ${DISCONNECT} --pid-file ${pidFile}; echo "rc=$?"
kill -0 $pid 2>/dev/null && echo still-running
cat ${d}/client.log
`);
    try {
      expect(out).toMatch(/Terminating vpnc daemon \(pid: \d+\)\nvpnc \(pid \d+\) stopped\nrc=0/);
      expect(out).not.toContain('still-running');
      expect(out).toContain('terminated by signal: SIGTERM');
      expect(snapshot(bed)).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after SIGKILL, runs the disconnect step from the state file and restores routes and resolv.conf', async () => {
    const before = snapshot(bed);
    const { out, dir } = await scenario((pidFile, profile, d) => `${upAndWait(profile, d)}
grep -q 'dev tun' ${d}/route-during || { echo 'tunnel route missing'; exit 4; }
kill -9 $pid; wait $pid 2>/dev/null
test -f ${pidFile}.state || { echo 'no state file'; exit 5; }
node ${DISCONNECT} --pid-file ${pidFile}; echo "rc=$?"
test -e ${pidFile} && echo pidfile-left
test -e ${pidFile}.state && echo state-left
node ${DISCONNECT} --pid-file ${pidFile}; echo "second rc=$?"
`);
    try {
      expect(out).toMatch(/vpnc \(pid \d+\) is gone without cleaning up; running the disconnect step for tun\d+/);
      expect(out).toContain('rc=0');
      expect(out).not.toContain('pidfile-left');
      expect(out).not.toContain('state-left');
      expect(out).toMatch(/no vpnc found running \(pid file .*\)\nsecond rc=1/);
      expect(snapshot(bed)).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('our client: TAP mode', () => {
  it('--ifmode tap answers ARP for the remote hosts and carries traffic', async () => {
    requireRoot();
    const bed = createTestbed({ nat: false });
    const gw = await startStrongSwan({ netns: bed.gateway });
    const user = gw.options.users[0]!;
    const before = snapshot(bed);
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: gw.options.group, groupSecret: gw.options.groupSecret, user: user.name, password: user.password, command: OURS, extraConfig: ['Interface mode tap'] });
    try {
      const t = await v.waitForTunnel(30_000);
      expect(t.device).toMatch(/^tap\d+$/);
      const p = await ping(bed.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
      expect(nsRun(bed.client, 'ip', ['neigh', 'show', 'dev', t.device])).toMatch(/203\.0\.113\.2 lladdr [0-9a-f:]+ /);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      expect(snapshot(bed)).toBe(before);
      await gw.stop();
      destroyTestbed(bed);
    }
  });
});
