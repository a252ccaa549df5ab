/**
 * NetworkManager-vpnc's real service (nm-vpnc-service 1.2.8 and its helper, test/helpers/nm-vpnc.ts) drives the
 * client as NetworkManager has it do: it writes the profile on stdin, the helper reports the tunnel back over
 * D-Bus (Ip4Config), and this test applies that configuration to the device as NetworkManager would. The same
 * test runs with Debian's vpnc in our place (the control). Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { nsRun, requireRoot } from '../helpers/netns.js';
import { nmAddress, nmDns, nmRoutes, nmString, nmUint, NmVpnFailure, NmVpnState, startNmVpnc, type NmVpnc } from '../helpers/nm-vpnc.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { startStrongSwan } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLIENTS = { ours: ['node', join(ROOT, 'bin', 'vpnc.js')], "Debian's vpnc": undefined } as const;

/** What NetworkManager's connection editor stores for a vpnc connection, with the secrets saved. */
const DATA = { 'IPSec gateway': BED.gatewayOutside, 'IPSec ID': 'testgroup', 'Xauth username': 'alice', 'NAT Traversal Mode': 'natt', 'IPSec secret-flags': '0', 'Xauth password-flags': '0' };
const PASSCODE = '123456';
const NEXT_PIN = '4321';
const SECRETS = { 'IPSec secret': 'group-secret-42', 'Xauth password': 'wonderland' };

/** A gateway in the bed's gateway namespace, and what its Ip4Config must say. */
interface Site {
  readonly start: (bed: Testbed) => Promise<{ stop(): Promise<void> | void }>;
  readonly dns: string;
  readonly domain: string;
  readonly routes: readonly string[];
  readonly secrets: Record<string, string>;
  readonly user: string;
}

const SITES: Record<string, Site> = {
  'the project gateway': {
    start: async (bed) => {
      const g: Gateway = startProjectGateway(bed.gateway, [`Split include ${BED.innerNet}`, `Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`, 'Default domain corp.example'], { name: 'nm.conf' });
      return { stop: () => g.close() };
    },
    dns: BED.vpnDns,
    domain: 'corp.example',
    routes: [BED.innerNet],
    secrets: SECRETS,
    user: 'alice',
  },
  strongSwan: {
    start: async (bed) => {
      const gw = await startStrongSwan({ netns: bed.gateway });
      return { stop: () => gw.stop().then(() => undefined) };
    },
    dns: '203.0.113.53',
    domain: 'example.test',
    routes: ['203.0.113.0/24'],
    secrets: { 'IPSec secret': 'group-secret-42', 'Xauth password': 'alice-password' },
    user: 'alice',
  },
};

for (const [site, g] of Object.entries(SITES)) {
  describe(`NetworkManager-vpnc drives the client against ${site}`, () => {
    let bed: Testbed;
    let gateway: { stop(): Promise<void> | void } | undefined;
    beforeAll(async () => {
      requireRoot();
      bed = createTestbed({ prefix: site === 'strongSwan' ? 'nms' : 'nmg' });
      gateway = await g.start(bed);
    });
    afterAll(async () => {
      await gateway?.stop();
      if (bed) destroyTestbed(bed);
    });

    for (const [who, command] of Object.entries(CLIENTS)) {
      it(`${who}: Ip4Config carries the address, DNS, domain and split routes; traffic passes; Disconnect leaves routes and resolv.conf as before`, async () => {
        const snapshot = () => [nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']), nsRun(bed.client, 'ip', ['-o', 'link', 'show']).replace(/\d+: /g, ''), readClientResolvConf(bed)].join('\n---\n');
        const before = snapshot();
        const nm: NmVpnc = await startNmVpnc(bed.client, command);
        try {
          nm.connect({ ...DATA, 'Xauth username': g.user }, g.secrets);
          const ip4 = (await nm.waitForSignal('Ip4Config', 30_000).catch((err: Error) => {
            throw new Error(`${err.message}\n${nm.log()}`);
          })).args;
          const tundev = nmString(ip4, 'tundev');
          const address = nmAddress(nmUint(ip4, 'address') ?? 0);
          expect(tundev, ip4).toMatch(/^tun\d+$/);
          expect(address, ip4).toBe(BED.poolFirst);
          expect(nmDns(ip4)).toEqual([g.dns]);
          expect(nmString(ip4, 'domain') ?? /'domains': <\['([^']*)'\]>/.exec(ip4)?.[1], ip4).toBe(g.domain);
          expect(nmRoutes(ip4)).toEqual(g.routes);
          await nm.waitForSignal('StateChanged', 10_000, new RegExp(`uint32 ${NmVpnState.started}\\b`));
          // What NetworkManager does with it: the address on the device, the split routes into it.
          nsRun(bed.client, 'ip', ['addr', 'add', `${address}/32`, 'dev', tundev!]);
          nsRun(bed.client, 'ip', ['link', 'set', 'dev', tundev!, 'up']);
          for (const r of nmRoutes(ip4)) nsRun(bed.client, 'ip', ['route', 'add', r, 'dev', tundev!]);
          const p = await ping(bed.client, BED.innerHost, 3);
          expect(p.received, `${p.output}\n${nm.log()}`).toBe(3);
          const seen = nm.signals().length;
          nm.disconnect();
          await nm.waitForSignal('StateChanged', 15_000, new RegExp(`uint32 ${NmVpnState.stopped}\\b`), seen);
        } finally {
          await nm.stop();
        }
        expect(snapshot()).toBe(before);
      }, 90_000);
    }

    for (const [who, command] of Object.entries(CLIENTS)) {
      it(`${who}: a wrong password ends in the plugin's login-failed state`, async () => {
        const nm = await startNmVpnc(bed.client, command);
        try {
          nm.connect({ ...DATA, 'Xauth username': g.user }, { ...g.secrets, 'Xauth password': 'not-the-password' });
          await nm.waitForSignal('Failure', 30_000, new RegExp(`^\\(uint32 ${NmVpnFailure.loginFailed},\\)$`)).catch((err: Error) => {
            throw new Error(`${err.message}\n${JSON.stringify(nm.signals())}\n${nm.log()}`);
          });
          expect(nm.signals().map((x) => x.member)).not.toContain('Ip4Config');
        } finally {
          await nm.stop();
        }
      }, 60_000);
    }
  });
}

describe('NetworkManager-vpnc: a passcode, then a new PIN, asked through the plugin (project gateway, token user)', () => {
  let bed: Testbed;
  let gateway: Gateway;
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ prefix: 'nmt' });
    gateway = startProjectGateway(bed.gateway, [`Token user bob ${PASSCODE} ${NEXT_PIN}`, `Split include ${BED.innerNet}`, `Pool ${BED.poolFirst}-${BED.poolLast}`], { name: 'nm-token.conf' });
  });
  afterAll(() => {
    gateway?.close();
    if (bed) destroyTestbed(bed);
  });

  for (const [who, command] of Object.entries(CLIENTS)) {
    it(`${who}: the plugin sees both prompts, the answers go back through NewSecrets, the tunnel comes up`, async () => {
      const nm = await startNmVpnc(bed.client, command);
      // The password is not saved (flags 2): the service runs vpnc interactively and asks NetworkManager's agent.
      const data = { ...DATA, 'Xauth username': 'bob', 'Xauth password-flags': '2' };
      const secrets = { 'IPSec secret': 'group-secret-42' };
      try {
        nm.connectInteractive(data, secrets);
        const fail = (err: Error) => {
          throw new Error(`${err.message}\n${JSON.stringify(nm.signals())}\n${nm.log()}`);
        };
        const first = await nm.waitForSignal('SecretsRequired', 30_000).catch(fail);
        // vpnc asks for the password before it connects when the profile has none; it answers the passcode field.
        expect(first.args).toMatch(/Enter password for bob@198\.51\.100\.1: /);
        expect(first.args).toContain("'Xauth password'");
        let seen = nm.signals().length;
        nm.newSecrets(data, { ...secrets, 'Xauth password': PASSCODE });
        const second = await nm.waitForSignal('SecretsRequired', 30_000, undefined, seen).catch(fail);
        // The gateway's message is what the plugin shows with the next-PIN prompt (a vpnc-style plain line).
        expect(second.args).toMatch(/^\('Enter a new PIN\\n', \['Xauth password'\]\)$/);
        seen = nm.signals().length;
        nm.newSecrets(data, { ...secrets, 'Xauth password': NEXT_PIN });
        const ip4 = (await nm.waitForSignal('Ip4Config', 30_000, undefined, seen).catch(fail)).args;
        expect(nmAddress(nmUint(ip4, 'address') ?? 0)).toMatch(/^192\.0\.2\.\d+$/); // from the pool (the last client's may still be held)
        expect(nmRoutes(ip4)).toEqual([BED.innerNet]);
        const done = nm.signals().length;
        nm.disconnect();
        await nm.waitForSignal('StateChanged', 15_000, new RegExp(`uint32 ${NmVpnState.stopped}\\b`), done);
      } finally {
        await nm.stop();
      }
    }, 90_000);
  }
});

