/**
 * The benchmark's CPU reading (bench/compare/measure.ts): the clock-tick rate from `getconf CLK_TCK`, and the
 * CPU of every thread of a process counted, a worker thread's included and an ended worker's kept. A child node
 * process burns CPU on a worker thread only, its main thread idle; the process's figure must cover it.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { clockTicks, cpuSeconds, liveThreadCpuSeconds, median } from '../../../bench/compare/measure.js';

// The worker spins until the process (its main thread idle) has used 1.5 s of CPU: a fixed amount of CPU, however
// loaded the machine is, then ends; the main thread lingers so that the process can still be read.
const WORKER_BURNS = `
const { Worker } = require('node:worker_threads');
const w = new Worker("const t = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; }; while (t() < 1.5) {}", { eval: true });
w.on('exit', () => { process.stdout.write('worker ended\\n'); setTimeout(() => {}, 60000); });
`;

describe('bench CPU figures', () => {
  it('ticks per second come from getconf CLK_TCK', () => {
    expect(clockTicks()).toBe(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })));
  });

  it("count a worker thread's CPU, and keep it after the worker ended", async () => {
    const child = spawn(process.execPath, ['-e', WORKER_BURNS], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const live: number[] = [];
      const ended = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('worker ended') && resolve()));
      await new Promise((r) => setTimeout(r, 700));
      live.push(cpuSeconds(child.pid!), liveThreadCpuSeconds(child.pid!));
      await ended;
      const after = cpuSeconds(child.pid!);
      // While the worker ran, the process figure and the sum over live threads agree to a few ticks.
      expect(Math.abs(live[0]! - live[1]!)).toBeLessThanOrEqual(0.1);
      // The process used 1.5 s of CPU, nearly all the worker's; the ended worker's time stays counted.
      expect(after).toBeGreaterThanOrEqual(1.4);
      expect(liveThreadCpuSeconds(child.pid!)).toBeLessThan(after - 1);
    } finally {
      child.kill();
    }
  }, 60_000);

  it('median of odd and even counts', () => {
    expect([median([3, 1, 2]), median([4, 1, 3, 2])]).toEqual([2, 2.5]);
  });
});
