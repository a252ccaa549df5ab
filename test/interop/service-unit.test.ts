/**
 * The service unit (systemd/vpnc@.service) and the notify protocol it relies on (Type=notify): a real
 * AF_UNIX datagram socket stands in for the service manager in NOTIFY_SOCKET (a Python receiver: Node has no
 * AF_UNIX datagrams); our client against our gateway sends READY=1 with a STATUS naming the gateway and the
 * tunnel address once the tunnel carries traffic, and STOPPING=1 when it is stopped, in that order.
 * `systemd-analyze verify` checks the unit file (and refuses a broken copy, so the check can fail).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { recordPid } from '../prereq/run-registry.js';
import { requireRoot, stopChild, waitFor } from '../helpers/netns.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { startVpnc } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const UNIT = join(ROOT, 'systemd', 'vpnc@.service');

/** Prints each datagram received on the socket at argv[1] as one JSON line. */
const RECEIVER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(json.dumps(s.recv(4096).decode()), flush=True)
`;

describe("the service manager's side of Type=notify", () => {
  let bed: Testbed;
  let gateway: Gateway;
  let dir: string;
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'sd' });
    gateway = startProjectGateway(bed.gateway, [`Split include ${BED.innerNet}`, `Pool ${BED.poolFirst}-${BED.poolLast}`], { name: 'notify.conf' });
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-notify-'));
  });
  afterAll(() => {
    gateway?.close();
    if (bed) destroyTestbed(bed);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('READY=1 with the gateway and address once traffic passes, STOPPING=1 at teardown, in that order', async () => {
    const socketPath = join(dir, 'notify.sock');
    writeFileSync(join(dir, 'receiver.py'), RECEIVER);
    const receiver: ChildProcess = spawn('python3', [join(dir, 'receiver.py'), socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    recordPid(receiver.pid);
    let out = '';
    receiver.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    receiver.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const messages = () => out.split('\n').filter((l) => l.startsWith('"')).map((l) => JSON.parse(l) as string);
    try {
      await waitFor('the notify receiver', () => (out.includes('listening') ? true : undefined), 5000);
      const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, env: { NOTIFY_SOCKET: socketPath } });
      try {
        const tun = await v.waitForTunnel(20_000);
        const ready = await waitFor('READY=1', () => messages().find((m) => m.split('\n').includes('READY=1')), 5000);
        expect(ready).toBe(`READY=1\nSTATUS=connected to ${BED.gatewayOutside}: ${tun.address} on ${tun.device}`);
        const p = await ping(bed.client, BED.innerHost, 2);
        expect(p.received, p.output).toBe(2);
        expect(messages().some((m) => m.includes('STOPPING=1'))).toBe(false);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
      }
      await waitFor('STOPPING=1', () => (messages().some((m) => m.includes('STOPPING=1')) ? true : undefined), 5000);
      expect(messages()).toEqual([expect.stringMatching(/^READY=1\n/), 'STOPPING=1\nSTATUS=disconnecting']);
    } finally {
      await stopChild(receiver);
    }
  }, 60_000);

  it('systemd-analyze verify passes the unit file (and fails broken copies)', () => {
    // Its findings go to stderr only with the console as log target (else to the journal, where there is one).
    const verify = (file: string) => spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_TARGET: 'console' } });
    const good = join(dir, 'vpnc@work.service');
    copyFileSync(UNIT, good);
    expect(verify(good)).toMatchObject({ status: 0, stderr: '' });
    const typo = join(dir, 'vpnc@typo.service');
    writeFileSync(typo, readFileSync(UNIT, 'utf8').replace(/^Type=notify$/m, 'Type=notifyy'));
    expect(verify(typo).stderr).toContain('Failed to parse service type, ignoring: notifyy');
    const missing = join(dir, 'vpnc@missing.service');
    writeFileSync(missing, readFileSync(UNIT, 'utf8').replace('ExecStart=vpnc ', 'ExecStart=no-such-vpnc '));
    expect(verify(missing)).toMatchObject({ status: 1, stderr: expect.stringContaining('Command no-such-vpnc is not executable') });
    const unit = readFileSync(UNIT, 'utf8');
    expect(unit).toMatch(/^Type=notify$/m);
    expect(unit).toMatch(/^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^RestartPreventExitStatus=2$/m);
    expect(unit).toMatch(/^ExecStart=vpnc --no-detach --non-inter --pid-file \/run\/vpnc-%i\.pid %i$/m);
    expect(unit).toMatch(/^PrivateTmp=yes$/m);
    expect(unit).toMatch(/^ProtectHome=yes$/m);
  });
});
