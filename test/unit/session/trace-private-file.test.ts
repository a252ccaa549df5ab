/**
 * The trace and keys files: created 0600, an existing world-readable file made 0600 before it is written,
 * and a symbolic link at the name refused (ELOOP) rather than followed: the victim is untouched.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Logger } from '../../../src/log.js';
import { writePrivate } from '../../../src/session/trace/private-file.js';
import { SessionTracer } from '../../../src/session/trace/tracer.js';

const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-private-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const quiet = () => new Logger({ level: 0, sink: () => {} });

describe('private files', () => {
  it('a new file is 0600; an existing 0644 one becomes 0600 and is rewritten from its start', () => {
    const path = join(dir, 'keys');
    writePrivate(path, 'first, longer text\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    writePrivate(path, 'second\n');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('second\n');
  });

  it('a link at the name is refused, the file it points to untouched', () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched\n', { mode: 0o644 });
    const link = join(dir, 'link');
    symlinkSync(victim, link);
    expect(() => writePrivate(link, 'secret')).toThrow(/ELOOP/);
    expect(readFileSync(victim, 'utf8')).toBe('untouched\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
  });

  it('the trace file: an existing world-readable file becomes 0600; a link is refused with VPNC_ERR_TRACE_FILE naming it', () => {
    const trace = join(dir, 'session.pcapng');
    writeFileSync(trace, 'old');
    chmodSync(trace, 0o644);
    const tracer = new SessionTracer({ log: quiet(), traceFile: trace });
    tracer.close();
    expect(statSync(trace).mode & 0o777).toBe(0o600);
    const link = join(dir, 'trace-link.pcapng');
    symlinkSync(join(dir, 'victim'), link);
    let thrown: unknown;
    try {
      new SessionTracer({ log: quiet(), traceFile: link });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'VPNC_ERR_TRACE_FILE', message: expect.stringContaining(`cannot open trace file ${link}`) });
    expect(readFileSync(join(dir, 'victim'), 'utf8')).toBe('untouched\n');
  });
});

describe('private files: what is not a plain file of ours (found by review)', () => {
  it('a FIFO at the name is refused at once: without a reader (ENXIO, no hang) and with one (nothing reaches it)', async () => {
    const fifo = join(dir, 'keys.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => writePrivate(fifo, 'SECRET')).toThrow(/ENXIO/);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let got = '';
    reader.stdout.on('data', (d: Buffer) => (got += d.toString()));
    await new Promise((r) => setTimeout(r, 200)); // cat has the FIFO open for reading
    expect(() => writePrivate(fifo, 'SECRET')).toThrow(`${fifo}: not a regular file (a FIFO, device or socket); not written`);
    await new Promise((r) => reader.on('close', r));
    expect(got).toBe('');
  });

  it('a file with another hard link is refused, the other name untouched', () => {
    const a = join(dir, 'a');
    writeFileSync(a, 'untouched\n');
    chmodSync(a, 0o644);
    const b = join(dir, 'b');
    linkSync(a, b);
    expect(() => writePrivate(b, 'SECRET')).toThrow(`${b}: it has 2 hard links; not written`);
    expect(readFileSync(a, 'utf8')).toBe('untouched\n');
    expect(statSync(a).mode & 0o777).toBe(0o644);
  });

  it.runIf(process.getuid?.() === 0)('a file another user owns is refused', () => {
    const theirs = join(dir, 'theirs');
    writeFileSync(theirs, 'theirs\n');
    chownSync(theirs, 65534, 65534);
    expect(() => writePrivate(theirs, 'SECRET')).toThrow(`${theirs}: owned by uid 65534, not by us; not written`);
    expect(readFileSync(theirs, 'utf8')).toBe('theirs\n');
  });
});
