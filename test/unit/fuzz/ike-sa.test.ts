/**
 * IkeSa.open and verifyHash under fuzzing: valid encryption of arbitrary payload lists round-trips, valid
 * encryption of mutated plaintext decodes exactly as the codecs decode that plaintext (or is refused with a
 * typed error, the IV chain unmoved), and a mutated ciphertext or header is refused without moving the chain.
 */
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { cbcDecrypt } from '../../../src/crypto/cipher.js';
import { ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { chainLength, type IkeSa } from '../../../src/ike/ike-sa.js';
import { decodePayloads } from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { anyPayload, bytes, mutated, withoutRaw } from './mutate.js';
import { outcome, same, target } from './runs.js';
import { handshake, messageId, plainMutations, plainOf, sealFor, type Handshake, type Plain } from './sessions.js';

let shared: Handshake | undefined;
/** One session for the target (open only reads the keys; each input seals with the IV the SA expects). */
const session = (): Handshake => (shared ??= handshake());

const exchangeType = fc.oneof(fc.constantFrom(ExchangeType.INFORMATIONAL, ExchangeType.TRANSACTION, ExchangeType.QUICK), fc.nat({ max: 255 }));
const extra = fc.option(bytes(24, 1), { nil: undefined });

/** The IV state of `sa` that a message under `msgId` can touch. */
function ivState(sa: IkeSa, msgId: number) {
  return { p1: sa.ivs.phase1Iv, chained: sa.ivs.ivFor(msgId), kept: sa.ivs.has(msgId) };
}

/** What the receiver should make of `plain` behind our HASH: the codecs' own reading of the bytes it walks. */
function expected(sa: IkeSa, sealed: Buffer, msgId: number, informational: boolean): { ok: true; payloads: Payload[] } | { ok: false } {
  const iv = sa.ivs.ivFor(msgId, informational ? 'informational' : 'chained');
  const text = cbcDecrypt(sa.ivs.cipher, sa.ivs.key, iv, sealed.subarray(28)).data;
  const r = outcome(() => decodePayloads(sealed[16]!, text.subarray(0, chainLength(text))));
  return r.ok ? { ok: true, payloads: r.value } : { ok: false };
}

describe('fuzz: IkeSa', () => {
  target('IkeSa.open round-trips valid encryption of arbitrary payloads', [fc.array(anyPayload, { maxLength: 6 }), exchangeType, messageId, extra], (list, type, msgId, ni) => {
    const { sa } = session();
    const sealed = sealFor(sa, { exchangeType: type, msgId }, plainOf(list), { kind: 'hash', ...(ni ? { extra: ni } : {}) });
    const msg = sa.open(sealed);
    expect(msg.payloads[0]!.type).toBe(PayloadType.HASH);
    same(withoutRaw(msg.payloads.slice(1)), list);
    sa.verifyHash(msg, ni);
    if (type !== ExchangeType.INFORMATIONAL) expect(sa.ivs.ivFor(msgId)).toEqual(sealed.subarray(sealed.length - sa.ivs.blockSize));
  });

  const base: Payload[] = [
    { type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: 36136, spi: Buffer.alloc(16, 3), data: Buffer.from([0, 0, 0, 7]) },
    { type: PayloadType.DELETE, doi: 1, protocol: 3, spiSize: 4, spis: [Buffer.from('c1c1c1c1', 'hex')] },
    { type: PayloadType.ATTRIBUTE, cfgType: 2, identifier: 9, attributes: [{ type: 1, tv: false, value: Buffer.from([192, 0, 2, 10]) }] },
    { type: PayloadType.NONCE, data: Buffer.alloc(20, 4) },
  ];
  target('IkeSa.open on valid encryption of mutated plaintext', [plainMutations(base), exchangeType, messageId, fc.boolean()], (plain: Plain, type, msgId, hashed) => {
    const { sa } = session();
    const informational = type === ExchangeType.INFORMATIONAL;
    const sealed = sealFor(sa, { exchangeType: type, msgId }, plain, hashed ? { kind: 'hash' } : { kind: 'none' });
    const want = expected(sa, sealed, msgId, informational);
    const before = ivState(sa, msgId);
    const got = outcome(() => sa.open(sealed));
    expect(got.ok).toBe(want.ok);
    if (!got.ok || !want.ok) {
      same(ivState(sa, msgId), before);
      return 'refused';
    }
    same(got.value.payloads, want.payloads);
    // The HASH we computed covers exactly what open() walked: it verifies whenever the chain opens.
    if (hashed) sa.verifyHash(got.value);
    if (!informational) expect(sa.ivs.ivFor(msgId)).toEqual(sealed.subarray(sealed.length - sa.ivs.blockSize));
    return 'opened';
  });

  const corrupted = fc
    .tuple(fc.array(anyPayload, { maxLength: 4 }), exchangeType, messageId)
    .chain(([list, type, msgId]) => mutated(sealFor(session().sa, { exchangeType: type, msgId }, plainOf(list)), 0, 4));
  target('IkeSa.open on mutated ciphertext and header', [corrupted], (bad) => {
    const { sa } = session();
    const id = bad.length >= 24 ? bad.readUInt32BE(20) : 1;
    const before = ivState(sa, id);
    const got = outcome(() => sa.open(bad));
    if (!got.ok) {
      same(ivState(sa, id), before);
      return got.error.constructor.name;
    }
    expect(got.value.header.initiatorCookie.equals(sa.cookieI) && got.value.header.responderCookie.equals(sa.cookieR)).toBe(true);
    return 'opened';
  });

  target('IkeSa.verifyHash on any opened message', [plainMutations(base), messageId, extra, fc.boolean()], (plain, msgId, ni, hashed) => {
    const { sa } = session();
    const sealed = sealFor(sa, { exchangeType: ExchangeType.TRANSACTION, msgId }, plain, hashed ? { kind: 'hash', ...(ni ? { extra: ni } : {}) } : { kind: 'none' });
    const opened = outcome(() => sa.open(sealed));
    if (!opened.ok) return 'not opened';
    const ok = outcome(() => sa.verifyHash(opened.value, ni)).ok;
    // Our HASH verifies with the Ni_b it was made with, and not without it (nor with it when made without).
    if (hashed) expect(ok).toBe(true);
    if (hashed && ni) expect(outcome(() => sa.verifyHash(opened.value)).ok).toBe(false);
    return ok ? 'verified' : 'refused';
  });
});
