/**
 * "Connected, but no packets flowed": the project's gateway, no NAT (so natt mode sends raw ESP), and an
 * nftables rule that drops ESP (IP protocol 50) on its way. Debian's vpnc, the control, connects and carries
 * nothing. Ours, with the default settings, notices (ESP out, none back, IKE answers), says why in one line,
 * and switches to ESP in UDP by itself, keeping the device, routes and DNS; with --natt-mode none it says the
 * same and ends (exit 1) with the advice. Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { nsRun, requireBinaries, requireRoot, waitFor } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping, pingUntilAnswered } from '../helpers/traffic.js';
import { startVpnc, VPNC_SCRIPT } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const CAUSE = 'something on the path or this machine drops ESP (IP protocol 50)';

/** Drops ESP in one direction of one namespace: arriving at the client, or leaving the gateway. */
function dropEsp(ns: string, hook: 'input' | 'output'): void {
  nsRun(ns, 'nft', ['-f', '-'], { input: `table ip espdrop {\n chain c {\n  type filter hook ${hook} priority 0;\n  ip protocol esp drop\n }\n}\n` });
}

describe('ESP dropped on the way (no NAT, natt mode: raw ESP)', () => {
  let bed: Testbed;
  let gw: Gateway;
  const log: string[] = [];
  const routes = () => nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']);
  const connect = (o: { command?: readonly string[]; nattMode?: 'natt' | 'none' } = {}) => ({
    netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', ...o,
  });

  beforeAll(() => {
    requireRoot();
    requireBinaries([VPNC_SCRIPT, 'ip', 'nft', 'ping']);
    bed = createTestbed({ prefix: 'bh' });
    gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`, `Split include ${BED.innerNet}`, 'Interface name gwb%d'], { name: 'esp-blackhole.conf', log });
  });
  afterAll(() => {
    gw?.close();
    if (bed) destroyTestbed(bed);
  });

  for (const side of ['client', 'gateway'] as const) {
    it(`dropped ${side === 'client' ? 'arriving at the client' : 'leaving the gateway'}: Debian's vpnc carries nothing; ours names the cause and carries traffic over UDP within 30 s`, async () => {
      const before = routes();
      if (side === 'client') dropEsp(bed.client, 'input');
      else dropEsp(bed.gateway, 'output');
      try {
        // The control: the reference client connects, and nothing comes back.
        const control = startVpnc(connect());
        try {
          await control.waitForTunnel(20_000);
          const p = await ping(bed.client, BED.innerHost, 5);
          expect(p.received, p.output).toBe(0);
        } finally {
          expect(await control.stop()).toEqual({ code: 0, signal: null });
        }
        await waitFor('the gateway to forget the control', () => (gw.peerCount === 0 ? true : undefined), 5000);

        const v = startVpnc(connect({ command: OURS }));
        try {
          const tun = await v.waitForTunnel(20_000);
          expect(v.output()).toContain('ESP over raw');
          expect(await pingUntilAnswered(bed.client, BED.innerHost, 30_000), `${v.output()}\n${log.slice(-20).join('\n')}`).toBe(true);
          const out = v.output();
          expect(out).toMatch(new RegExp(`^vpnc: (\\d\\d:\\d\\d:\\d\\d\\.\\d{3} )?no ESP has come back from the gateway for \\d+ s although IKE answers: ${CAUSE.replace(/[()]/g, '\\$&')}; switching to UDP encapsulation$`, 'm'));
          expect(out).toContain('ESP now over udp');
          // Said once ESP in UDP has brought something back (the tick after the ping's answer).
          await waitFor('the advice for the profile', () => (v.output().includes('ESP in UDP works here') ? true : undefined), 5000);
          expect(v.output()).toContain('put "NAT Traversal Mode force-natt" in the profile');
          // The same device, and the routes the script put in place stayed.
          expect(nsRun(bed.client, 'ip', ['route', 'get', BED.innerHost])).toContain(`dev ${tun.device}`);
          expect((await ping(bed.client, BED.innerHost, 3)).received).toBe(3);
        } finally {
          expect(await v.stop()).toEqual({ code: 0, signal: null });
        }
      } finally {
        nsRun(side === 'client' ? bed.client : bed.gateway, 'nft', ['delete', 'table', 'ip', 'espdrop'], { allowFail: true });
      }
      expect(routes()).toBe(before);
      expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
      await waitFor('the gateway to forget the client', () => (gw.peerCount === 0 ? true : undefined), 5000);
    }, 120_000);
  }

  it('--natt-mode none: the same diagnosis, then exit 1 with the advice, the machine as it was', async () => {
    const before = routes();
    dropEsp(bed.client, 'input');
    try {
      const v = startVpnc(connect({ command: OURS, nattMode: 'none' }));
      await v.waitForTunnel(20_000);
      // Traffic to show the silence.
      const pinger = ping(bed.client, BED.innerHost, 20);
      const status = await Promise.race([v.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 40_000))]);
      await pinger;
      const out = v.output();
      await v.stop();
      expect(status, out).toEqual({ code: 1, signal: null });
      expect(out).toContain(`although IKE answers: ${CAUSE}; use UDP encapsulation: --natt-mode force-natt, or "NAT Traversal Mode force-natt" in the profile`);
      expect(out).not.toContain('switching to UDP encapsulation');
    } finally {
      nsRun(bed.client, 'nft', ['delete', 'table', 'ip', 'espdrop'], { allowFail: true });
    }
    expect(routes()).toBe(before);
    expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
  }, 90_000);
});
