/**
 * The fuzz targets' common harness: how many inputs, from which seed, how long one input may take, what may
 * be thrown, and the count each target reports.
 *
 *   VPNC_FUZZ_RUNS     inputs per target (default {@link DEFAULT_RUNS}: all of test/unit/fuzz takes well under a
 *                      minute in the suite)
 *   VPNC_FUZZ_SEED     the fast-check seed (default: a fresh one; every failure prints the seed and path to give back)
 *   VPNC_FUZZ_PATH     with the seed, replays exactly the counterexample a failure printed
 *   VPNC_FUZZ_REPORT   a file to which every target appends one JSON line {target, inputs, ms, seed, failed, cases}
 *   VPNC_FUZZ_INPUT_MS the time one input may take (default 1000 ms): an input that makes a parser crawl fails here;
 *                      one that never returns is stopped by scripts/fuzz.mjs's whole-run limit
 *   VPNC_FUZZ_VERBOSE  1: print every target's count and case tally (always so when RUNS or REPORT is set)
 *
 * `npm run fuzz -- --runs N [--seed S]` (scripts/fuzz.mjs) sets these and runs every file of this folder.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ERROR_CODES, ProtocolError, VpncError } from '../../../src/errors.js';
import { NotifyType } from '../../../src/ike/constants.js';
import { DecodeError, DecodeNotify } from '../../../src/wire/errors.js';

export const DEFAULT_RUNS = 100;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`${name}=${v} is not an integer`);
  return n;
}

/** Inputs per target. */
export const RUNS = envInt('VPNC_FUZZ_RUNS') ?? DEFAULT_RUNS;
/** The seed of this process's targets (one for all, so one number replays a whole run). */
export const SEED = envInt('VPNC_FUZZ_SEED') ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
const PATH = process.env['VPNC_FUZZ_PATH'] || undefined;
const REPORT = process.env['VPNC_FUZZ_REPORT'] || undefined;
/** Print each target's count and cases: in a fuzz run (npm run fuzz), not in the suite's quiet default. */
const VERBOSE = process.env['VPNC_FUZZ_RUNS'] !== undefined || REPORT !== undefined || process.env['VPNC_FUZZ_VERBOSE'] === '1';
/** The time one input may take. */
export const INPUT_LIMIT_MS = envInt('VPNC_FUZZ_INPUT_MS') ?? 1000;

/** vitest's timeout for a target: generous for the suite's runs, scaled for long ones. */
export const TARGET_TIMEOUT_MS = Math.max(60_000, RUNS * 20);

const NOTIFY_TYPES: ReadonlySet<number> = new Set(Object.values(NotifyType));
const DECODE_NOTIFIES: ReadonlySet<number> = new Set(Object.values(DecodeNotify));

/**
 * Asserts that `err` is one of the project's typed errors: a VpncError whose code is in the registry, a
 * DecodeError carrying a decode notify, a ProtocolError whose notify (when it has one) is an ISAKMP notify
 * type, or `peerNotify` (a refusal passes on the type the peer sent). Anything else is rethrown: a bug.
 */
export function expectTyped(err: unknown, peerNotify?: number): VpncError {
  if (!(err instanceof VpncError) || !Object.hasOwn(ERROR_CODES, err.code)) throw err;
  if (err instanceof DecodeError) expect(DECODE_NOTIFIES.has(err.notify), `decode notify ${err.notify}`).toBe(true);
  if (err instanceof ProtocolError && err.notify !== undefined && err.notify !== peerNotify) {
    expect(NOTIFY_TYPES.has(err.notify), `notify ${err.notify} of "${err.message}"`).toBe(true);
  }
  return err;
}

/** Runs `fn`: its result, or the typed error it threw (anything else fails the input). */
export function outcome<T>(fn: () => T, peerNotify?: number): { ok: true; value: T } | { ok: false; error: VpncError } {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    return { ok: false, error: expectTyped(err, peerNotify) };
  }
}

/** expect(actual).toEqual(expected), with a fast check first (vitest's deep equality is slow on Buffers). */
export function same(actual: unknown, expected: unknown, what?: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, what).toEqual(expected);
}

/** A short name for a refusal, for the case counts: the class and the start of the message, numbers elided. */
export function caseOf(err: Error): string {
  return `${err.constructor.name}: ${err.message.split(/[:("]/)[0]!.replace(/\d+/g, '#').trim().slice(0, 36)}`;
}

/**
 * Checks `body` on RUNS inputs drawn from `arbs`: it must not throw (use {@link outcome} / {@link expectTyped}
 * inside for what may be refused) and must finish within {@link INPUT_LIMIT_MS}. A failure names the seed and
 * path that replay it. Reports the number of inputs actually run, and how many fell into each named case.
 */
export function fuzz<Ts extends [unknown, ...unknown[]]>(target: string, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, body: Body<Ts>): void {
  let inputs = 0;
  const cases = new Map<string, number>();
  const started = performance.now();
  const property = fc.property(...(arbs as unknown as [fc.Arbitrary<unknown>]), (...args: unknown[]) => {
    inputs++;
    const t0 = performance.now();
    const label = body(...(args as Ts));
    if (label !== undefined) cases.set(label, (cases.get(label) ?? 0) + 1);
    const ms = performance.now() - t0;
    if (ms > INPUT_LIMIT_MS) throw new Error(`one input took ${ms.toFixed(0)} ms (limit ${INPUT_LIMIT_MS} ms)`);
  });
  const details = fc.check(property, { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH, endOnFailure: true } : {}) });
  const ms = performance.now() - started;
  const sorted = [...cases].sort((a, b) => b[1] - a[1]);
  const rest = sorted.slice(12).reduce((n, [, k]) => n + k, 0);
  const tally = [...sorted.slice(0, 12).map(([k, n]) => `${k} ${n}`), ...(rest ? [`other ${rest}`] : [])].join(', ');
  if (VERBOSE) console.log(`fuzz ${target}: ${inputs} inputs in ${ms.toFixed(0)} ms (seed ${SEED})${tally ? `: ${tally}` : ''}`);
  const line = { target, inputs, ms: Math.round(ms), seed: SEED, failed: details.failed, cases: Object.fromEntries(cases) };
  if (REPORT) appendFileSync(REPORT, `${JSON.stringify(line)}\n`);
  if (details.failed) {
    const replay = `VPNC_FUZZ_SEED=${details.seed} VPNC_FUZZ_PATH=${details.counterexamplePath ?? ''}`;
    const cause = details.errorInstance;
    const got = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
    throw new Error(`fuzz target "${target}" failed; replay with ${replay} npx vitest run test/unit/fuzz -t '${target}'\n${fc.defaultReportMessage(details)}\nGot: ${got}`, { cause });
  }
  if (!PATH) expect(inputs).toBeGreaterThanOrEqual(RUNS);
}

/** A target's check of one input; it may name the case the input fell into (counted in the report). */
export type Body<Ts extends unknown[]> = (...args: Ts) => string | void;

/** A vitest test that fuzzes one target (see {@link fuzz}). */
export function target<Ts extends [unknown, ...unknown[]]>(name: string, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, body: Body<Ts>): void {
  it(name, () => fuzz(name, arbs, body), TARGET_TIMEOUT_MS);
}

/** A deterministic byte source (SHA-256 counter stream under `label`): reproducible cookies, nonces, SPIs. */
export function seeded(label: string): (n: number) => Buffer {
  let counter = 0;
  return (n) => {
    const parts: Buffer[] = [];
    for (let have = 0; have < n; have += 32) parts.push(sha256(`${label}/${counter++}`));
    return Buffer.concat(parts).subarray(0, n);
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
