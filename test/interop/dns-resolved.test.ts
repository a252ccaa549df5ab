/**
 * Split DNS with the real systemd-resolved (Debian's, unpacked, running in the client's namespace on a private
 * bus) and our vpnc-script: during a split-tunnel connection to our gateway, names under the gateway's default
 * domain and its split-DNS domain go to the gateway's DNS server through the tunnel, every other name to the
 * original server; two DNS responders record what they are asked. After each ending (vpnc-disconnect; SIGTERM;
 * SIGKILL then vpnc-disconnect) `resolvectl status` is what it was before. A full tunnel routes every name to the
 * gateway's server (`~.`, default route). Root; never skipped.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { childExit, nsRun, nsSpawn, nsSpawnPrivateRun, requireRoot, stopChild, waitFor } from '../helpers/netns.js';
import { startResolved, type Resolved } from '../helpers/resolved.js';
import { BED, createTestbed, destroyTestbed, netnsResolvConfPath, type Testbed } from '../helpers/testbed.js';
import { vpncConfig } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin', 'vpnc.js');
const DISCONNECT = join(ROOT, 'bin', 'vpnc-disconnect.js');
const OUR_SCRIPT = join(ROOT, 'scripts', 'vpnc-script');
const RESPONDER = join(ROOT, 'test', 'helpers', 'dns-responder.mjs');
/** The client's resolver before the tunnel: in the gateway namespace, on the outside link. */
const OUTSIDE_DNS = '198.51.100.53';

interface Responder {
  readonly queries: string[];
  stop(): Promise<void>;
}

async function startResponder(ns: string, address: string, answer: string): Promise<Responder> {
  const child: ChildProcess = nsSpawn(ns, 'node', [RESPONDER, address, answer]);
  const queries: string[] = [];
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    for (const m of d.toString().matchAll(/^query (\S+) 1$/gm)) queries.push(m[1]!);
  });
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(`the DNS responder on ${address}`, () => (out.includes('listening') ? true : undefined), 5000);
  return { queries, stop: async () => void (await stopChild(child)) };
}

describe('split DNS with the real systemd-resolved', () => {
  let bed: Testbed;
  let gateway: Gateway;
  let resolved: Resolved;
  let outside: Responder;
  let vpn: Responder;
  let work: string;
  let before: string;

  beforeAll(async () => {
    requireRoot();
    bed = createTestbed({ prefix: 'rv' });
    nsRun(bed.gateway, 'ip', ['addr', 'add', `${OUTSIDE_DNS}/32`, 'dev', 'lo']);
    nsRun(bed.inner, 'ip', ['addr', 'add', `${BED.vpnDns}/32`, 'dev', 'lo']);
    outside = await startResponder(bed.gateway, OUTSIDE_DNS, '198.51.100.80');
    vpn = await startResponder(bed.inner, BED.vpnDns, '203.0.113.80');
    resolved = await startResolved(bed.client, OUTSIDE_DNS);
    // Libc and our script see resolved's stub, as on a desktop that uses it.
    writeFileSync(netnsResolvConfPath(bed.client), 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    gateway = startProjectGateway(bed.gateway, [
      `Split include ${BED.innerNet}`, `Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`, 'Default domain corp.example', 'Split DNS internal.example',
    ], { name: 'resolved.conf' });
    work = mkdtempSync(join(tmpdir(), 'vpnc-ts-rv-'));
    // The route script: ours, with the resolvectl that reaches this resolved first on PATH.
    writeFileSync(join(work, 'script'), `#!/bin/sh\nPATH=${resolved.binDir}:$PATH\nexport PATH\nexec ${OUR_SCRIPT}\n`);
    chmodSync(join(work, 'script'), 0o755);
    // One query first: resolved then shows a "Current DNS Server", which is its state, not ours to restore.
    await resolved.query('warm-up.example.net');
    before = resolved.resolvectl(['status']);
    expect(before).toContain(`Current DNS Server: ${OUTSIDE_DNS}`);
  }, 60_000);

  afterAll(async () => {
    gateway?.close();
    await resolved?.stop();
    await outside?.stop();
    await vpn?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    if (bed) destroyTestbed(bed);
  });

  /** Which responder answered `name` (resolved asked through `resolvectl query`). */
  async function askedOf(name: string): Promise<string[]> {
    const out = await resolved.query(name);
    const who = [...(outside.queries.includes(name) ? ['outside'] : []), ...(vpn.queries.includes(name) ? ['vpn'] : [])];
    expect(out, `${name}: ${out}`).toContain(who[0] === 'vpn' ? '203.0.113.80' : '198.51.100.80');
    return who;
  }

  const endings = {
    'vpnc-disconnect': (pidFile: string) => `node ${DISCONNECT} --pid-file ${pidFile}`,
    SIGTERM: () => 'kill -TERM $pid; wait $pid',
    'SIGKILL, then vpnc-disconnect': (pidFile: string) => `kill -9 $pid; wait $pid 2>/dev/null; node ${DISCONNECT} --pid-file ${pidFile}`,
  } as const;

  /**
   * Connects our client (profile `tag`), runs `during` on the tunnel device, ends the client with `stop`, and
   * checks resolved's status is what it was before.
   */
  async function connection(tag: string, stop: (pidFile: string) => string, during: (device: string) => Promise<void>): Promise<void> {
    const pidFile = join(work, `${tag}.pid`);
    const profile = join(work, `${tag}.conf`);
    const options = { netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: join(work, 'script') };
    writeFileSync(profile, vpncConfig(options, pidFile), { mode: 0o600 });
    const log = join(work, `${tag}.log`);
    const steps = `
node ${BIN} ${profile} > ${log} 2>&1 &
pid=$!
i=0; until grep -q 'VPNC started' ${log}; do i=$((i+1)); [ $i -gt 300 ] && { cat ${log}; exit 3; }; sleep 0.1; done
echo up
read go
${stop(pidFile)}
echo ended
`;
    const sh = nsSpawnPrivateRun(bed.client, 'sh', ['-c', steps], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    sh.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    sh.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor('the tunnel', () => {
        if (sh.exitCode !== null) throw new Error(`the client ended early:\n${out}`);
        return out.includes('up\n') ? true : undefined;
      }, 30_000);
      const device = /^\d+:\s+(tun\d+)\s+inet /m.exec(nsRun(bed.client, 'ip', ['-o', '-4', 'addr', 'show']))?.[1];
      expect(device, 'the tunnel device').toBeDefined();
      await during(device!);
    } finally {
      sh.stdin?.end('go\n');
      const status = await childExit(sh);
      expect(status, out).toEqual({ code: 0, signal: null });
    }
    expect(out).toContain('ended');
    expect(resolved.resolvectl(['status'])).toBe(before);
  }

  for (const [ending, stop] of Object.entries(endings)) {
    it(`during the tunnel the gateway's domains go to its server and the rest outside; after ${ending}, resolvectl status is as before`, async () => {
      const tag = ending.replace(/[^a-z]/gi, '').toLowerCase().slice(0, 8);
      await connection(tag, stop, async (device) => {
        const link = resolved.resolvectl(['status', device]);
        expect(link).toContain(`DNS Servers: ${BED.vpnDns}`);
        expect(link).toMatch(/DNS Domain: corp\.example ~internal\.example/);
        expect(link).toMatch(/Protocols: -DefaultRoute /); // resolved 252's way of saying default-route false
        expect(await askedOf(`a-${tag}.corp.example`)).toEqual(['vpn']);
        expect(await askedOf(`b-${tag}.internal.example`)).toEqual(['vpn']);
        expect(await askedOf(`c-${tag}.example.net`)).toEqual(['outside']);
      });
      expect(await askedOf(`d-${tag}.corp.example`)).toEqual(['outside']);
    }, 90_000);
  }

  it('a full tunnel (no split include): the link gets ~. and the DNS default route, every name goes to the gateway\'s server; after SIGTERM, status as before', async () => {
    gateway.close();
    gateway = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `DNS ${BED.vpnDns}`, 'Default domain corp.example'], { name: 'resolved-full.conf' });
    await connection('full', endings.SIGTERM, async (device) => {
      const link = resolved.resolvectl(['status', device]);
      expect(link).toContain(`DNS Servers: ${BED.vpnDns}`);
      expect(link).toMatch(/DNS Domain: corp\.example ~\./);
      expect(link).toMatch(/Protocols: \+DefaultRoute /);
      expect(await askedOf('e-full.example.net')).toEqual(['vpn']);
      expect(await askedOf('f-full.corp.example')).toEqual(['vpn']);
    });
    expect(await askedOf('g-full.example.net')).toEqual(['outside']);
  }, 90_000);
});
