/**
 * DNS in our vpnc-script: systemd-resolved through `resolvectl` (routing domains for split DNS, the DNS default
 * route only for a full tunnel), `resolvconf`, and /etc/resolv.conf itself with a backup restored only while
 * our marker stands. The resolved and resolvconf paths run against stand-ins first on PATH that record their
 * calls; the file path against a real resolv.conf under /etc/netns/NAME/. Root only.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TunnelConfig } from '../../src/script/env.js';
import { deleteAllNetns, requireBinaries, requireRoot } from '../helpers/netns.js';
import {
  ORIGINAL_RESOLV,
  OUR_SCRIPT,
  SPLIT,
  TUNDEV,
  addStandIn,
  createScriptBed,
  destroyScriptBed,
  linkStandIn,
  mustRun,
  sampleTunnel,
  standInLog,
  type ScriptBed,
} from './script-bed.js';

requireRoot();
requireBinaries(['ip']);

let bed: ScriptBed | undefined;
afterEach(() => {
  destroyScriptBed(bed);
  bed = undefined;
});
afterAll(deleteAllNetns);

const RESOLVED_NSSWITCH = 'passwd: files\ngroup: files\nhosts: files resolve [!UNAVAIL=return] dns\n';
const PLAIN_NSSWITCH = 'passwd: files\ngroup: files\nhosts: files dns\n';
const SPLIT_DNS_TUNNEL = sampleTunnel({ splitInclude: SPLIT, splitDns: ['internal.example,lab.example'] });

const tab = (...argv: string[]): string => argv.join('\t');

async function connectDisconnect(b: ScriptBed, tunnel: TunnelConfig, env: Record<string, string> = {}): Promise<{ atConnect: string[]; atDisconnect: string[] }> {
  await mustRun(b, OUR_SCRIPT, 'connect', tunnel, env);
  const atConnect = standInLog(b);
  await mustRun(b, OUR_SCRIPT, 'disconnect', tunnel, env);
  return { atConnect, atDisconnect: standInLog(b).slice(atConnect.length) };
}

function resolvConf(b: ScriptBed): string {
  return readFileSync(b.resolvConf, 'utf8');
}

describe('systemd-resolved', () => {
  it('split tunnel: DNS on the link, ~routing domains for split DNS, no DNS default route; revert at disconnect', async () => {
    bed = createScriptBed({ nsswitch: RESOLVED_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    const log = await connectDisconnect(bed, SPLIT_DNS_TUNNEL);
    expect(log.atConnect).toEqual([
      tab('resolvectl', 'status'),
      tab('resolvectl', 'dns', TUNDEV, '192.0.2.53', '192.0.2.54'),
      tab('resolvectl', 'domain', TUNDEV, 'corp.example', '~internal.example', '~lab.example'),
      tab('resolvectl', 'default-route', TUNDEV, 'false'),
    ]);
    expect(log.atDisconnect).toEqual([tab('resolvectl', 'revert', TUNDEV)]);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
  });

  it('full tunnel: the link takes every query (~.) and is the DNS default route', async () => {
    bed = createScriptBed({ nsswitch: RESOLVED_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    const log = await connectDisconnect(bed, sampleTunnel({ splitDns: ['internal.example'] }));
    expect(log.atConnect.slice(1)).toEqual([
      tab('resolvectl', 'dns', TUNDEV, '192.0.2.53', '192.0.2.54'),
      tab('resolvectl', 'domain', TUNDEV, 'corp.example', '~internal.example', '~.'),
      tab('resolvectl', 'default-route', TUNDEV, 'true'),
    ]);
    expect(log.atDisconnect).toEqual([tab('resolvectl', 'revert', TUNDEV)]);
  });

  it('is recognised by its stub resolver in resolv.conf too', async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    writeFileSync(bed.resolvConf, 'nameserver 127.0.0.53\noptions edns0 trust-ad\n');
    addStandIn(bed, 'resolvectl');
    const log = await connectDisconnect(bed, SPLIT_DNS_TUNNEL);
    expect(log.atConnect[1]).toBe(tab('resolvectl', 'dns', TUNDEV, '192.0.2.53', '192.0.2.54'));
    expect(resolvConf(bed)).toBe('nameserver 127.0.0.53\noptions edns0 trust-ad\n');
  });

  it('is not used when resolved does not answer, nor when nothing points at it', async () => {
    bed = createScriptBed({ nsswitch: RESOLVED_NSSWITCH });
    addStandIn(bed, 'resolvectl', { statusExit: 1 });
    await mustRun(bed, OUR_SCRIPT, 'connect', SPLIT_DNS_TUNNEL);
    expect(standInLog(bed)).toEqual([tab('resolvectl', 'status')]);
    expect(resolvConf(bed)).toMatch(/^#@VPNC_GENERATED@/);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', SPLIT_DNS_TUNNEL);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
    destroyScriptBed(bed);

    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    await mustRun(bed, OUR_SCRIPT, 'connect', SPLIT_DNS_TUNNEL);
    expect(standInLog(bed)).toEqual([]);
    expect(resolvConf(bed)).toMatch(/^#@VPNC_GENERATED@/);
  });

  it('takes only well-formed domains from the gateway', async () => {
    bed = createScriptBed({ nsswitch: RESOLVED_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    const tunnel = sampleTunnel({ splitInclude: SPLIT, defaultDomain: 'corp.example\nnameserver 6.6.6.6', splitDns: ['ok.example,bad;name,-x,$(id)'] });
    const log = await connectDisconnect(bed, tunnel);
    expect(log.atConnect).toContain(tab('resolvectl', 'domain', TUNDEV, '~ok.example'));
  });
});

describe('resolvconf', () => {
  it('is fed nameserver and search lines for the tunnel, and removed at disconnect', async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    addStandIn(bed, 'resolvconf', { readStdin: true });
    const log = await connectDisconnect(bed, SPLIT_DNS_TUNNEL);
    expect(log.atConnect).toEqual([
      tab('resolvconf', '-a', TUNDEV),
      '<<<',
      'nameserver 192.0.2.53',
      'nameserver 192.0.2.54',
      'search corp.example',
      '>>>',
    ]);
    expect(log.atDisconnect).toEqual([tab('resolvconf', '-d', TUNDEV)]);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
  });

  it("is skipped when it is only resolvectl's compatibility link", async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    linkStandIn(bed, 'resolvconf', 'resolvectl');
    await mustRun(bed, OUR_SCRIPT, 'connect', SPLIT_DNS_TUNNEL);
    expect(standInLog(bed)).toEqual([]);
    expect(resolvConf(bed)).toMatch(/^#@VPNC_GENERATED@/);
  });

  it('VPNC_DNS_BACKEND chooses the back-end, or none at all', async () => {
    bed = createScriptBed({ nsswitch: RESOLVED_NSSWITCH });
    addStandIn(bed, 'resolvectl');
    addStandIn(bed, 'resolvconf', { readStdin: true });
    const log = await connectDisconnect(bed, SPLIT_DNS_TUNNEL, { VPNC_DNS_BACKEND: 'resolvconf' });
    expect(log.atConnect[0]).toBe(tab('resolvconf', '-a', TUNDEV));
    expect(log.atDisconnect).toEqual([tab('resolvconf', '-d', TUNDEV)]);
    const none = await connectDisconnect(bed, SPLIT_DNS_TUNNEL, { VPNC_DNS_BACKEND: 'none' });
    expect([...none.atConnect.slice(log.atConnect.length + log.atDisconnect.length), ...none.atDisconnect]).toEqual([]);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
  });
});

describe('/etc/resolv.conf', () => {
  it('is written with our marker, the VPN servers and search domains, the other lines kept', async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    await mustRun(bed, OUR_SCRIPT, 'connect', SPLIT_DNS_TUNNEL);
    expect(resolvConf(bed)).toBe(
      `#@VPNC_GENERATED@ written by vpnc-script for ${TUNDEV}; restored at disconnect while this line stays\n` +
        'nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example home.example\noptions edns0 timeout:2\n',
    );
    await mustRun(bed, OUR_SCRIPT, 'disconnect', SPLIT_DNS_TUNNEL);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
  });

  it('is left alone at disconnect when someone rewrote it meanwhile (the marker is gone)', async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    await mustRun(bed, OUR_SCRIPT, 'connect', SPLIT_DNS_TUNNEL);
    writeFileSync(bed.resolvConf, 'nameserver 198.51.100.99\n');
    const r = await mustRun(bed, OUR_SCRIPT, 'disconnect', SPLIT_DNS_TUNNEL);
    expect(r.stderr).toContain('changed since connect');
    expect(resolvConf(bed)).toBe('nameserver 198.51.100.99\n');
    expect(existsSync(join(bed.runDir, 'vpnc', TUNDEV))).toBe(false);
  });

  it('is not touched when the gateway sends no DNS server, and a multi-line domain never adds a line', async () => {
    bed = createScriptBed({ nsswitch: PLAIN_NSSWITCH });
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel({ dns: [] }));
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ dns: [] }));
    const evil = sampleTunnel({ defaultDomain: 'corp.example\nnameserver 6.6.6.6' });
    const r = await mustRun(bed, OUR_SCRIPT, 'connect', evil);
    expect(r.stderr).toContain('not one line');
    expect(resolvConf(bed)).not.toContain('6.6.6.6');
    expect(resolvConf(bed)).toContain('\nsearch home.example\n');
    await mustRun(bed, OUR_SCRIPT, 'disconnect', evil);
    expect(resolvConf(bed)).toBe(ORIGINAL_RESOLV);
  });
});
