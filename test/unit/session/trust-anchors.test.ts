/**
 * Loading hybrid authentication's trusted CAs from CA-File (PEM bundle) and CA-Dir (OpenSSL hashed-name
 * directory), with a PKI the test makes with the openssl CLI.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { subjectOf } from '../../../src/ike/cert-verify.js';
import { loadTrustAnchors } from '../../../src/session/trust-anchors.js';
import { makePki, subjectHash, type Pki } from '../../helpers/pki.js';

let pki: Pki;
let caDir: string;
beforeAll(() => {
  pki = makePki();
  caDir = join(pki.dir, 'certs');
  mkdirSync(caDir);
  // As /etc/ssl/certs: a named PEM file plus a hashed-name link to it, a hashed-name file, and noise.
  writeFileSync(join(caDir, 'Test_Root.pem'), pki.root.certPem);
  symlinkSync('Test_Root.pem', join(caDir, `${subjectHash(pki.root.certPath)}.0`));
  writeFileSync(join(caDir, `${subjectHash(pki.otherRoot.certPath)}.0`), pki.otherRoot.certPem);
  writeFileSync(join(caDir, 'README'), pki.intermediate.certPem);
  writeFileSync(join(caDir, 'broken.pem'), 'not a certificate');
  mkdirSync(join(caDir, 'sub.pem'));
}, 60_000);
afterAll(() => pki.remove());

describe('loadTrustAnchors', () => {
  it('reads a CA file bundle in order', () => {
    const bundle = join(pki.dir, 'bundle.pem');
    writeFileSync(bundle, pki.intermediate.certPem + pki.root.certPem);
    expect(loadTrustAnchors({ caFile: bundle, caDir: undefined }).map(subjectOf)).toEqual([
      'O=vpnc-ts test, CN=Test Intermediate CA',
      'O=vpnc-ts test, CN=Test Root CA',
    ]);
  });

  it('reads hashed-name and .pem files of a CA dir once each, ignoring other names, directories and non-PEM files', () => {
    const anchors = loadTrustAnchors({ caFile: undefined, caDir });
    expect(anchors.map(subjectOf).sort()).toEqual(['O=Someone Else, CN=Other Root CA', 'O=vpnc-ts test, CN=Test Root CA']);
  });

  it('CA file first, then the dir, without duplicates', () => {
    const anchors = loadTrustAnchors({ caFile: pki.root.certPath, caDir });
    expect(anchors.map(subjectOf)).toEqual(['O=vpnc-ts test, CN=Test Root CA', 'O=Someone Else, CN=Other Root CA']);
  });

  it('a missing CA dir gives no anchors and is reported to onSkip', () => {
    const skipped: string[] = [];
    expect(loadTrustAnchors({ caFile: undefined, caDir: join(pki.dir, 'nope') }, (m) => skipped.push(m))).toEqual([]);
    expect(skipped).toEqual([`CA-Dir ${join(pki.dir, 'nope')}: ENOENT`]);
  });

  it('a missing or certificate-less CA file is a ConfigError', () => {
    const missing = join(pki.dir, 'missing.pem');
    expect(() => loadTrustAnchors({ caFile: missing, caDir: undefined })).toThrow(new ConfigError(`cannot read CA-File ${missing}: ENOENT`));
    const key = pki.root.keyPath;
    expect(() => loadTrustAnchors({ caFile: key, caDir }), 'a key file').toThrow(new ConfigError(`CA-File ${key} holds no PEM certificate`));
  });
});
