/**
 * The concentrators' dialects: the project's gateway with `Dialect cisco`, `netscreen`, `watchguard` and `fortigate`
 * (src/gateway/dialect.ts says what each does on the wire), our client and Debian's vpnc as the control.
 * Each time: who connects, what the log names, how mode config came (pushed during XAUTH or pulled), and
 * that traffic passes. Where vpnc fails, the test shows its failure as users report it. Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { requireRoot, waitFor } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { runVpncToExit, startVpnc, type VpncRefOptions } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

describe.each(['cisco', 'netscreen', 'watchguard', 'fortigate'] as const)('the gateway in the %s dialect', (dialect) => {
  let bed: Testbed;
  let gateway: Gateway;
  const log: string[] = [];
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: `d${dialect.slice(0, 2)}` });
    gateway = startProjectGateway(bed.gateway, [`Dialect ${dialect}`, `Split include ${BED.innerNet}`, `Pool ${BED.poolFirst}-${BED.poolLast}`], { name: `${dialect}.conf`, log });
  });
  afterAll(() => {
    gateway?.close();
    if (bed) destroyTestbed(bed);
  });

  const options = (o: Partial<VpncRefOptions>): VpncRefOptions => ({
    netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', ...o,
  });

  /** Connects, pings the inner host, disconnects; returns the client's output. */
  async function connects(o: Partial<VpncRefOptions>): Promise<string> {
    const from = log.length;
    const v = startVpnc(options(o));
    try {
      await v.waitForTunnel(20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${log.slice(from).join('\n')}`);
      });
      expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
      const pushed = log.slice(from).some((l) => l.includes(`mode config pushed (${dialect})`));
      expect(pushed).toBe(dialect === 'netscreen' || dialect === 'watchguard');
    } finally {
      const end = await v.stop();
      if (end.code !== 0) console.log(v.output());
      expect(end).toEqual({ code: 0, signal: null });
    }
    expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
    return v.output();
  }

  if (dialect === 'cisco') {
    it('Debian\'s vpnc (the control) and ours connect; ours names the dialect and pulls mode config', async () => {
      await connects({});
      const out = await connects({ command: OURS, debug: 1 });
      expect(out).toContain('the gateway names no maker in its vendor IDs; dialect cisco (the default)');
      expect(out).not.toContain('pushed its mode config');
    }, 60_000);
  }

  if (dialect === 'netscreen') {
    it('Debian\'s vpnc with Vendor netscreen (the control): the push is taken, traffic passes', async () => {
      await connects({ extraConfig: ['Vendor netscreen'] });
    }, 60_000);

    it('ours, Vendor left unset: recognises the Netscreen vendor ID, says so, takes the push, traffic passes', async () => {
      const out = await connects({ command: OURS, debug: 1 });
      expect(out).toContain("the gateway's vendor IDs say Juniper/Netscreen: speaking the netscreen dialect");
      expect(out).toContain("the gateway's vendor IDs say Juniper/Netscreen; dialect netscreen (recognised)");
    }, 60_000);

    it('ours with Vendor netscreen: the same, without the notice', async () => {
      const out = await connects({ command: OURS, debug: 1, extraConfig: ['Vendor netscreen'] });
      expect(out).toContain('dialect netscreen (the Vendor setting)');
      expect(out).not.toContain('speaking the netscreen dialect');
    }, 60_000);

    it('ours with Vendor cisco set: the pushed mode config is refused with a line that says what to change (exit 1)', async () => {
      const r = await runVpncToExit(options({ command: OURS, extraConfig: ['Vendor cisco'] }));
      expect(r.code).toBe(1);
      expect(r.output).toContain("the gateway's vendor IDs say Juniper/Netscreen, but Vendor cisco is set: speaking the cisco dialect");
      expect(r.output).toContain('the gateway pushed its mode config during XAUTH, as Netscreen and WatchGuard gateways do, and Vendor cisco does not take it');
      // The client deleted the ISAKMP SA it made: the gateway forgets it (and its address) at once.
      await waitFor('the gateway to forget the refused client', () => (gateway.peerCount === 0 ? true : undefined), 3000);
    }, 60_000);
  }

  if (dialect === 'watchguard') {
    it('Debian\'s vpnc with its default Vendor fails as streambinder/vpnc#22 reports ("xauth SET message rejected")', async () => {
      const r = await runVpncToExit(options({}));
      expect(r.code).not.toBe(0);
      expect(r.output).toContain('xauth SET message rejected');
    }, 60_000);

    it('Debian\'s vpnc with Vendor netscreen takes the push but aborts (SIGABRT) building the ACK of its split include', async () => {
      // vpnc reads UNITY_SPLIT_INCLUDE into an ACL and cannot encode that form again (flow_attribute aborts).
      const r = await runVpncToExit(options({ extraConfig: ['Vendor netscreen'] }));
      expect(r.signal).toBe('SIGABRT');
      expect(log.join('\n')).toContain(`mode config pushed (watchguard)`);
    }, 60_000);

    it('ours, Vendor left unset: no maker named, the push is taken with a notice, traffic passes', async () => {
      const out = await connects({ command: OURS, debug: 1 });
      expect(out).toContain('the gateway names no maker in its vendor IDs; dialect cisco (the default)');
      expect(out).toContain('the gateway pushed its mode config during XAUTH (as Netscreen and WatchGuard gateways do): taking it');
    }, 60_000);
  }

  if (dialect === 'fortigate') {
    it('Debian\'s vpnc, even with Vendor fortigate, is refused: it proposes 2147483 s (ndpgroup/vpnc PR #9)', async () => {
      const from = log.length;
      const r = await runVpncToExit(options({ extraConfig: ['Vendor fortigate'] }));
      expect(r.code).not.toBe(0);
      expect(log.slice(from).join('\n')).toContain('lifetime at most 86400 s');
    }, 60_000);

    it('ours, Vendor left unset: refused the same way, exit 1 with the advice to set Vendor fortigate', async () => {
      const r = await runVpncToExit(options({ command: OURS }));
      expect(r.code).toBe(1);
      expect(r.output).toContain('a gateway may refuse the lifetime of 2147483 s (FortiGate does): try --vendor fortigate or --ike-lifetime 28800');
    }, 60_000);

    it('ours with Vendor fortigate: proposes 28800 s, skips the malformed RESPONDER-LIFETIME, pulls mode config, traffic passes', async () => {
      const out = await connects({ command: OURS, debug: 1, extraConfig: ['Vendor fortigate'] });
      expect(out).toContain("the gateway's vendor IDs say Fortinet FortiGate; dialect fortigate (the Vendor setting)");
      expect(out).toContain('ISAKMP SA lifetime 28800 s');
    }, 60_000);
  }
});
