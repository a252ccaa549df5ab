/**
 * `vpnc --probe`: what the gateway accepts, asked without a tunnel or user authentication. Against strongSwan
 * (two IKE proposals: aes256-sha1-modp1024 and aes128-sha256-modp2048) and against the project's gateway
 * (`IKE DH groups dh14`): exactly the groups each is configured for are accepted, with the transform it chose;
 * the other groups are refused; no IKE SA is left on strongSwan, and no route or device appears on the
 * client. Root; never skipped.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { PROBE_GROUPS } from '../../src/session/probe.js';
import { childExit, nsRun, requireRoot, waitFor } from '../helpers/netns.js';
import { startStrongSwan } from '../helpers/strongswan.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';

const BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js');

/** `vpnc --probe -` in the client namespace with a profile on stdin; stdout and stderr together, and the exit code. */
/** (Asynchronous: the project's gateway runs in this process and must keep answering meanwhile.) */
async function probe(bed: Testbed, group: string, secret: string): Promise<string> {
  const profile = [`IPSec gateway ${BED.gatewayOutside}`, `IPSec ID ${group}`, `IPSec secret ${secret}`, 'NAT Traversal Mode natt', 'Noninteractive', ''].join('\n');
  const child = spawn('ip', ['netns', 'exec', bed.client, 'node', BIN, '--probe', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr.on('data', (d: Buffer) => (text += d.toString()));
  child.stdin.end(profile);
  const status = await childExit(child);
  return `${text}exit ${status.code}\n`;
}

/** The answer line of each DH group, `dhN` -> text. */
function answers(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const r = /^ {2}(dh\d+) +(.*)$/.exec(line);
    if (r) m.set(r[1]!, r[2]!);
  }
  return m;
}

const state = (bed: Testbed) => `${nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all'])}${nsRun(bed.client, 'ip', ['-o', 'link', 'show'])}`;

describe('vpnc --probe', () => {
  it('against strongSwan: dh2 and dh14 accepted with the transforms configured, the rest refused, no IKE SA left', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'pb' });
    const gw = await startStrongSwan({ netns: bed.gateway, ikeProposals: 'aes256-sha1-modp1024,aes128-sha256-modp2048' });
    try {
      const before = state(bed);
      const out = await probe(bed, gw.options.group, gw.options.groupSecret);
      const a = answers(out);
      expect([...a.keys()]).toEqual(PROBE_GROUPS.map((g) => `dh${g}`));
      expect(a.get('dh2'), out).toMatch(/^accepted: psk\+xauth-aes256-sha1\b/);
      expect(a.get('dh14'), out).toMatch(/^accepted: psk\+xauth-aes128-sha256\b/);
      for (const [g, text] of a) if (g !== 'dh2' && g !== 'dh14') expect(text, `${g}\n${out}`).toMatch(/^(refused|no answer)/);
      // What the bed's strongSwan announces (its configuration has no Cisco Unity plugin loaded).
      expect(out).toContain('the gateway offers: XAUTH, no Cisco Unity, DPD, NAT-T (RFC 3947 or draft-02+)');
      // The bed's strongSwan fakes its NAT-D (it runs ESP in UDP only), so it looks like a NAT in front of it.
      expect(out).toContain('NAT on the way: yes, in front of the gateway');
      expect(out).toContain('  IKE DH Group dh14');
      expect(out).toMatch(/exit 0\n$/);
      expect(state(bed)).toBe(before);
      await waitFor('strongSwan to have no IKE SA left', () => (gw.listSas().trim() === '' ? true : undefined), 10_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${gw.listSas()}\n${gw.logTail(40)}`);
      });
    } finally {
      await gw.stop();
      destroyTestbed(bed);
    }
  }, 120_000);

  it('against our gateway (IKE DH groups dh14): only dh14 accepted; a wrong group secret is named', async () => {
    requireRoot();
    const bed = createTestbed({ prefix: 'pg' });
    const log: string[] = [];
    const gw = startProjectGateway(bed.gateway, ['IKE DH groups dh14', `Pool ${BED.poolFirst}-${BED.poolLast}`, 'Interface name gwp%d'], { name: 'probe.conf', log });
    try {
      const out = await probe(bed, 'testgroup', 'group-secret-42');
      const a = answers(out);
      expect(a.get('dh14'), `${out}\n${log.join('\n')}`).toMatch(/^accepted: psk\+xauth-/);
      for (const [g, text] of a) if (g !== 'dh14') expect(text, `${g}\n${out}`).toMatch(/^(refused|no answer)/);
      await waitFor('our gateway to have no session left', () => (gw.peerCount === 0 ? true : undefined), 5000);
      const wrong = await probe(bed, 'testgroup', 'not-the-secret');
      expect(answers(wrong).get('dh14'), wrong).toMatch(/^answered, but hash comparison failed/);
      expect(wrong).toContain('the group secret or group name is not what the gateway has');
      expect(wrong).toMatch(/exit 1\n$/);
    } finally {
      gw.close();
      destroyTestbed(bed);
    }
  }, 120_000);
});
