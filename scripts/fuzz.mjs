#!/usr/bin/env node
/**
 * Runs every fuzz target (test/unit/fuzz) with N inputs each and reports what ran:
 *
 *   npm run fuzz -- [--runs N] [--seed S] [--path P] [--report FILE] [--input-ms MS] [--serial] [--max-minutes M] [vitest args...]
 *
 * --runs      inputs per target (default: the suite's, see test/unit/fuzz/runs.ts)
 * --seed      the fast-check seed; without it one is drawn and printed, so the run can be given back
 * --path      with --seed, replays the one counterexample a failure printed (add -t 'target name')
 * --report    the JSON-lines file each target appends its count to (default: a temp file)
 * --input-ms  the time one input may take before it counts as a hang (default 1000)
 * --serial    one test file at a time (default: as many as there are cores, at most 2)
 * --max-minutes  the whole run's limit (default: 10 + 1 per 1,000 runs): a target stuck in a loop that never
 *             returns cannot fail its per-input time check, so the run is stopped and the silent targets named
 * Other arguments go to vitest (e.g. -t 'ESP' to run some targets only).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const options = { runs: undefined, seed: undefined, path: undefined, report: undefined, 'input-ms': undefined, 'max-minutes': undefined };
const passthrough = [];
let serial = false;
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const [name, inline] = a.startsWith('--') ? a.slice(2).split(/=(.*)/s) : [undefined, undefined];
  if (name === 'serial') serial = true;
  else if (name !== undefined && name in options) {
    const v = inline ?? args[++i];
    if (v === undefined) usage(`--${name} needs a value`);
    options[name] = v;
  } else passthrough.push(a);
}
for (const k of ['runs', 'seed', 'input-ms', 'max-minutes']) {
  if (options[k] !== undefined && !/^-?\d+$/.test(options[k])) usage(`--${k} must be an integer, got ${options[k]}`);
}
if (options.runs !== undefined && Number(options.runs) < 1) usage('--runs must be at least 1');

const seed = options.seed ?? String(Math.floor(Math.random() * 0x7fffffff));
const report = options.report ?? join(mkdtempSync(join(tmpdir(), 'vpnc-fuzz-')), 'report.jsonl');
const runs = options.runs === undefined ? undefined : Number(options.runs);
const env = { ...process.env, VPNC_TS_PREREQ: 'unit', VPNC_FUZZ_SEED: seed, VPNC_FUZZ_REPORT: report };
if (runs !== undefined) env.VPNC_FUZZ_RUNS = String(runs);
if (options.path !== undefined) env.VPNC_FUZZ_PATH = options.path;
if (options['input-ms'] !== undefined) env.VPNC_FUZZ_INPUT_MS = options['input-ms'];
// A target gets about 20 ms per input before vitest gives up on it (the suite's own timeout covers small runs).
const timeout = Math.max(120_000, (runs ?? 0) * 20);
const workers = serial ? 1 : Math.min(2, typeof availableParallelism === 'function' ? availableParallelism() : cpus().length);
const vitestArgs = ['vitest', 'run', 'test/unit/fuzz', `--testTimeout=${timeout}`, workers > 1 ? '--fileParallelism' : '--no-file-parallelism', `--maxWorkers=${workers}`, ...passthrough];

const maxMinutes = options['max-minutes'] !== undefined ? Number(options['max-minutes']) : 10 + Math.ceil((runs ?? 0) / 1000);

console.log(`fuzz: ${runs ?? 'default'} inputs per target, seed ${seed}, ${workers} worker(s), at most ${maxMinutes} min; report ${report}`);
const started = Date.now();
// Its own process group, so that a stuck run can be stopped with every vitest worker.
const child = spawn('npx', vitestArgs, { cwd: ROOT, env, stdio: 'inherit', detached: true });
let stuck = false;
const watchdog = setTimeout(() => {
  stuck = true;
  console.error(`\nfuzz: the run is past ${maxMinutes} min: stopping it (a target that never returns is a hang)`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}, maxMinutes * 60_000);
const status = await new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
clearTimeout(watchdog);
const wall = (Date.now() - started) / 1000;

const lines = existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
let total = 0;
console.log('\nfuzz report (inputs per target, time in the target):');
for (const l of lines) {
  total += l.inputs;
  console.log(`  ${String(l.inputs).padStart(9)}  ${(l.ms / 1000).toFixed(1).padStart(7)} s  ${l.failed ? 'FAILED ' : ''}${l.target}`);
}
console.log(`fuzz: ${lines.length} targets, ${total} inputs in all, ${wall.toFixed(1)} s wall time, seed ${seed}`);
if (stuck) console.log(`fuzz: STOPPED after ${lines.length} targets; the targets still running when stopped hung (see the last ones started above)`);
console.log(`replay: npm run fuzz -- ${runs !== undefined ? `--runs ${runs} ` : ''}--seed ${seed}`);
process.exit(stuck ? 1 : status);

function usage(message) {
  console.error(`fuzz: ${message}\nusage: npm run fuzz -- [--runs N] [--seed S] [--path P] [--report FILE] [--input-ms MS] [--serial] [--max-minutes M] [vitest args...]`);
  process.exit(2);
}
