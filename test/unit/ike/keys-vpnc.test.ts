import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CipherName } from '../../../src/crypto/cipher.js';
import type { HashName } from '../../../src/crypto/hash.js';
import { hmacPrf } from '../../../src/crypto/prf.js';
import { IvChain, decryptBody } from '../../../src/ike/crypt.js';
import { derivePhase1Keys, hash1, hashI, presharedKeyHash } from '../../../src/ike/keys.js';

/**
 * Known answers from a real peer: Debian's vpnc 0.5.3 as initiator, captured by
 * test/vectors/keys-vpnc-capture.py (aggressive mode with PSK+XAUTH, DH group 2). vpncDebug holds what vpnc
 * printed at --debug 99; am3 and xauthReply are the encrypted messages vpnc sent.
 */
interface Capture {
  name: string;
  hash: HashName;
  cipher: CipherName;
  psk: string;
  ckyI: string;
  ckyR: string;
  nonceI: string;
  nonceR: string;
  gxi: string;
  gxr: string;
  gxy: string;
  saIb: string;
  idIib: string;
  idIrb: string;
  am3: string;
  xauthRequest: string;
  xauthReply: string;
  vpncDebug: Record<
    | 'dh_shared_secret'
    | 'skeyid'
    | 'returned_hash'
    | 'psk_hash'
    | 'skeyid_d'
    | 'skeyid_a'
    | 'skeyid_e'
    | 'enc-key'
    | 'current_iv'
    | 'initial_iv',
    string
  >;
}

const VECTORS = JSON.parse(readFileSync(new URL('../../vectors/keys-vpnc-am.json', import.meta.url), 'utf8')) as {
  peer: string;
  captures: Capture[];
};
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const HEADER = 28;

/** The first payload of a decrypted body: [next payload, body]. */
function firstPayload(plain: Buffer): { next: number; body: Buffer; end: number } {
  const length = plain.readUInt16BE(2);
  return { next: plain[0] ?? 0, body: plain.subarray(4, length), end: length };
}

describe(`vpnc known answers (${VECTORS.peer})`, () => {
  it('covers key expansion and both 8- and 16-byte blocks', () => {
    expect(VECTORS.captures.map((c) => `${c.cipher}/${c.hash}`)).toEqual(['aes256/sha1', 'aes128/md5', '3des/sha1']);
  });

  for (const c of VECTORS.captures) {
    describe(c.name, () => {
      const prf = hmacPrf(c.hash);
      const keys = derivePhase1Keys({
        hash: c.hash,
        cipher: c.cipher,
        auth: { method: 'psk', psk: hex(c.psk) },
        nonceI: hex(c.nonceI),
        nonceR: hex(c.nonceR),
        gxi: hex(c.gxi),
        gxr: hex(c.gxr),
        gxy: hex(c.gxy),
        ckyI: hex(c.ckyI),
        ckyR: hex(c.ckyR),
      });
      const v = c.vpncDebug;

      it('derives the SKEYIDs, encryption key and IV vpnc printed', () => {
        expect(c.gxy).toBe(v.dh_shared_secret);
        expect({
          skeyid: keys.skeyid.toString('hex'),
          skeyidD: keys.skeyidD.toString('hex'),
          skeyidA: keys.skeyidA.toString('hex'),
          skeyidE: keys.skeyidE.toString('hex'),
          encKey: keys.encKey.toString('hex'),
          iv0: keys.iv0.toString('hex'),
        }).toEqual({
          skeyid: v.skeyid,
          skeyidD: v.skeyid_d,
          skeyidA: v.skeyid_a,
          skeyidE: v.skeyid_e,
          encKey: v['enc-key'],
          iv0: v.current_iv,
        });
        expect(presharedKeyHash(prf, keys.skeyid, hex(c.psk)).toString('hex')).toBe(v.psk_hash);
      });

      it('decrypts AM3 and finds the HASH_I vpnc computed; the phase-1 chain ends on its last block', () => {
        const expectedHashI = hashI(
          prf,
          keys.skeyid,
          { gxi: hex(c.gxi), gxr: hex(c.gxr), ckyI: hex(c.ckyI), ckyR: hex(c.ckyR), saIb: hex(c.saIb) },
          hex(c.idIib),
        );
        expect(expectedHashI.toString('hex')).toBe(v.returned_hash);
        const chain = new IvChain({ cipher: c.cipher, hash: c.hash, key: keys.encKey, iv0: keys.iv0 });
        const am3 = hex(c.am3);
        expect(am3[16]).toBe(8); // first payload: HASH
        const plain = decryptBody(chain, 0, am3.subarray(HEADER));
        expect(firstPayload(plain).body).toEqual(expectedHashI);
        expect(chain.phase1Iv.toString('hex')).toBe(v.initial_iv);
      });

      it('follows the phase-2 IV rules: reads our XAUTH request and vpnc reply under the same message id', () => {
        const chain = new IvChain({ cipher: c.cipher, hash: c.hash, key: keys.encKey, iv0: keys.iv0 });
        decryptBody(chain, 0, hex(c.am3).subarray(HEADER));
        const request = hex(c.xauthRequest);
        const reply = hex(c.xauthReply);
        const msgId = reply.readUInt32BE(20);
        expect(msgId).toBe(request.readUInt32BE(20));
        expect(reply[18]).toBe(6); // transaction exchange
        decryptBody(chain, msgId, request.subarray(HEADER));
        const plain = decryptBody(chain, msgId, reply.subarray(HEADER));
        const hash = firstPayload(plain);
        expect(hash.next).toBe(14); // attribute payload follows
        const attrLength = plain.readUInt16BE(hash.end + 2);
        const attr = plain.subarray(hash.end, hash.end + attrLength);
        expect(attr[4]).toBe(2); // CFG_REPLY
        expect(attr.includes(Buffer.from('katuser'))).toBe(true);
        expect(hash.body).toEqual(hash1(prf, keys.skeyidA, msgId, attr));
      });
    });
  }
});
