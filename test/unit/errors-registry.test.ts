/**
 * One registry of error codes (src/errors.ts ERROR_CODES): every code written anywhere in src/ is in it, every
 * entry is used, and each has its exit code (cli/exit-codes.ts) and a one-line meaning.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_OF, exitCodeFor } from '../../src/cli/exit-codes.js';
import { AuthError, ConfigError, ERROR_CODES, ProtocolError, VpncError } from '../../src/errors.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the error-code registry', () => {
  const used = new Map<string, string>();
  for (const file of sources(SRC)) {
    if (file.endsWith(join('cli', 'exit-codes.ts'))) continue;
    let text = readFileSync(file, 'utf8');
    // The registry itself does not count as a use; the error classes below it in the same file do.
    if (file.endsWith(join('src', 'errors.ts'))) text = text.replace(/export const ERROR_CODES = \{[\s\S]*?\} as const;/, '');
    for (const m of text.matchAll(/VPNC_ERR_[A-Z0-9_]+/g)) used.set(m[0], file);
  }

  it('holds every code that src/ uses', () => {
    const unknown = [...used.keys()].filter((code) => !(code in ERROR_CODES));
    expect(unknown.map((c) => `${c} (${used.get(c)})`)).toEqual([]);
  });

  it('holds only codes that src/ uses, each with a meaning and an exit code', () => {
    // Codes minted by an error class constructor appear in src/ as the string passed to super().
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).toEqual([]);
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(meaning.length, code).toBeGreaterThan(10);
      expect(EXIT_CODE_OF[code as keyof typeof ERROR_CODES], code).toBeTypeOf('number');
    }
  });

  it('only authentication failures exit 2 (as vpnc); anything else untyped is 1', () => {
    expect(Object.entries(EXIT_CODE_OF).filter(([, exit]) => exit === 2).map(([code]) => code)).toEqual(['VPNC_ERR_AUTH']);
    expect(exitCodeFor(new AuthError('x'))).toBe(2);
    expect(exitCodeFor(new ConfigError('x'))).toBe(1);
    expect(exitCodeFor(new ProtocolError('x'))).toBe(1);
    expect(exitCodeFor(new VpncError('VPNC_ERR_INTERRUPTED', 'x'))).toBe(1);
    expect(exitCodeFor(new RangeError('x'))).toBe(1);
  });
});

describe('VpncError.captureStacks', () => {
  it('off: typed errors carry no stack frames (they are one line to the user); on: they do; Error itself is untouched', () => {
    const before = Error.stackTraceLimit;
    try {
      VpncError.captureStacks = false;
      const quiet = new ProtocolError('junk');
      expect(quiet.stack?.split('\n').filter((l) => l.trim().startsWith('at '))).toEqual([]);
      expect([quiet.message, quiet.code, quiet.name]).toEqual(['junk', 'VPNC_ERR_PROTOCOL', 'ProtocolError']);
      expect(Error.stackTraceLimit).toBe(before);
      expect(new Error('plain').stack).toMatch(/\n\s+at /);
      VpncError.captureStacks = true;
      expect(new ProtocolError('debugging').stack).toMatch(/\n\s+at /);
    } finally {
      VpncError.captureStacks = true;
    }
  });
});
