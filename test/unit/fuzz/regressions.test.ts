/**
 * What the fuzz targets found, each pinned with the exact input they reported:
 * - Reader.bytes/skip/sub with a negative count moved the cursor backwards and the next read threw a
 *   RangeError from Buffer (the `Reader` target: `[Buffer.from([]), [{bytes -2}, {u16}]]`).
 * - A .pcf value with a CR inside a line was written into the vpnc.conf as is, and vpnc ends a line at CR: the
 *   rest became a line of its own (the `convertPcf` target: `"Host=\r\u0000"`), e.g. a `Script` to run as root.
 */
import { describe, expect, it } from 'vitest';
import { convertPcf, formatVpncConf } from '../../../src/config/pcf.js';
import { parseProfile, type Settings } from '../../../src/config/profile-file.js';
import { DecodeError } from '../../../src/wire/errors.js';
import { Reader } from '../../../src/wire/reader.js';
import { thrown } from '../../helpers/thrown.js';

describe('fuzz regressions', () => {
  it('Reader refuses a negative or fractional count with a DecodeError and does not move', () => {
    const r = new Reader(Buffer.from([]), { what: 'fuzz', bound: 'fuzz' });
    expect(thrown(() => r.bytes(-2, 'f'))).toBeInstanceOf(DecodeError);
    expect(r.remaining).toBe(0);
    expect(thrown(() => r.u16('f'))).toBeInstanceOf(DecodeError);
    const r2 = new Reader(Buffer.from([1, 2, 3, 4]), { what: 'fuzz', bound: 'fuzz' });
    for (const bad of [() => r2.skip(-1, 'f'), () => r2.bytes(1.5, 'f'), () => r2.sub(-3, 'f', { what: 's', bound: 's' }), () => r2.sub(Number.NaN, 'f', { what: 's', bound: 's' })]) {
      expect(thrown(bad)).toBeInstanceOf(DecodeError);
    }
    expect([r2.remaining, r2.u32('f')]).toEqual([4, 0x01020304]);
  });

  it('convertPcf refuses a value with a CR inside the line: it cannot inject a line into the vpnc.conf', () => {
    const found = convertPcf('Host=\r\u0000');
    expect(found.settings.size).toBe(0);
    expect(found.warnings).toEqual(['Host on line 1 ignored: its value contains a line break']);
    const c = convertPcf('Host=gw.example.test\rScript /tmp/evil\nGroupName=g\rPidfile /x\r\nDHGroup=2\rDebug 99\nBackupServer=b\rNo Detach\nEnableBackup=1\n');
    expect([...c.settings.keys()]).toEqual([]);
    expect(c.warnings).toHaveLength(4);
    const settings: Settings = new Map();
    expect(parseProfile(formatVpncConf(c), 'out.conf', settings)).toEqual([]);
    expect([...settings.keys()]).toEqual([]);
    // A CR at the end of the line (CRLF files) is still just the line end.
    expect(convertPcf('Host=gw.example.test\r\n').settings.get('IPSec gateway')?.value).toBe('gw.example.test');
  });
});

describe('regression: checkGatewayIdentity and a name node:crypto cannot parse (found by the hybrid AM2 target)', () => {
  it('an FQDN ID with a NUL byte is no match (an AuthError), not a TypeError "Invalid name"', async () => {
    const { X509Certificate } = await import('node:crypto');
    const { checkGatewayIdentity } = await import('../../../src/ike/gateway-identity.js');
    const { AuthError } = await import('../../../src/errors.js');
    const { makePki } = await import('../../helpers/pki.js');
    const pki = makePki();
    try {
      const leaf = new X509Certificate(pki.gatewayByRoot.der);
      const id = { type: 5, idType: 2, protocol: 17, port: 500, data: Buffer.from('gw\0.example.test') } as const;
      let thrown: unknown;
      try {
        checkGatewayIdentity(leaf, { address: '198.51.100.1' }, id);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(AuthError);
      expect(() => checkGatewayIdentity(leaf, { address: 'not an address', name: 'bad\0name' })).toThrow(AuthError);
    } finally {
      pki.remove();
    }
  }, 60_000);
});
