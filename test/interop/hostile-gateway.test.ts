/**
 * Our client (`node bin/vpnc.js`, from dist/: run `npm run build` first) against the project's gateway in hostile
 * mode (`Hostile seed N`, docs/gateway.md): each session is attacked at one step by its own plan, and every session
 * must end with exit 0, 1 or 2 and a one-line reason, within the configured timeouts, never with an internal
 * error, leaving no TUN device, pid file, route, DNS change or undone route script behind.
 *
 * By default a few dozen sessions (every step as often); VPNC_HOSTILE_SESSIONS=1000 runs the full campaign.
 * VPNC_HOSTILE_SEED sets the base seed (default 1), VPNC_HOSTILE_PORTS=p1,p2 replays those sessions only,
 * VPNC_HOSTILE_STEP attacks only that step (the gateway's `Hostile seed N STEP`),
 * VPNC_HOSTILE_CONCURRENCY the sessions at a time, VPNC_HOSTILE_REPORT a file for the JSON summary,
 * VPNC_HOSTILE_GATEWAY_LOG a file for the gateway's debug-1 log (each session's plan and every hostile act).
 * Root; never skipped.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../../src/gateway/config.js';
import type { HostileStep } from '../../src/gateway/hostile/plan.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Logger } from '../../src/log.js';
import { balancedPorts, HARD_LIMIT_MS, runCampaign, unbalancedScripts, type SessionResult } from '../helpers/hostile-campaign.js';
import { nsRun, requireBinaries, requireRoot } from '../helpers/netns.js';
import { BED, CLIENT_RESOLV_CONF, createTestbed, destroyTestbed, readClientResolvConf, type Testbed } from '../helpers/testbed.js';

const SESSIONS = Number(process.env.VPNC_HOSTILE_SESSIONS ?? 32);
const BASE_SEED = Number(process.env.VPNC_HOSTILE_SEED ?? 1);
const CONCURRENCY = Number(process.env.VPNC_HOSTILE_CONCURRENCY ?? 32);
const STEP = process.env.VPNC_HOSTILE_STEP as HostileStep | undefined;
const PORTS = process.env.VPNC_HOSTILE_PORTS ? process.env.VPNC_HOSTILE_PORTS.split(',').map(Number) : balancedPorts(BASE_SEED, SESSIONS, STEP);

function gatewayConfig(netns: string): string {
  return [
    `Listen ${BED.gatewayOutside}`,
    'Group testgroup',
    'Group secret group-secret-42',
    'User alice wonderland',
    'Pool 192.0.2.2-192.0.2.254',
    `DNS ${BED.vpnDns}`,
    'Default domain corp.example',
    'Banner Hostile test gateway',
    `Split include ${BED.innerNet}`,
    'Cisco UDP port 10000',
    'Interface name hgw%d',
    'Debug 1',
    `Hostile seed ${BASE_SEED}${STEP ? ` ${STEP}` : ''}`,
    `Netns ${netns}`,
    '',
  ].join('\n');
}

/** Routes, links and resolv.conf of the client namespace: what must look the same after the campaign. */
function snapshot(bed: Testbed): string {
  return [nsRun(bed.client, 'ip', ['-4', 'route', 'show', 'table', 'all']), nsRun(bed.client, 'ip', ['-6', 'route', 'show', 'table', 'all']).replace(/^local fe80::.*\n/gm, ''), nsRun(bed.client, 'ip', ['-o', 'link', 'show']).replace(/\\\s+link\/.*$/gm, ''), readClientResolvConf(bed)].join('\n--\n');
}

function summarize(results: readonly SessionResult[], wallMs: number): Record<string, unknown> {
  const byCode: Record<string, number> = {};
  const byStep: Record<string, Record<string, number>> = {};
  const reasons: Record<string, number> = {};
  for (const r of results) {
    const k = r.signal ? `signal ${r.signal}` : String(r.code);
    byCode[k] = (byCode[k] ?? 0) + 1;
    const s = (byStep[r.step] ??= {});
    s[k] = (s[k] ?? 0) + 1;
    const reason = r.reason.replace(/\d+(\.\d+)*/g, 'N').replace(/0x[0-9a-f]+/gi, 'X');
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
  const longest = [...results].sort((a, b) => b.durationMs - a.durationMs)[0];
  return {
    sessions: results.length,
    baseSeed: BASE_SEED,
    concurrency: CONCURRENCY,
    wallMs,
    byExitCode: byCode,
    cameUp: results.filter((r) => r.up).length,
    stoppedBySigterm: results.filter((r) => r.terminated).length,
    endedByThemselvesOnceUp: results.filter((r) => r.up && !r.terminated).length,
    longestMs: longest?.durationMs,
    longest: longest && `port ${longest.port}: ${longest.plan}: exit ${longest.code}: ${longest.reason}`,
    failed: results.filter((r) => r.problems.length > 0).map((r) => ({ port: r.port, plan: r.plan, problems: r.problems, stderr: r.stderr.slice(-2000) })),
    byStep,
    all: results.map((r) => `${r.port} ${r.nattMode} exit ${r.signal ?? r.code}${r.up ? ' up' : ''} ${r.durationMs} ms: ${r.plan}: ${r.reason}`),
    reasons: Object.fromEntries(Object.entries(reasons).sort((a, b) => b[1] - a[1])),
  };
}

describe('our client against the hostile gateway', () => {
  let bed: Testbed;
  let gw: Gateway;
  let dir: string;
  const log: string[] = [];

  beforeAll(() => {
    requireRoot();
    requireBinaries(['ip', 'node']);
    dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-hostile-'));
    bed = createTestbed({ prefix: 'hg' });
    gw = Gateway.start(parseGatewayConfig(gatewayConfig(bed.gateway), 'hostile-gateway.conf'), { log: new Logger({ level: 1, sink: (l) => log.push(l) }) });
  });
  afterAll(() => {
    gw?.close();
    if (bed) destroyTestbed(bed);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    `${PORTS.length} seeded sessions end with 0, 1 or 2 and a reason, in time, leaving nothing behind`,
    async () => {
      const scriptLog = join(dir, 'script.log');
      const script = join(dir, 'script.sh');
      writeFileSync(script, `#!/bin/sh\nprintf '%s %s %s\\n' "$reason" "$VPNPID" "$TUNDEV" >> ${scriptLog}\n`);
      chmodSync(script, 0o755);
      writeFileSync(scriptLog, '');
      const before = snapshot(bed);
      const started = Date.now();
      const results = await runCampaign({
        netns: bed.client,
        gateway: BED.gatewayOutside,
        baseSeed: BASE_SEED,
        ...(STEP ? { onlyStep: STEP } : {}),
        ports: PORTS,
        concurrency: CONCURRENCY,
        dir,
        script,
        onDone: (r, done) => {
          if (r.problems.length > 0 || done % 100 === 0) console.log(`${done}/${PORTS.length} port ${r.port}: exit ${r.code} ${r.problems.join('; ')}`);
        },
      });
      const wallMs = Date.now() - started;
      const scripts = readFileSync(scriptLog, 'utf8');
      const summary: Record<string, unknown> = { ...summarize(results, wallMs), scriptConnects: scripts.split('\n').filter((l) => l.startsWith('connect ')).length, scriptDisconnects: scripts.split('\n').filter((l) => l.startsWith('disconnect ')).length };
      if (process.env.VPNC_HOSTILE_GATEWAY_LOG) writeFileSync(process.env.VPNC_HOSTILE_GATEWAY_LOG, `${log.join('\n')}\n`);
      if (process.env.VPNC_HOSTILE_REPORT) writeFileSync(process.env.VPNC_HOSTILE_REPORT, `${JSON.stringify(summary, null, 2)}\n`);
      console.log(JSON.stringify({ ...summary, failed: (summary.failed as unknown[]).length, reasons: undefined, all: undefined }, null, 2));

      const failures = results
        .filter((r) => r.problems.length > 0)
        .map((r) => {
          const key = log.find((l) => l.includes(`client port ${r.port})`))?.match(/peer ([0-9a-f]{32})/)?.[1];
          const gwLines = key ? log.filter((l) => l.includes(key)).slice(-12) : [];
          return `port ${r.port} (replay: VPNC_HOSTILE_SEED=${BASE_SEED} VPNC_HOSTILE_PORTS=${r.port}), ${r.nattMode}, ${r.plan}:\n  ${r.problems.join('\n  ')}\n  stderr: ${r.stderr.trim().split('\n').slice(-5).join('\n          ')}\n  gateway: ${gwLines.join('\n           ')}`;
        });
      expect(failures.join('\n\n')).toBe('');
      expect(unbalancedScripts(scripts)).toEqual([]);
      expect(snapshot(bed)).toBe(before);
      expect(readClientResolvConf(bed)).toBe(CLIENT_RESOLV_CONF);
      expect(log.filter((l) => /internal error/.test(l))).toEqual([]);
    },
    (Math.ceil(PORTS.length / CONCURRENCY) + 1) * HARD_LIMIT_MS + 60_000,
  );
});
