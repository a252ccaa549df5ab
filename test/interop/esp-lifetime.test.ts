/**
 * ESP lifetimes stated by the gateway and enforced by it, and our client's own rekeys before them: in seconds
 * (85 % of the lifetime) and in kilobytes (85 % of the volume, either direction). The gateway is the project's
 * own, configured as Cisco concentrators are: it states its shorter lifetime in a RESPONDER-LIFETIME notify,
 * never rekeys itself, refuses packets on a pair past its lifetime and DELETEs it. Debian's vpnc accepts the
 * same quick mode (control). (strongSwan cannot serve here: as an IKEv1 responder it adopts the lifetime the
 * client proposes and states none.) Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Logger } from '../../src/log.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { nsExec, ping, tcpTransferBothWays } from '../helpers/traffic.js';
import { startVpnc, VPNC, VPNC_SCRIPT, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

interface Bed {
  bed: Testbed;
  gw: Gateway;
  log: string[];
}

function bringUp(lifetime: string): Bed {
  requireRoot();
  requireBinaries([VPNC, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'ping']);
  const bed = createTestbed({ prefix: 'el' });
  const log: string[] = [];
  const conf = [
    `Listen ${BED.gatewayOutside}`,
    'Group testgroup',
    'Group secret group-secret-42',
    'User alice wonderland',
    `Pool ${BED.poolFirst}-${BED.poolLast}`,
    `Split include ${BED.innerNet}`,
    'DPD 0',
    lifetime,
    'Interface name gwl%d',
    `Netns ${bed.gateway}`,
    '',
  ].join('\n');
  try {
    return { bed, gw: Gateway.start(parseGatewayConfig(conf, 'esp-lifetime.conf'), { log: new Logger({ level: 1, sink: (l) => log.push(l) }) }), log };
  } catch (err) {
    destroyTestbed(bed);
    throw err;
  }
}

function tearDown(b: Bed | undefined): void {
  b?.gw.close();
  if (b) destroyTestbed(b.bed);
}

const client = (b: Bed, extra: Partial<VpncRefOptions> = {}): VpncRefOptions => ({
  netns: b.bed.client,
  gateway: BED.gatewayOutside,
  group: 'testgroup',
  groupSecret: 'group-secret-42',
  user: 'alice',
  password: 'wonderland',
  command: OURS,
  debug: 2,
  ...extra,
});

/** The gateway's words for a pair used past its lifetime (packets refused) or removed at it. */
const LATE = /past its lifetime|reached its lifetime/;

describe('an ESP lifetime in seconds stated by the gateway', () => {
  let b: Bed;
  beforeAll(() => (b = bringUp('ESP lifetime 8')));
  afterAll(() => tearDown(b));

  it('our client rekeys at 85 % of it, again and again: a steady ping loses nothing and no pair outlives its lifetime', async () => {
    const v = startVpnc(client(b));
    try {
      await v.waitForTunnel(20_000);
      expect(v.output()).toContain('ESP lifetime 8 s');
      const out = await nsExec(b.bed.client, 'ping', ['-c', '125', '-i', '0.2', '-W', '1', BED.innerHost], 60_000);
      expect(out).toMatch(/125 packets transmitted, 125 received, 0% packet loss/);
      const rekeys = v.output().match(/rekeying the ESP SAs: (6|7) of 8 s used/g) ?? [];
      expect(rekeys.length, v.output()).toBeGreaterThanOrEqual(3);
      expect(v.output()).not.toContain('gateway deleted the ESP SA in use');
      expect(b.log.filter((l) => LATE.test(l)), `${v.output()}\n${b.log.join("\n")}`).toEqual([]);
    } finally {
      const status = await v.stop();
      expect(status, v.output()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);

  it('control: Debian vpnc accepts the quick mode that states the lifetime and carries traffic', async () => {
    const v = startVpnc(client(b, { command: [VPNC] }));
    try {
      await v.waitForTunnel(20_000);
      const p = await ping(b.bed.client, BED.innerHost, 3);
      expect(p.received, p.output).toBe(3);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 60_000);
});

describe('an ESP lifetime in kilobytes stated by the gateway', () => {
  let b: Bed;
  beforeAll(() => (b = bringUp('ESP lifetime kilobytes 16384')));
  afterAll(() => tearDown(b));

  it('our client rekeys at 85 % of the volume during a transfer whose sha256 matches both ways; no pair is used past it', async () => {
    const v = startVpnc(client(b));
    const bytes = 64 << 20;
    try {
      await v.waitForTunnel(20_000);
      expect(v.output()).toContain('ESP lifetime 2147483 s, 16384 kB');
      const { upload, download } = await tcpTransferBothWays(b.bed.client, b.bed.inner, BED.innerHost, bytes);
      expect(upload.sent.bytes).toBe(bytes);
      expect(upload.received).toEqual(upload.sent);
      expect(download.received).toEqual(download.sent);
      const rekeys = v.output().match(/rekeying the ESP SAs: \d+ of 16384 kB used/g) ?? [];
      // 64 MiB each way over pairs replaced at 13.6 MiB: at least four rekeys per direction.
      expect(rekeys.length, `${v.output()}\n${b.log.join("\n")}`).toBeGreaterThanOrEqual(8);
      expect(b.log.filter((l) => LATE.test(l)), `${v.output()}\n${b.log.join("\n")}`).toEqual([]);
    } finally {
      const status = await v.stop();
      expect(status, v.output()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});
