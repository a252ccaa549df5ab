import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deobfuscate, deobfuscateBytes, obfuscate, obfuscateBytes } from '../../../src/config/obfuscation.js';
import { ConfigError } from '../../../src/errors.js';

/** Deterministic salt for the vectors below: byte i = seed * 31 + i * 7. */
const salt = (seed: number) => (): Buffer =>
  Buffer.from(Array.from({ length: 20 }, (_, i) => (seed * 31 + i * 7) & 0xff));

/**
 * [plaintext hex, obfuscated hex (made by obfuscateBytes with salt(seed)), cisco-decrypt's output minus its
 * trailing newline]. Every expected value was produced by Debian's /usr/bin/cisco-decrypt.
 */
const VECTORS: ReadonlyArray<[string, number, string, string]> = [
  ['', 1, '1F262D343B424950575E656C737A81888F969DA4A90C39CDC75EFA92C80FD5DA99E3E5D9EA444064A66A56809E1BEE29', ''],
  ['61', 2, '3E454C535A61686F767D848B9299A0A7AEB5BCC36E7346E4B9515C469679DB4690B442A64AB67DD413C231CB5DA62AF1', '61'],
  [
    '3132333435363738', // a full block of padding follows
    3,
    '5D646B727980878E959CA3AAB1B8BFC6CDD4DBE28251BB07D18A61762143FB2D89F52F7FE80A914FA55899E2E3F302115F266ACF7231AC32',
    '3132333435363738',
  ],
  [
    'e980ff41', // bytes that are not UTF-8 come through unchanged
    4,
    '7C838A91989FA6ADB4BBC2C9D0D7DEE5ECF3FA0170923CC15046DE2410AE31291455E68F7F740A6D0EEB3350B9DB9106',
    'e980ff41',
  ],
  [
    '70c3a4737377c3b6726420e282ac', // "pässwörd €" in UTF-8
    5,
    '9BA2A9B0B7BEC5CCD3DAE1E8EFF6FD040B121920D4BCDD73FB87A5A5B14C7CF9E7CC27B5F469D65A012FC595B3356DADC7A22CB9AFB78106',
    '70c3a4737377c3b6726420e282ac',
  ],
  [
    '6162006364', // cisco-decrypt prints a C string: the result stops at the NUL
    6,
    'BAC1C8CFD6DDE4EBF2F900070E151C232A31383F4EE27FF0F1A394853A5395DBA91CCCBDE340B781250056FDE38B703A',
    '6162',
  ],
];

/** Hand-made ciphertexts (salt(9)) with unusual padding, and what cisco-decrypt prints for them. */
const PADDING_VECTORS: ReadonlyArray<[string, string, string]> = [
  [
    'last byte 0 strips nothing',
    '171E252C333A41484F565D646B727980878E959C89427A22640C64646C67E91B1DDF124837BC84B7BDB24290E6FB5A56',
    'abcdefg', // plaintext "abcdefg\0"
  ],
  [
    'a count above 8 strips across blocks, pad bytes unchecked',
    '171E252C333A41484F565D646B727980878E959C2D27BD35F8639ED4BBAEDA56045662B7E2E84FA9D7750AE9C29BFF9184D2BADD67AEF968',
    'abcd', // plaintext "abcdefghijklmno\x0c"
  ],
  [
    'only the last byte counts',
    '171E252C333A41484F565D646B727980878E959CF115C5EE97B295C0FBD3978D25C90E1AA4A4210AD7750AE9C29BFF91F432089E058F63AE',
    'abcdefg', // plaintext "abcdefgh\x02\x02\x02\x02\x02\x02\x02\x09"
  ],
];

/** A value from a university's published .pcf (group "student.uit.no"), decoded by cisco-decrypt. */
const PUBLIC_VECTOR =
  'F992230153F51928672DF6C7B9C61EF8437252CFBE28C1101EF1A119D077E93CCCEEE4FE72E8A2DF5EC384E005F77577CCA7CCCA231FE9D8';

function errorOf(hex: string): ConfigError {
  try {
    deobfuscateBytes(hex);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`deobfuscateBytes(${hex}) did not throw`);
}

describe('deobfuscate', () => {
  it('decodes a published enc_GroupPwd', () => {
    expect(deobfuscate(PUBLIC_VECTOR)).toBe('student.uit.no');
    expect(deobfuscate(PUBLIC_VECTOR.toLowerCase())).toBe('student.uit.no');
  });

  it.each(VECTORS)('matches cisco-decrypt for plaintext %s', (plainHex, seed, hex, expectedHex) => {
    expect(obfuscateBytes(Buffer.from(plainHex, 'hex'), salt(seed))).toBe(hex);
    expect(deobfuscateBytes(hex).toString('hex')).toBe(expectedHex);
  });

  it.each(PADDING_VECTORS)('padding like cisco-decrypt: %s', (_name, hex, expected) => {
    expect(deobfuscateBytes(hex).toString('latin1')).toBe(expected);
  });

  it('decodes the plaintext as UTF-8 for the text API', () => {
    expect(deobfuscate(VECTORS[4]![2])).toBe('pässwörd €');
    expect(obfuscate('pässwörd €', salt(5))).toBe(VECTORS[4]![2]);
  });

  it('round-trips any bytes without NUL', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (plain, s) => {
        const clean = Buffer.from(plain.filter((b) => b !== 0));
        expect(deobfuscateBytes(obfuscateBytes(clean, () => s)).equals(clean)).toBe(true);
      }),
    );
  });

  it('round-trips text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const clean = text.replaceAll('\0', '');
        expect(deobfuscate(obfuscate(clean))).toBe(clean);
      }),
    );
  });

  it('uses a fresh salt per call by default', () => {
    expect(obfuscate('x')).not.toBe(obfuscate('x'));
  });

  it('rejects a random source of the wrong size', () => {
    expect(() => obfuscate('x', () => Buffer.alloc(8))).toThrow(new RangeError('random source returned 8 bytes, 20 expected'));
  });
});

describe('deobfuscate errors', () => {
  const good = VECTORS[1]![2];

  it('rejects non-hex characters, naming the first', () => {
    expect(errorOf(`${good.slice(0, 10)}G${good.slice(11)}`).message).toBe(
      'obfuscated password is not hex: character "G" at offset 10',
    );
    expect(errorOf(` ${good}`).message).toBe('obfuscated password is not hex: character " " at offset 0');
  });

  it('checks characters before length, as cisco-decrypt does', () => {
    expect(errorOf('abz').message).toBe('obfuscated password is not hex: character "z" at offset 2');
  });

  it('rejects an odd number of digits', () => {
    expect(errorOf(good.slice(1)).message).toBe('obfuscated password has an odd number of hex digits (95)');
  });

  it('rejects input shorter than 48 bytes', () => {
    expect(errorOf('').message).toBe('obfuscated password is too short: 0 bytes, at least 48 needed');
    expect(errorOf(good.slice(0, 94)).message).toBe('obfuscated password is too short: 47 bytes, at least 48 needed');
  });

  it('rejects a ciphertext that is not whole blocks', () => {
    expect(errorOf(`${good}00`).message).toBe(
      'obfuscated password is corrupt: ciphertext length 9 is not a multiple of 8',
    );
  });

  it('fails the integrity check on any flipped bit of hash or ciphertext', () => {
    const bytes = Buffer.from(good, 'hex');
    for (let i = 20; i < bytes.length; i++) {
      const bad = Buffer.from(bytes);
      bad[i] = bad[i]! ^ 0x01;
      expect(errorOf(bad.toString('hex')).message).toBe('obfuscated password is corrupt: integrity check (SHA-1) failed');
    }
  });

  it('rejects a padding count above the plaintext length', () => {
    // plaintext "abcdefg\x09": cisco-decrypt would write before its buffer
    const hex =
      '171E252C333A41484F565D646B727980878E959C23F476BB3D32377E6AE32DCD43F765FD505BBD01C30B1F842F16F85C';
    expect(errorOf(hex).message).toBe('obfuscated password is corrupt: bad padding count 9 for 8 bytes');
  });

  it('rejects a padding count of 0x80 or more (negative as a C char)', () => {
    // plaintext "abcdefg\x80"
    const hex =
      '171E252C333A41484F565D646B727980878E959CBFAA3DB271A85681748606378F7B2E17EF7C265BDD25D8B280E0E5CA';
    expect(errorOf(hex).message).toBe('obfuscated password is corrupt: bad padding count 128 for 8 bytes');
  });

  it('a tampered salt (not covered by the SHA-1 check) decrypts to garbage caught by the padding check', () => {
    const bytes = Buffer.from(VECTORS[2]![2], 'hex');
    bytes[0] = bytes[0]! ^ 0xff;
    expect(errorOf(bytes.toString('hex')).message).toBe('obfuscated password is corrupt: bad padding count 85 for 16 bytes');
  });
});
