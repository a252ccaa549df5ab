import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseProfile, type Settings } from '../../../src/config/profile-file.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('profiles/', () => {
  it('example.conf parses without warnings and names the wrapper as its Script', () => {
    const settings: Settings = new Map();
    const warnings = parseProfile(readFileSync(`${root}profiles/example.conf`, 'utf8'), 'example.conf', settings);
    expect(warnings).toEqual([]);
    expect(settings.get('script')?.value).toBe('/etc/vpnc/split-wrapper.sh');
    expect(settings.get('gateway')?.value).toBe('vpn.example.com');
  });

  it('the wrapper and the default script are executable POSIX sh', () => {
    for (const file of ['profiles/split-wrapper.sh', 'scripts/vpnc-script']) {
      expect(statSync(`${root}${file}`).mode & 0o111).toBe(0o111);
      expect(readFileSync(`${root}${file}`, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
    }
  });
});
