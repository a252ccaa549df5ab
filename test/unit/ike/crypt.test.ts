import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cbcEncrypt, type CipherName } from '../../../src/crypto/cipher.js';
import { hash, type HashName } from '../../../src/crypto/hash.js';
import {
  IvChain,
  decryptBody,
  encryptBody,
  messageIdBytes,
  phase1InitialIv,
  phase2InitialIv,
  type IvMode,
} from '../../../src/ike/crypt.js';
import { ProtocolError } from '../../../src/errors.js';

/** Message sequences encrypted by test/vectors/keys-gen.py (pyca/cryptography CBC, IV rules from RFC 2409). */
interface ScenarioCase {
  name: string;
  hash: HashName;
  cipher: CipherName;
  dh: { gxi: string; gxr: string };
  expected: { encKey: string; iv0: string };
  messages: Array<{ msgId: number; mode: IvMode; iv: string; plaintext: string; ciphertext: string }>;
}

const CASES = (
  JSON.parse(readFileSync(new URL('../../vectors/keys-ikev1.json', import.meta.url), 'utf8')) as { cases: ScenarioCase[] }
).cases.filter((c) => c.messages.length > 0);
const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function chainFor(c: ScenarioCase): IvChain {
  return new IvChain({ cipher: c.cipher, hash: c.hash, key: hex(c.expected.encKey), iv0: hex(c.expected.iv0) });
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('IV derivation', () => {
  it('IV0 is hash(g^xi | g^xr) truncated to the block size', () => {
    for (const c of CASES) {
      const blockSize = c.expected.iv0.length / 2;
      expect(phase1InitialIv(c.hash, hex(c.dh.gxi), hex(c.dh.gxr), blockSize).toString('hex')).toBe(c.expected.iv0);
    }
  });

  it('the phase-2 IV is hash(last phase-1 block | M-ID) truncated', () => {
    const last = Buffer.alloc(16, 0xab);
    expect(phase2InitialIv('sha1', last, 0x01020304, 16)).toEqual(
      hash('sha1', last, Buffer.from([1, 2, 3, 4])).subarray(0, 16),
    );
    expect(messageIdBytes(0xfffffffe)).toEqual(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
  });

  it('refuses a hash shorter than the block size', () => {
    expect(() => phase2InitialIv('md5', Buffer.alloc(16), 1, 32)).toThrow(
      new RangeError('md5 output is shorter than the block size 32'),
    );
  });
});

describe('encrypted message scenario (AM3, XAUTH, DPD, quick mode interleaved)', () => {
  it('covers every cipher', () => {
    expect(new Set(CASES.map((c) => c.cipher))).toEqual(new Set(['des', '3des', 'aes128', 'aes192', 'aes256']));
  });

  for (const c of CASES) {
    it(`${c.name}: both sides produce and read the reference ciphertexts`, () => {
      const initiator = chainFor(c);
      const responder = chainFor(c);
      c.messages.forEach((m, index) => {
        // Alternate directions: the chains must not care who sent a message.
        const [sender, receiver] = index % 2 === 0 ? [initiator, responder] : [responder, initiator];
        expect(sender.ivFor(m.msgId, m.mode).toString('hex'), `IV of message ${index}`).toBe(m.iv);
        expect(receiver.ivFor(m.msgId, m.mode).toString('hex'), `IV of message ${index}`).toBe(m.iv);
        const ciphertext = encryptBody(sender, m.msgId, hex(m.plaintext), m.mode);
        expect(ciphertext.toString('hex'), `ciphertext of message ${index}`).toBe(m.ciphertext);
        const plaintext = decryptBody(receiver, m.msgId, ciphertext, m.mode);
        expect(plaintext.subarray(0, m.plaintext.length / 2).toString('hex')).toBe(m.plaintext);
        expect(plaintext.subarray(m.plaintext.length / 2).every((b) => b === 0)).toBe(true);
      });
    });
  }
});

describe('IvChain rules', () => {
  const key = Buffer.alloc(16, 1);
  const iv0 = Buffer.alloc(16, 2);
  const make = (): IvChain => new IvChain({ cipher: 'aes128', hash: 'sha1', key, iv0 });

  it('phase 1 starts at IV0 and continues with the last ciphertext block', () => {
    const chain = make();
    expect(chain.ivFor(0)).toEqual(iv0);
    const body = Buffer.alloc(40, 3);
    const ciphertext = encryptBody(chain, 0, body);
    expect(ciphertext.length).toBe(48);
    expect(ciphertext).toEqual(cbcEncrypt('aes128', key, iv0, Buffer.concat([body, Buffer.alloc(8)])).data);
    expect(chain.ivFor(0)).toEqual(ciphertext.subarray(32));
    expect(chain.phase1Iv).toEqual(ciphertext.subarray(32));
  });

  it('a new message id starts from the phase-1 chain, then chains on its own', () => {
    const chain = make();
    const am3 = encryptBody(chain, 0, Buffer.alloc(32, 4));
    const last = am3.subarray(16);
    expect(chain.has(7)).toBe(false);
    expect(chain.ivFor(7)).toEqual(phase2InitialIv('sha1', last, 7, 16));
    const first = encryptBody(chain, 7, Buffer.alloc(16, 5));
    expect(chain.has(7)).toBe(true);
    expect(chain.ivFor(7)).toEqual(first);
    // Another message id is independent of 7's chain and still derives from the phase-1 block.
    expect(chain.ivFor(8)).toEqual(phase2InitialIv('sha1', last, 8, 16));
    expect(chain.phase1Iv).toEqual(last);
  });

  it('informational messages use a fresh IV and move no chain', () => {
    const chain = make();
    encryptBody(chain, 0, Buffer.alloc(16, 4));
    encryptBody(chain, 9, Buffer.alloc(16, 5));
    const phase1 = chain.phase1Iv;
    const nine = chain.ivFor(9);
    const fresh = chain.ivFor(9, 'informational');
    expect(fresh).toEqual(phase2InitialIv('sha1', phase1, 9, 16));
    const a = encryptBody(chain, 9, Buffer.alloc(16, 6), 'informational');
    const b = encryptBody(chain, 9, Buffer.alloc(16, 6), 'informational');
    expect(a).toEqual(b);
    expect(chain.phase1Iv).toEqual(phase1);
    expect(chain.ivFor(9)).toEqual(nine);
    expect(chain.ivFor(0)).toEqual(phase1);
  });

  it('ivFor is a pure read and returns copies', () => {
    const chain = make();
    const iv = chain.ivFor(0);
    iv.fill(0xee);
    expect(chain.ivFor(0)).toEqual(iv0);
    expect(chain.ivFor(0)).toEqual(iv0);
  });

  it('forget drops a finished exchange, which then restarts from the phase-1 block', () => {
    const chain = make();
    encryptBody(chain, 5, Buffer.alloc(16));
    chain.forget(5);
    expect(chain.has(5)).toBe(false);
    expect(chain.ivFor(5)).toEqual(phase2InitialIv('sha1', iv0, 5, 16));
    expect(chain.has(0)).toBe(true);
  });

  it('keeps at most maxMessageIds chains, dropping the least recently used', () => {
    const chain = new IvChain({ cipher: 'aes128', hash: 'sha1', key, iv0, maxMessageIds: 2 });
    encryptBody(chain, 1, Buffer.alloc(16));
    encryptBody(chain, 2, Buffer.alloc(16));
    encryptBody(chain, 1, Buffer.alloc(16));
    encryptBody(chain, 3, Buffer.alloc(16));
    expect([chain.has(1), chain.has(2), chain.has(3)]).toEqual([true, false, true]);
  });

  it('pads an empty body to one zero block', () => {
    const chain = make();
    expect(encryptBody(chain, 0, Buffer.alloc(0)).length).toBe(16);
  });

  it('checks its construction arguments and message ids', () => {
    expect(() => new IvChain({ cipher: 'aes256', hash: 'sha1', key, iv0 })).toThrow(
      new RangeError('aes256 key is 16 bytes, expected 32'),
    );
    expect(() => new IvChain({ cipher: '3des', hash: 'sha1', key: Buffer.alloc(24), iv0 })).toThrow(
      new RangeError('IV0 is 16 bytes, expected the block size 8'),
    );
    expect(() => make().advance(1, Buffer.alloc(8))).toThrow(new RangeError('last block is 8 bytes, expected 16'));
    expect(() => make().advance(1.5, Buffer.alloc(16))).toThrow(
      new RangeError('message id 1.5 is not a 32-bit unsigned integer'),
    );
  });
});

describe('decryptBody errors', () => {
  for (const length of [0, 15, 17, 31]) {
    it(`rejects a ${length}-byte body with PAYLOAD-MALFORMED and leaves the chain alone`, () => {
      const chain = new IvChain({ cipher: 'aes128', hash: 'md5', key: Buffer.alloc(16), iv0: Buffer.alloc(16, 9) });
      const error = catchError(() => decryptBody(chain, 0, Buffer.alloc(length)));
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).notify).toBe(16);
      expect((error as ProtocolError).message).toBe(
        `encrypted ISAKMP body of ${length} bytes is not a positive multiple of the aes128 block size 16`,
      );
      expect(chain.ivFor(0)).toEqual(Buffer.alloc(16, 9));
    });
  }

  it('uses the 8-byte block size for 3DES', () => {
    const chain = new IvChain({ cipher: '3des', hash: 'sha1', key: Buffer.alloc(24, 1), iv0: Buffer.alloc(8) });
    expect(decryptBody(chain, 0, Buffer.alloc(24)).length).toBe(24);
    expect((catchError(() => decryptBody(chain, 0, Buffer.alloc(12))) as ProtocolError).message).toBe(
      'encrypted ISAKMP body of 12 bytes is not a positive multiple of the 3des block size 8',
    );
  });
});
