/**
 * Cisco load balancing: a cluster member answers phase 1 and sends the client on to another member (notify
 * 40501 with its address). Two project gateways in the gateway namespace: the first, at the address the
 * profile names, redirects; the second serves. Debian's vpnc, the control, and ours both end up connected to
 * the second; traffic passes; the script's VPNGATEWAY names the second. And backup servers: the primary offers
 * one in mode config, then goes away; our client reconnects to the backup. Root; never skipped.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { nsRun, requireRoot, waitFor } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { envRecordingScript, startVpnc } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
/** The second cluster member, on the gateway's outside link. */
const MEMBER = '198.51.100.4';

/** A member of the cluster: the test account, the inner network as split, and `extra`. */
function member(netns: string, listen: string, extra: string[], name: string, log: string[]): Gateway {
  return startProjectGateway(netns, [`Split include ${BED.innerNet}`, ...extra], { name, log, listen });
}

describe('Cisco load balancing (notify 40501)', () => {
  let bed: Testbed;
  let first: Gateway;
  let second: Gateway;
  const log: string[] = [];
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'lb' });
    nsRun(bed.gateway, 'ip', ['addr', 'add', `${MEMBER}/24`, 'dev', bed.gatewayOutsideIf]);
    first = member(bed.gateway, BED.gatewayOutside, [`Redirect ${MEMBER}`, 'Pool 192.0.2.60-192.0.2.61', 'Interface name gwl%d'], 'lb-first.conf', log);
    second = member(bed.gateway, MEMBER, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'Interface name gwm%d'], 'lb-second.conf', log);
  });
  afterAll(() => {
    first?.close();
    second?.close();
    if (bed) destroyTestbed(bed);
  });

  for (const [name, command] of [['Debian\'s vpnc (the control)', undefined], ['our client', OURS]] as const) {
    it(`${name}: redirected from ${BED.gatewayOutside} to ${MEMBER}, connected there, traffic passes, VPNGATEWAY=${MEMBER}`, async () => {
      const script = envRecordingScript();
      const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: script.path, ...(command ? { command } : {}) });
      try {
        await v.waitForTunnel(30_000).catch((err: Error) => {
          throw new Error(`${err.message}\n${log.slice(-20).join('\n')}`);
        });
        expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
        expect(script.env('connect').get('VPNGATEWAY')).toBe(MEMBER);
        expect(second.peerCount).toBe(1);
        expect(first.peerCount).toBe(0);
        expect(log.some((l) => l.includes(`redirected to ${MEMBER} (load balancing)`))).toBe(true);
        if (command) expect(v.output()).toContain(`the gateway redirects to ${MEMBER} (Cisco load balancing): connecting there`);
      } finally {
        expect(await v.stop()).toEqual({ code: 0, signal: null });
        rmSync(script.dir, { recursive: true, force: true });
      }
      await waitFor('the second member to forget the client', () => (second.peerCount === 0 ? true : undefined), 5000);
      expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
    }, 60_000);
  }
});

describe('backup servers (UNITY_BACKUP_SERVERS)', () => {
  it('the profile\'s Backup servers (a .pcf\'s BackupServer): the gateway silent at the start, our client connects to the backup', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'bs' });
    nsRun(bed.gateway, 'ip', ['addr', 'add', `${MEMBER}/24`, 'dev', bed.gatewayOutsideIf]);
    // Nothing answers at the configured gateway: its IKE port is dropped.
    nsRun(bed.gateway, 'nft', ['add table inet bs; add chain inet bs in { type filter hook input priority 0; }; add rule inet bs in ip daddr 198.51.100.1 udp dport 500 drop']);
    const log: string[] = [];
    const backup = member(bed.gateway, MEMBER, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'Interface name gwb%d'], 'bs-backup.conf', log);
    const script = envRecordingScript();
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: script.path, command: OURS, extraConfig: [`Backup servers no-such-host.invalid, ${MEMBER}`, 'IKE timeout 10'] });
    try {
      await v.waitForTunnel(60_000);
      expect(v.output()).toContain(`no response from target ${BED.gatewayOutside}:500`);
      expect(v.output()).toContain('the backup server no-such-host.invalid does not resolve; skipped');
      expect(v.output()).toContain(`trying the backup server ${MEMBER}`);
      expect(script.env('connect').get('VPNGATEWAY')).toBe(MEMBER);
      expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
      expect(backup.peerCount).toBe(1);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      backup.close();
      rmSync(script.dir, { recursive: true, force: true });
      destroyTestbed(bed);
    }
  }, 120_000);

  it('our client gets CISCO_BACKUP_SERVERS; with the primary gone, DPD finds it dead and reconnection goes to the backup', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'bk' });
    nsRun(bed.gateway, 'ip', ['addr', 'add', `${MEMBER}/24`, 'dev', bed.gatewayOutsideIf]);
    const log: string[] = [];
    const primary = member(bed.gateway, BED.gatewayOutside, [`Backup servers ${MEMBER}`, 'Pool 192.0.2.60-192.0.2.61', 'Interface name gwp%d'], 'bk-primary.conf', log);
    const backup = member(bed.gateway, MEMBER, [`Pool ${BED.poolFirst}-${BED.poolLast}`, 'Interface name gwb%d'], 'bk-backup.conf', log);
    const script = envRecordingScript();
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: script.path, command: OURS, dpdIdle: 10, extraConfig: ['IKE timeout 10'] });
    try {
      await v.waitForTunnel(20_000);
      expect(script.env('connect').get('CISCO_BACKUP_SERVERS')).toBe(MEMBER);
      expect(script.env('connect').get('VPNGATEWAY')).toBe(BED.gatewayOutside);
      expect((await ping(bed.client, BED.innerHost, 2)).received).toBe(2);
      primary.close();
      await waitFor('the reconnection to the backup', () => (v.output().includes(`reconnected to ${MEMBER}`) ? true : undefined), 90_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${v.output()}\n${log.slice(-20).join('\n')}`);
      });
      expect(v.output()).toContain(`trying the backup server ${MEMBER}`);
      expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
      // The gateway changed: the script configured the tunnel again, naming the backup.
      expect(script.env('connect').get('VPNGATEWAY')).toBe(MEMBER);
      expect(backup.peerCount).toBe(1);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      backup.close();
      primary.close();
      rmSync(script.dir, { recursive: true, force: true });
      destroyTestbed(bed);
    }
  }, 150_000);
});
