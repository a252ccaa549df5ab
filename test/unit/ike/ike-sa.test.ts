/**
 * IkeSa after aggressive mode with the test responder: seal / sealHashed / open / verifyHash, and the
 * refusals of open: other cookies, plaintext, a body that is not whole blocks, an undecodable chain (which
 * must leave the IV chain where it was), a forged or missing HASH. Plus chainLength and randomMessageId.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { ExchangeType, NotifyType, PayloadType } from '../../../src/ike/constants.js';
import { chainLength, randomMessageId } from '../../../src/ike/ike-sa.js';
import { encodeMessage, encodePayloadChain } from '../../../src/ike/message.js';
import { DecodeError } from '../../../src/wire/errors.js';
import { attributeNumber } from '../../../src/ike/payloads/index.js';
import { establish, POLICY } from './established.js';
import { thrown } from '../../helpers/thrown.js';

/** Aggressive mode with 3DES (8-byte blocks) chosen by the gateway. */
const with3des = () =>
  establish({ policy: { ...POLICY, weakEncryption: true } }, { transform: (offered) => offered.find((t) => attributeNumber(t.attributes[0]!) === 5)! });

const nonce = (n: number): { type: typeof PayloadType.NONCE; data: Buffer } => ({ type: PayloadType.NONCE, data: Buffer.alloc(n, 0xab) });

describe('chainLength', () => {
  it('walks the generic headers and ignores the padding after the last payload', () => {
    const chain = encodePayloadChain([nonce(5), nonce(3)]);
    expect(chainLength(Buffer.concat([chain, Buffer.alloc(7)]))).toBe(chain.length);
    expect(chainLength(chain)).toBe(16);
  });

  it.each([
    ['an empty body', Buffer.alloc(0), 'payload chain runs past the message'],
    ['a zero length', Buffer.alloc(16), 'payload length 0 below 4'],
    ['a length past the end', Buffer.from('0000001400000000', 'hex'), 'payload chain runs past the message'],
    ['a next payload beyond the data', Buffer.from('0a000004', 'hex'), 'payload chain runs past the message'],
  ])('refuses %s', (_, buf, message) => {
    const err = thrown(() => chainLength(buf)) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, message, NotifyType.PAYLOAD_MALFORMED]);
  });
});

describe('randomMessageId', () => {
  it('never returns 0', () => {
    const draws = [Buffer.alloc(4), Buffer.alloc(4), Buffer.from('00000102', 'hex')];
    expect(randomMessageId(() => draws.shift()!)).toBe(0x102);
    expect(randomMessageId()).toBeGreaterThan(0);
  });
});

describe('IkeSa', () => {
  it('spi is both cookies; sealHashed with extra hashes M-ID | extra | payloads', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    expect(sa.spi).toEqual(Buffer.concat([resp.ckyI, resp.ckyR]));
    const extra = Buffer.from('extra bytes');
    const m = resp.open(sa.sealHashed(ExchangeType.TRANSACTION, 0x99, [nonce(8)], extra));
    expect(resp.verify(m, extra)).toEqual([nonce(8)]);
    expect(m.header.flags).toBe(1);
  });

  it('seal adds no hash and the message opens on the other side; open returns the chain without padding', () => {
    const { result, resp } = establish();
    const m = resp.open(result.sa.seal(ExchangeType.TRANSACTION, 3, [nonce(3)]));
    expect(m.payloads).toEqual([nonce(3)]);
    const back = result.sa.open(resp.seal(ExchangeType.TRANSACTION, 3, [nonce(1)]));
    expect(back.payloads[1]).toEqual(nonce(1));
    expect(back.chain.length).toBe(back.chain.readUInt16BE(2) + 5);
    result.sa.verifyHash(back);
  });

  it('refuses a message for other cookies', () => {
    const { result, resp } = establish();
    const d = resp.seal(ExchangeType.TRANSACTION, 3, [nonce(1)]);
    d[9] = d[9]! ^ 0xff;
    const err = thrown(() => result.sa.open(d)) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, 'message for another ISAKMP SA (cookies differ)', NotifyType.INVALID_COOKIE]);
  });

  it('refuses a plaintext message', () => {
    const { result, resp } = establish();
    const plain = (exchangeType: number) =>
      encodeMessage({ initiatorCookie: resp.ckyI, responderCookie: resp.ckyR, exchangeType, flags: 0, messageId: 4 }, [nonce(4)]);
    const err = thrown(() => result.sa.open(plain(ExchangeType.INFORMATIONAL))) as ProtocolError;
    expect([err.message, err.notify]).toEqual(['unencrypted informational message after phase 1', NotifyType.INVALID_FLAGS]);
    expect(thrown(() => result.sa.open(plain(ExchangeType.QUICK))).message).toBe('unencrypted exchange message after phase 1');
  });

  it.each([
    ['AES', () => establish(), 16],
    ['3DES', with3des, 8],
  ])('refuses a body that is not a whole number of %s blocks', (_, run, bs) => {
    const { result, resp } = run();
    const d = resp.seal(ExchangeType.TRANSACTION, 3, [nonce(1)]);
    const cut = d.subarray(0, d.length - 4);
    cut.writeUInt32BE(cut.length, 24);
    const err = thrown(() => result.sa.open(cut)) as ProtocolError;
    expect([err.message, err.notify]).toEqual([`encrypted body of ${cut.length - 28} bytes is not a multiple of ${bs}`, NotifyType.PAYLOAD_MALFORMED]);
    const empty = Buffer.from(d.subarray(0, 28));
    empty.writeUInt32BE(28, 24);
    expect(thrown(() => result.sa.open(empty)).message).toBe(`encrypted body of 0 bytes is not a multiple of ${bs}`);
  });

  it('an undecodable message throws and leaves the IV chain where it was', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    const before = { p1: sa.ivs.phase1Iv, m: sa.ivs.ivFor(0x77) };
    // A chain whose length runs past the message, and a decodable chain holding a malformed SA payload.
    const runsPast = resp.sealRaw(ExchangeType.TRANSACTION, 0x77, PayloadType.HASH, Buffer.from('0000ffff', 'hex'), resp.ivCopy());
    const err = thrown(() => sa.open(runsPast)) as ProtocolError;
    expect([err.constructor, err.message]).toEqual([ProtocolError, 'payload chain runs past the message']);
    const badSa = resp.sealRaw(ExchangeType.TRANSACTION, 0x77, PayloadType.SA, Buffer.from('0000000800000001', 'hex'), resp.ivCopy());
    expect(thrown(() => sa.open(badSa))).toBeInstanceOf(DecodeError);
    expect(sa.ivs.phase1Iv).toEqual(before.p1);
    expect(sa.ivs.ivFor(0x77)).toEqual(before.m);
    expect(sa.ivs.has(0x77)).toBe(false);
    // The genuine message under the same id still decrypts: nothing moved.
    const good = sa.open(resp.seal(ExchangeType.TRANSACTION, 0x77, [nonce(2)]));
    sa.verifyHash(good);
    expect(good.payloads[1]).toEqual(nonce(2));
  });

  it('isAuthentic: true for a message the gateway sealed, false for a forged HASH, a mangled body or junk; it moves no IV, so the real message opens after a forged one of the same message id', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    const real = resp.seal(ExchangeType.TRANSACTION, 9, [nonce(2)]);
    const forged = Buffer.from(real);
    forged[forged.length - 1] ^= 0x55; // the last block: its plaintext (padding, the nonce) changes, the HASH does not
    const junk = Buffer.concat([real.subarray(0, 28), Buffer.alloc(32, 7)]);
    junk.writeUInt32BE(junk.length, 24);
    expect([sa.isAuthentic(forged), sa.isAuthentic(junk), sa.isAuthentic(real), sa.isAuthentic(real, Buffer.from('Ni_b'))]).toEqual([false, false, true, false]);
    const opened = sa.open(real);
    sa.verifyHash(opened);
    expect(opened.payloads[1]).toEqual(nonce(2));
  });

  it('verifyHash refuses a forged HASH and a message without one', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    const forged = sa.open(resp.seal(ExchangeType.TRANSACTION, 5, [nonce(2)], () => Buffer.alloc(20, 1)));
    const err = thrown(() => sa.verifyHash(forged)) as ProtocolError;
    expect([err.constructor, err.message, err.notify]).toEqual([ProtocolError, 'HASH payload does not match: message not authentic', NotifyType.INVALID_HASH_INFORMATION]);
    // HASH(1) without the Ni_b that quick mode's HASH(2) needs does not verify as HASH(2), and vice versa.
    const plain = sa.open(resp.seal(ExchangeType.TRANSACTION, 6, [nonce(2)]));
    expect(thrown(() => sa.verifyHash(plain, Buffer.from('Ni_b'))).message).toBe('HASH payload does not match: message not authentic');
    sa.verifyHash(plain);
    const noHash = sa.open(resp.sealRaw(ExchangeType.TRANSACTION, 7, PayloadType.NONCE, encodePayloadChain([nonce(4)])));
    const e2 = thrown(() => sa.verifyHash(noHash)) as ProtocolError;
    expect([e2.message, e2.notify]).toEqual(['message does not start with a HASH payload', NotifyType.INVALID_HASH_INFORMATION]);
  });

  it('informational messages use a fresh IV each and move no chain; transactions chain per message id', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    const p1 = sa.ivs.phase1Iv;
    resp.open(sa.sealHashed(ExchangeType.INFORMATIONAL, 0x44, []));
    sa.open(resp.seal(ExchangeType.INFORMATIONAL, 0x45, []));
    expect(sa.ivs.phase1Iv).toEqual(p1);
    expect(sa.ivs.has(0x44) || sa.ivs.has(0x45)).toBe(false);
    resp.open(sa.sealHashed(ExchangeType.TRANSACTION, 0x46, [nonce(1)]));
    expect(sa.ivs.has(0x46)).toBe(true);
    sa.verifyHash(sa.open(resp.seal(ExchangeType.TRANSACTION, 0x46, [nonce(2)])));
  });
});

describe('IkeSa.openWith', () => {
  it('advances the IV only when `use` returns: a forged message that decodes, refused by its hash, leaves the real one of the same id decryptable', () => {
    const { result, resp } = establish();
    const sa = result.sa;
    // Both encrypted from the IV a new message ID starts with (the responder's chain would move after the first).
    const fresh = resp.ivCopy();
    const forged = resp.seal(ExchangeType.QUICK, 0x4242, [nonce(2)], () => Buffer.alloc(20, 1));
    resp.ivs = fresh;
    const real = resp.seal(ExchangeType.QUICK, 0x4242, [nonce(3)]);
    expect(thrown(() => sa.openWith(forged, (m) => sa.verifyHash(m))).message).toBe('HASH payload does not match: message not authentic');
    expect(sa.openWith(real, (m) => (sa.verifyHash(m), m.payloads[1]))).toEqual(nonce(3));
    // With open() the forged one would have moved the IV: the real one no longer decrypts to its payloads.
    const { result: r2, resp: p2 } = establish();
    const fresh2 = p2.ivCopy();
    const forged2 = p2.seal(ExchangeType.QUICK, 0x4242, [nonce(2)], () => Buffer.alloc(20, 1));
    p2.ivs = fresh2;
    const real2 = p2.seal(ExchangeType.QUICK, 0x4242, [nonce(3)]);
    r2.sa.open(forged2);
    expect(() => r2.sa.verifyHash(r2.sa.open(real2))).toThrow();
  });
});
