/**
 * A campaign of our client (`node bin/vpnc.js`, from dist/) against the project's gateway in hostile mode: many
 * sessions in parallel from one client namespace to one long-lived gateway, each from its own UDP port, so each
 * gets its own plan (hostile/plan.ts: the session seed is mixed from the base seed and the port). Every session
 * is watched for the campaign's properties:
 *
 * - it ends with exit 0, 1 or 2, not by a signal, with a one-line reason on stderr (every stderr line is one of
 *   ours, "vpnc: ..."; never "internal error");
 * - it ends within the configured timeouts: setup (one exchange's retransmissions, 15 s, plus slack), after
 *   SIGTERM, or by itself once up (DPD); a session still alive at the hard limit is killed and is a hang;
 * - a session that came up and is stopped with SIGTERM ends with 0;
 * - it leaves nothing behind: its TUN device, pid file and control socket are gone, and every route script
 *   `connect` it ran was followed by a `disconnect` (routes, DNS and links of the namespace are compared with
 *   the campaign's start by the caller).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planSession, sessionSeed, HOSTILE_STEPS, type HostilePlan, type HostileStep, describePlan } from '../../src/gateway/hostile/plan.js';
import { SETUP_ATTEMPTS } from '../../src/session/negotiate.js';
import { Timers } from '../../src/session/timers.js';
import { nsRun, nsSpawn } from './netns.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const VPNC_JS = join(ROOT, 'bin', 'vpnc.js');

/** A short retransmission schedule (`--ike-timeout`; the default is 30 s): an unanswered request is given up after 8 s. */
const IKE_TIMEOUT_S = 8;
const RETRANSMIT_MS = IKE_TIMEOUT_S * 1000;
/**
 * A session that never comes up: the client starts phase 1 again when the gateway goes silent after AM2, up to
 * SETUP_ATTEMPTS times, and each attempt can meet the session's treatment anew; per attempt one exchange's whole
 * retransmission schedule and the rest of the setup; start-up and load.
 */
export const SETUP_LIMIT_MS = SETUP_ATTEMPTS * (RETRANSMIT_MS + 4_000) + 12_000;
/** From SIGTERM to exit (DELETEs, the disconnect script). */
export const STOP_LIMIT_MS = 8_000;
/** Client DPD: `--dpd-idle` 10 s, then R-U-THEREs a fifth of that apart (Timers.dpdAttempts of them). */
export const CLIENT_DPD_IDLE_S = 10;
const DPD_DEAD_MS = CLIENT_DPD_IDLE_S * 1000 + Timers.dpdAttempts * (CLIENT_DPD_IDLE_S * 200) + 3_000;
/** Anything alive this long after its start is a hang. */
export const HARD_LIMIT_MS = Math.max(SETUP_LIMIT_MS, DPD_DEAD_MS) + 30_000;

export const NATT_MODES = ['natt', 'force-natt', 'none', 'cisco-udp'] as const;

/** How long a session that came up is kept before SIGTERM: long enough for its step to happen and be answered. */
export function holdAfterUpMs(plan: HostilePlan): number {
  if (plan.step === 'dpd') return DPD_DEAD_MS + 2_000;
  if (plan.step === 'delete' || plan.step === 'rekey' || plan.step === 'gateway-rekey') return 5_000;
  return 3_000;
}

/** `count` client ports from `first` on, picked so that the steps take turns (every step is met as often). */
export function balancedPorts(baseSeed: number, count: number, onlyStep?: HostileStep, first = 20000): number[] {
  if (onlyStep) return Array.from({ length: count }, (_, i) => first + i);
  const byStep = new Map<HostileStep, number[]>(HOSTILE_STEPS.map((s) => [s, []]));
  const out: number[] = [];
  for (let port = first; out.length < count && port < 65000; port++) {
    const step = planSession(sessionSeed(baseSeed, port)).step;
    byStep.get(step)!.push(port);
    while (out.length < count) {
      const want = HOSTILE_STEPS[out.length % HOSTILE_STEPS.length]!;
      const next = byStep.get(want)!.shift();
      if (next === undefined) break;
      out.push(next);
    }
  }
  return out;
}

export interface SessionResult {
  readonly port: number;
  readonly seed: number;
  readonly plan: string;
  readonly step: HostileStep;
  readonly nattMode: string;
  readonly code: number | null;
  readonly signal: string | null;
  readonly up: boolean;
  readonly terminated: boolean;
  readonly killed: boolean;
  readonly durationMs: number;
  readonly reason: string;
  /** Property violations; empty when the session passed. */
  readonly problems: string[];
  readonly stderr: string;
}

export interface CampaignOptions {
  readonly netns: string;
  readonly gateway: string;
  readonly baseSeed: number;
  /** The gateway's `Hostile seed N STEP`, when it names a step. */
  readonly onlyStep?: HostileStep;
  readonly ports: readonly number[];
  readonly concurrency: number;
  /** Folder for pid files. */
  readonly dir: string;
  /** The route script (it logs `reason VPNPID TUNDEV`). */
  readonly script: string;
  readonly onDone?: (r: SessionResult, done: number) => void;
}

function devices(ns: string): Set<string> {
  const out = nsRun(ns, 'ip', ['-o', 'link', 'show'], { allowFail: true });
  return new Set(out.split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '').filter(Boolean));
}

function checkStderr(stderr: string, problems: string[]): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (/internal error/i.test(stderr)) problems.push('internal error on stderr');
  const foreign = lines.filter((l) => !l.startsWith('vpnc: '));
  if (foreign.length > 0) problems.push(`stderr lines not of the form "vpnc: ...": ${JSON.stringify(foreign.slice(0, 3))}`);
  const last = lines[lines.length - 1] ?? '';
  if (!last.startsWith('vpnc: ') || last.length <= 'vpnc: '.length) problems.push('no reason on stderr');
  return last.replace(/^vpnc: /, '');
}

async function runOne(o: CampaignOptions, port: number): Promise<SessionResult> {
  const seed = sessionSeed(o.baseSeed, port);
  const plan = planSession(seed, o.onlyStep);
  const nattMode = NATT_MODES[port % NATT_MODES.length]!;
  const pidFile = join(o.dir, `vpnc-${port}.pid`);
  const ifname = `hg${port}`;
  const args = [
    VPNC_JS,
    ...['--gateway', o.gateway, '--id', 'testgroup', '--secret', 'group-secret-42', '--username', 'alice', '--password', 'wonderland'],
    ...['--no-detach', '--non-inter', '--local-port', String(port), '--natt-mode', nattMode, '--udp-port', '0'],
    ...['--dpd-idle', String(CLIENT_DPD_IDLE_S), '--script', o.script, '--pid-file', pidFile, '--ifname', ifname, '--debug', '0'],
    ...['--ike-timeout', String(IKE_TIMEOUT_S)],
  ];
  const started = Date.now();
  const child: ChildProcess = nsSpawn(o.netns, 'node', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let up = false;
  let terminated = false;
  let killed = false;
  let upAt = 0;
  let termAt = 0;
  let tunSeen = false;
  const timers: NodeJS.Timeout[] = [];
  const signal = (s: NodeJS.Signals) => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, s);
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!up && stdout.includes('VPNC started in foreground')) {
      up = true;
      upAt = Date.now();
      tunSeen = devices(o.netns).has(ifname);
      timers.push(
        setTimeout(() => {
          terminated = true;
          termAt = Date.now();
          signal('SIGTERM');
        }, holdAfterUpMs(plan)),
      );
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  timers.push(
    setTimeout(() => {
      killed = true;
      signal('SIGKILL');
    }, HARD_LIMIT_MS),
  );
  const { code, sig } = await new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.once('close', (c, s) => resolve({ code: c, sig: s })));
  const ended = Date.now();
  for (const t of timers) clearTimeout(t);

  const problems: string[] = [];
  const reason = checkStderr(stderr, problems);
  if (killed) problems.push(`still running after ${HARD_LIMIT_MS} ms: killed (a hang)`);
  else if (sig !== null) problems.push(`ended by signal ${sig}`);
  else if (code === null || ![0, 1, 2].includes(code)) problems.push(`exit code ${code}`);
  if (terminated && !killed && code !== 0) problems.push(`stopped with SIGTERM once up, exit ${code} instead of 0`);
  if (!up && code === 0) problems.push('exit 0 without ever coming up');
  if (!up && ended - started > SETUP_LIMIT_MS) problems.push(`did not come up and took ${ended - started} ms (limit ${SETUP_LIMIT_MS})`);
  if (terminated && ended - termAt > STOP_LIMIT_MS) problems.push(`took ${ended - termAt} ms to stop after SIGTERM (limit ${STOP_LIMIT_MS})`);
  if (up && !terminated && ended - upAt > DPD_DEAD_MS + 5_000) problems.push(`ended by itself ${ended - upAt} ms after coming up`);
  if (up && !tunSeen && !(code === 0 && !terminated)) problems.push(`up, but no TUN device ${ifname} (the leak check would see nothing)`);
  if (existsSync(pidFile)) problems.push(`pid file ${pidFile} left behind`);
  if (existsSync(`${pidFile}.ctl`)) problems.push('control socket left behind');
  if (devices(o.netns).has(ifname)) problems.push(`TUN device ${ifname} left behind`);
  return { port, seed, plan: describePlan(plan), step: plan.step, nattMode, code, signal: sig, up, terminated, killed, durationMs: ended - started, reason, problems, stderr };
}

/** Runs the sessions, `concurrency` at a time; resolves with every session's result in port order. */
export async function runCampaign(o: CampaignOptions): Promise<SessionResult[]> {
  const results: SessionResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < o.ports.length) {
      const port = o.ports[next++]!;
      const r = await runOne(o, port);
      results.push(r);
      o.onDone?.(r, results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.ports.length) }, worker));
  return results.sort((a, b) => a.port - b.port);
}

/** `connect` and `disconnect` lines of the route script's log per VPNPID: pids whose connects were not undone. */
export function unbalancedScripts(log: string): string[] {
  const count = new Map<string, number>();
  for (const line of log.split('\n')) {
    const [reason, pid] = line.split(' ');
    if (!pid) continue;
    if (reason === 'connect') count.set(pid, (count.get(pid) ?? 0) + 1);
    if (reason === 'disconnect') count.set(pid, (count.get(pid) ?? 0) - 1);
  }
  return [...count].filter(([, n]) => n !== 0).map(([pid, n]) => `${pid}: ${n > 0 ? `${n} connect(s) not undone` : `${-n} disconnect(s) without connect`}`);
}
