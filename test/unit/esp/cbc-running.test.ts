/**
 * The running CBC contexts of esp-cipher.ts's node:crypto path (createJsEspCipher): `whitened` IVs on seal,
 * and one decryptor per SA that must give each packet's own CBC decryption whatever came before it.
 * Checked against fresh node:crypto contexts made with the IV read off the wire, so the packets are what any
 * RFC 3602 receiver (vpnc, strongSwan) can read.
 */
import { createDecipheriv, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJsEspCipher } from '../../../src/crypto/esp-cipher.js';
import { OpenResult, type EspCipherParams } from '../../../src/crypto/esp-suite.js';

const AES256_SHA1: EspCipherParams = {
  cipher: 'aes-cbc',
  encKey: Buffer.alloc(32, 0x11),
  salt: Buffer.alloc(0),
  hash: 'sha1',
  authKey: Buffer.alloc(20, 0x22),
  icvLength: 12,
  ivLength: 16,
};
const TDES_MD5: EspCipherParams = {
  ...AES256_SHA1,
  cipher: 'des-ede3-cbc',
  encKey: Buffer.alloc(24, 0x33),
  hash: 'md5',
  authKey: Buffer.alloc(16, 0x44),
  ivLength: 8,
};

/** An ESP packet buffer: SPI, seq, IV field = `r`, then `text`, then room for the ICV. */
function packet(p: EspCipherParams, seq: number, r: Buffer, text: Buffer): Buffer {
  const buf = Buffer.alloc(8 + p.ivLength + text.length + p.icvLength);
  buf.writeUInt32BE(0xabcd0001, 0);
  buf.writeUInt32BE(seq, 4);
  r.copy(buf, 8);
  text.copy(buf, 8 + p.ivLength);
  return buf;
}

/** Text of `blocks` cipher blocks, different per seed. */
function text(p: EspCipherParams, blocks: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: blocks * p.ivLength }, (_, i) => (i * 7 + seed * 31) & 0xff));
}

/** What a receiver with a fresh context per packet reads: the ICV checked by hand, then CBC with the wire IV. */
function independentOpen(p: EspCipherParams, buf: Buffer): Buffer {
  const end = buf.length - p.icvLength;
  const mac = createHmac(p.hash!, p.authKey).update(buf.subarray(0, end)).digest().subarray(0, p.icvLength);
  expect(mac.equals(buf.subarray(end))).toBe(true);
  const name = p.cipher === 'aes-cbc' ? `aes-${p.encKey.length * 8}-cbc` : p.cipher;
  const d = createDecipheriv(name, p.encKey, buf.subarray(8, 8 + p.ivLength));
  d.setAutoPadding(false);
  return d.update(buf.subarray(8 + p.ivLength, end));
}

describe.each([
  ['aes256-cbc + hmac-sha1-96', AES256_SHA1],
  ['3des-cbc + hmac-md5-96', TDES_MD5],
])('running CBC contexts, %s', (_name, p) => {
  it('whitened seal: any receiver decrypts with the IV on the wire, which is not the random input', () => {
    const c = createJsEspCipher(p);
    const r = Buffer.alloc(p.ivLength, 0x5a);
    const ivs = new Set<string>();
    for (let seq = 1; seq <= 5; seq++) {
      const t = text(p, seq, seq);
      const buf = packet(p, seq, r, t);
      c.seal(buf, 0, t.length);
      const iv = buf.subarray(8, 8 + p.ivLength);
      expect(iv.equals(r)).toBe(false);
      ivs.add(iv.toString('hex'));
      expect(independentOpen(p, buf).equals(t)).toBe(true);
    }
    // The same random input gives a different IV each time: the chaining state whitens it.
    expect(ivs.size).toBe(5);
  });

  it('as-given seal keeps the IV bytes it was given', () => {
    const c = createJsEspCipher({ ...p, ivMode: 'as-given' });
    const r = Buffer.alloc(p.ivLength, 0x5a);
    const t = text(p, 3, 1);
    const buf = packet(p, 1, r, t);
    c.seal(buf, 0, t.length);
    expect(buf.subarray(8, 8 + p.ivLength).equals(r)).toBe(true);
    expect(independentOpen(p, buf).equals(t)).toBe(true);
  });

  it('one decryptor opens packets out of order and after refused ones, each to its own plaintext', () => {
    const tx = createJsEspCipher(p);
    const rx = createJsEspCipher(p);
    const texts = [1, 4, 2, 7, 3].map((blocks, i) => text(p, blocks, i));
    const sealed = texts.map((t, i) => {
      const buf = packet(p, i + 1, Buffer.alloc(p.ivLength, i), t);
      tx.seal(buf, 0, t.length);
      return buf;
    });
    const forged = Buffer.from(sealed[1]!);
    forged[forged.length - 1]! ^= 1;
    expect(rx.open(forged, 0, texts[1]!.length)).toBe(OpenResult.BAD_ICV);
    // Authentic but not whole blocks: refused before it reaches the running context.
    const ragged = Buffer.alloc(8 + p.ivLength + p.ivLength + 1 + p.icvLength, 7);
    const end = ragged.length - p.icvLength;
    createHmac(p.hash!, p.authKey).update(ragged.subarray(0, end)).digest().copy(ragged, end, 0, p.icvLength);
    expect(rx.open(ragged, 0, p.ivLength + 1)).toBe(OpenResult.DECRYPT_FAILED);
    for (const i of [4, 0, 3, 1, 2]) {
      const buf = Buffer.from(sealed[i]!);
      expect(rx.open(buf, 0, texts[i]!.length)).toBe(OpenResult.OK);
      expect(buf.subarray(8 + p.ivLength, 8 + p.ivLength + texts[i]!.length).equals(texts[i]!)).toBe(true);
    }
  });

  it('seal refuses a text that is not whole blocks (it would desynchronise the running context)', () => {
    const c = createJsEspCipher(p);
    expect(() => c.seal(Buffer.alloc(8 + p.ivLength + 17 + p.icvLength), 0, 17)).toThrow(RangeError);
  });
});
