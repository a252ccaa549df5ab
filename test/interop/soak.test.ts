/**
 * A soak: our client against strongSwan rekeying ESP every 5 s (its own quick modes, answered by us), DPD both
 * ways, and a ping every 100 ms through the tunnel, for VPNC_SOAK_SECONDS (60 by default in CI; the recorded run
 * is 600). Resident memory and open descriptors (from /proc), and Node's live timers, sockets and handles (from
 * `vpnc --status --json`) must stay flat: sampled every 10 s; descriptors, handles and the heap at the end
 * against the state after a warm-up.
 * Figures are printed and appended to $VPNC_SOAK_FIGURES when set. Root; never skipped.
 */
import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TunnelStatus } from '../../src/session/status.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { procUsage } from '../helpers/proc-usage.js';
import { CHARON, SWANCTL, type StrongSwanGateway } from '../helpers/strongswan.js';
import { bedWithStrongSwan, removeStrongSwanBed } from '../helpers/strongswan-bed.js';
import { BED, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { startVpnc, strongSwanClient, VPNC_SCRIPT } from '../helpers/vpnc-ref.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OURS = ['node', join(ROOT, 'bin', 'vpnc.js')];
const SECONDS = Number(process.env.VPNC_SOAK_SECONDS ?? 60);
const REKEY_SECONDS = 5;
const WARMUP_SECONDS = 15;
const run = promisify(execFile);

interface Sample {
  at: number;
  rssKb: number;
  heapKb: number;
  fds: number;
  resources: Readonly<Record<string, number>>;
  espRekeys: number;
}

describe(`a ${SECONDS} s soak: ESP rekeyed by the gateway every ${REKEY_SECONDS} s, DPD, traffic`, () => {
  let bed: Testbed;
  let gw: StrongSwanGateway;

  beforeAll(async () => {
    requireRoot();
    requireBinaries([CHARON, SWANCTL, VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'nft', 'ping']);
    ({ bed, gw } = await bedWithStrongSwan({ prefix: 'soak' }, { childRekeySeconds: REKEY_SECONDS, dpdDelaySeconds: 10 }));
  });
  afterAll(() => removeStrongSwanBed(bed, gw));

  it('memory, descriptors, timers and handles stay flat; the tunnel carries the pings throughout', async () => {
    const v = startVpnc(strongSwanClient(bed.client, gw, { command: OURS, dpdIdle: 10 }));
    const samples: Sample[] = [];
    try {
      await v.waitForTunnel(30_000);
      const started = Date.now();
      const pings = { sent: 0, answered: 0 };
      const sample = async (): Promise<void> => {
        // /proc first: the status request itself holds a descriptor of the client's for a moment.
        const u = procUsage(v.pid);
        const st = JSON.parse((await run('node', [join(ROOT, 'bin', 'vpnc.js'), '--status', '--json', '--pid-file', v.pidFile], { timeout: 15_000 })).stdout) as TunnelStatus;
        samples.push({ at: Math.round((Date.now() - started) / 1000), rssKb: u.rssKb, heapKb: st.process.heapUsedKb, fds: u.fds, resources: st.process.resources, espRekeys: st.events.espRekeys });
      };
      // Between samples, 100 pings 100 ms apart: traffic all the time, counted as it goes.
      while (Date.now() - started < SECONDS * 1000) {
        await sample();
        const p = await ping(bed.client, BED.innerHost, Math.max(1, Math.min(100, Math.floor((SECONDS * 1000 - (Date.now() - started)) / 100))), 0.1);
        pings.sent += p.transmitted;
        pings.answered += p.received;
      }
      await sample();
      const p = { received: pings.answered, transmitted: pings.sent, output: '' };
      const warm = samples.find((s) => s.at >= WARMUP_SECONDS) ?? samples[0]!;
      const half = samples.find((s) => s.at >= SECONDS / 2) ?? warm;
      const end = samples.at(-1)!;
      const text = [
        `soak ${SECONDS} s, strongSwan rekeying ESP every ${REKEY_SECONDS} s: ${end.espRekeys} ESP rekeys; pings answered ${p.received}/${p.transmitted}`,
        `RSS kB at ${warm.at} s ${warm.rssKb}, at ${half.at} s ${half.rssKb}, at ${end.at} s ${end.rssKb}; heap used kB ${warm.heapKb}, ${half.heapKb}, ${end.heapKb}; fds ${warm.fds} -> ${end.fds}`,
        `Node resources at ${warm.at} s ${JSON.stringify(warm.resources)}, at ${end.at} s ${JSON.stringify(end.resources)}`,
        `samples (s: RSS kB, heap kB, fds): ${samples.map((s) => `${s.at}: ${s.rssKb}, ${s.heapKb}, ${s.fds}`).join('; ')}`,
      ].join('\n');
      console.log(text);
      if (process.env.VPNC_SOAK_FIGURES) appendFileSync(process.env.VPNC_SOAK_FIGURES, `${new Date().toISOString()}\n${text}\n\n`);
      // The gateway did rekey all along (once per REKEY_SECONDS, give or take its jitter and our answer).
      expect(end.espRekeys).toBeGreaterThanOrEqual(Math.floor(SECONDS / REKEY_SECONDS / 2));
      expect(p.transmitted).toBeGreaterThan(SECONDS * 5);
      expect(p.received / p.transmitted).toBeGreaterThanOrEqual(0.99);
      expect(end.fds).toBe(warm.fds);
      // A leak of one timer or listener per rekey would add SECONDS / REKEY_SECONDS of a kind.
      for (const [kind, n] of Object.entries(end.resources)) expect(n, kind).toBeLessThanOrEqual((warm.resources[kind] ?? 0) + 2);
      // Flat memory: the JS heap (what a kept object per rekey would grow) adds under 3 MB after the warm-up, 30 kB a
      // rekey over 10 minutes would be 3.6 MB; resident memory, which V8 grows in steps, under 8 MB.
      expect(end.heapKb - warm.heapKb).toBeLessThan(3072);
      expect(end.rssKb - warm.rssKb).toBeLessThan(8192);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, (SECONDS + 90) * 1000);
});
