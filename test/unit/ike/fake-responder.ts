/**
 * A minimal IKEv1 RESPONDER for unit tests, built only from the codecs and the key schedule (not from
 * IkeSa or the exchange classes under test), so the client exchanges talk to an independent implementation
 * of the other side: AM1 -> AM2, AM3 check, transaction (XAUTH / mode config) and informational messages
 * protected with HASH(1), quick mode QM1 -> QM2 -> QM3 check and KEYMAT.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { CipherName } from '../../../src/crypto/cipher.js';
import { createDh, isDhGroupId, type DhKeyPair } from '../../../src/crypto/dh-groups.js';
import type { HashName } from '../../../src/crypto/hash.js';
import { hmacPrf, type Prf } from '../../../src/crypto/prf.js';
import { ExchangeType, IdType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { decryptBody, encryptBody, IvChain, type IvMode } from '../../../src/ike/crypt.js';
import { IkeAttribute } from '../../../src/ike/ike-attributes.js';
import { IpsecAttribute } from '../../../src/ike/ipsec-attributes.js';
import { randomCookie, zeroCookie, type IkeCookie } from '../../../src/wire/sa-ids.js';
import { derivePhase1Keys, hash1, hash2, hash3, hashI, hashR, keymat, type Phase1Keys } from '../../../src/ike/keys.js';
import { decodeMessage, decodePayloads, encodeMessage, encodePayloadChain, splitMessage, type IsakmpHeader } from '../../../src/ike/message.js';
import { attributeNumber, encodePayloadBody, type IdPayload, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';

export interface Addr {
  readonly address: string;
  readonly port: number;
}

/** How the responder builds AM2. */
export interface Am2Options {
  /** The transform to answer with (default: the initiator's first one). */
  transform?: (offered: readonly Transform[]) => Transform;
  /** The key the responder uses (default: the constructor's). */
  psk?: Buffer;
  /** NAT-D payloads: first the initiator's address as seen, then the responder's own. */
  natd?: { type: 20 | 130; initiator: Addr; responder: Addr };
  vendorIds?: Buffer[];
  /** Last chance to change AM2's payload list. */
  edit?: (payloads: Payload[]) => Payload[];
}

/** A decrypted message as the responder sees it. */
export interface Received {
  header: IsakmpHeader;
  payloads: Payload[];
  /** The plaintext chain without padding. */
  chain: Buffer;
}

const CIPHERS: Record<string, CipherName> = { '7/256': 'aes256', '7/192': 'aes192', '7/128': 'aes128', '5/0': '3des', '1/0': 'des' };
const HASHES: Record<number, HashName> = { 1: 'md5', 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };

/** NAT-D hash, computed here from RFC 3947 3.2 without the client's helper. */
export function natd(hashName: HashName, ckyI: Buffer, ckyR: Buffer, a: Addr): Buffer {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(a.port);
  return createHash(hashName).update(ckyI).update(ckyR).update(Buffer.from(a.address.split('.').map(Number))).update(port).digest();
}

/** Length of the payload chain at the start of `plain` (padding excluded). */
function walk(plain: Buffer): number {
  let off = 0;
  for (;;) {
    const next = plain[off]!;
    off += plain.readUInt16BE(off + 2);
    if (next === 0) return off;
  }
}

function attr(t: Transform, type: number): number | undefined {
  const a = t.attributes.find((x) => x.type === type);
  return a ? attributeNumber(a) : undefined;
}

export class FakeResponder {
  readonly ckyR = randomCookie();
  readonly nonceR = randomBytes(24);
  ckyI: IkeCookie = zeroCookie();
  nonceI: Buffer = Buffer.alloc(0);
  cipher: CipherName = 'aes256';
  hash: HashName = 'sha1';
  prf: Prf = hmacPrf('sha1');
  keys!: Phase1Keys;
  ivs!: IvChain;
  /** AM1's payloads, decoded. */
  am1: Payload[] = [];
  private hashInput!: { gxi: Buffer; gxr: Buffer; ckyI: Buffer; ckyR: Buffer; saIb: Buffer };
  private idIib: Buffer = Buffer.alloc(0);

  constructor(readonly psk: Buffer) {}

  /** Reads AM1 and returns AM2 (plaintext). */
  answerAm1(am1: Buffer, o: Am2Options = {}): Buffer {
    const msg = decodeMessage(am1);
    this.am1 = msg.payloads;
    this.ckyI = msg.header.initiatorCookie;
    const sa = this.find(PayloadType.SA) as SaPayload;
    const gxi = (this.find(PayloadType.KE) as { data: Buffer }).data;
    this.nonceI = (this.find(PayloadType.NONCE) as { data: Buffer }).data;
    const idIi = this.find(PayloadType.ID) as IdPayload;
    this.idIib = idIi.raw!;
    const offered = sa.proposals[0]!.transforms;
    const chosen = o.transform ? o.transform(offered) : offered[0]!;
    const group = attr(offered[0]!, IkeAttribute.GROUP_DESCRIPTION)!;
    if (!isDhGroupId(group)) throw new Error(`test responder: group ${group}`);
    const dh: DhKeyPair = createDh(group);
    const gxy = dh.computeSecret(gxi);
    const enc = attr(chosen, IkeAttribute.ENCRYPTION_ALGORITHM) ?? 7;
    this.cipher = CIPHERS[`${enc}/${attr(chosen, IkeAttribute.KEY_LENGTH) ?? 0}`] ?? 'aes256';
    this.hash = HASHES[attr(chosen, IkeAttribute.HASH_ALGORITHM) ?? 2] ?? 'sha1';
    this.prf = hmacPrf(this.hash);
    const kin = { hash: this.hash, cipher: this.cipher, nonceI: this.nonceI, nonceR: this.nonceR, gxi, gxr: dh.publicValue, gxy, ckyI: this.ckyI, ckyR: this.ckyR };
    this.keys = derivePhase1Keys({ ...kin, auth: { method: 'psk', psk: o.psk ?? this.psk } });
    this.ivs = new IvChain({ cipher: this.cipher, hash: this.hash, key: this.keys.encKey, iv0: this.keys.iv0 });
    this.hashInput = { gxi, gxr: dh.publicValue, ckyI: this.ckyI, ckyR: this.ckyR, saIb: sa.raw! };
    const idR: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 17, port: 500, data: Buffer.from([192, 0, 2, 1]) };
    const saR: SaPayload = { ...sa, raw: undefined, proposals: [{ ...sa.proposals[0]!, transforms: [chosen] }] };
    let payloads: Payload[] = [
      saR,
      { type: PayloadType.KE, data: dh.publicValue },
      { type: PayloadType.NONCE, data: this.nonceR },
      idR,
      { type: PayloadType.HASH, data: hashR(this.prf, this.keys.skeyid, this.hashInput, encodePayloadBody(idR)) },
      ...(o.vendorIds ?? []).map((data): Payload => ({ type: PayloadType.VENDOR_ID, data })),
    ];
    if (o.natd) {
      const n = o.natd;
      payloads.push({ type: n.type, hash: natd(this.hash, this.ckyI, this.ckyR, n.initiator) }, { type: n.type, hash: natd(this.hash, this.ckyI, this.ckyR, n.responder) });
    }
    if (o.edit) payloads = o.edit(payloads);
    return encodeMessage({ initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 }, payloads);
  }

  private find(type: number): Payload | undefined {
    return this.am1.find((p) => p.type === type);
  }

  /** Decrypts a message of this SA (advancing the responder's IV chain). */
  open(datagram: Buffer): Received {
    const { header, body } = splitMessage(datagram);
    expect(header.initiatorCookie.equals(this.ckyI) && header.responderCookie.equals(this.ckyR)).toBe(true);
    expect(header.flags & 1).toBe(1);
    const mode: IvMode = header.exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
    const plain = decryptBody(this.ivs, header.messageId, body, mode);
    const chain = plain.subarray(0, walk(plain));
    return { header, payloads: decodePayloads(header.nextPayload, chain), chain };
  }

  /** Decrypts AM3 and checks HASH_I; returns its payloads. */
  readAm3(am3: Buffer): Payload[] {
    const m = this.open(am3);
    expect(m.header.exchangeType).toBe(ExchangeType.AGGRESSIVE);
    expect(m.payloads[0]).toEqual({ type: PayloadType.HASH, data: hashI(this.prf, this.keys.skeyid, this.hashInput, this.idIib) });
    return m.payloads;
  }

  /** Checks a HASH(1)-style hash: prf(SKEYID_a, M-ID | [extra |] rest). Returns the payloads after it. */
  verify(m: Received, extra?: Buffer): Payload[] {
    const rest = m.chain.subarray(m.chain.readUInt16BE(2));
    const want = hash1(this.prf, this.keys.skeyidA, m.header.messageId, extra ? Buffer.concat([extra, rest]) : rest);
    expect(m.payloads[0]).toEqual({ type: PayloadType.HASH, data: want });
    return m.payloads.slice(1);
  }

  /** Seals HASH | payloads with HASH = `hashOf(rest)` (default HASH(1)). */
  seal(exchangeType: number, msgId: number, payloads: Payload[], hashOf?: (rest: Buffer) => Buffer): Buffer {
    const rest = encodePayloadChain(payloads);
    const h = hashOf ? hashOf(rest) : hash1(this.prf, this.keys.skeyidA, msgId, rest);
    const mode: IvMode = exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
    return encodeMessage(
      { initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType, flags: 0, messageId: msgId },
      [{ type: PayloadType.HASH, data: h }, ...payloads],
      (chain) => encryptBody(this.ivs, msgId, chain, mode),
    );
  }

  /** Encrypts a raw plaintext `chain` (no hash added) whose first payload has type `first`. */
  sealRaw(exchangeType: number, msgId: number, first: number, chain: Buffer, ivs: IvChain = this.ivs): Buffer {
    const mode: IvMode = exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
    const body = encryptBody(ivs, msgId, chain, mode);
    const header = encodeMessage({ initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType, flags: 1, messageId: msgId }, []);
    header[16] = first;
    header.writeUInt32BE(28 + body.length, 24);
    return Buffer.concat([header, body]);
  }

  /** A copy of the responder's IV state (phase-1 chain only), to encrypt without moving the real one. */
  ivCopy(): IvChain {
    return new IvChain({ cipher: this.cipher, hash: this.hash, key: this.keys.encKey, iv0: this.ivs.phase1Iv });
  }

  /** QM state of the last answerQm1. */
  qm: { msgId: number; nonceI: Buffer; nonceR: Buffer; spiI: Buffer; spiR: Buffer; gxy: Buffer | undefined } = {
    msgId: 0, nonceI: Buffer.alloc(0), nonceR: randomBytes(16), spiI: Buffer.alloc(0), spiR: Buffer.from('c0ffee01', 'hex'), gxy: undefined,
  };

  /**
   * Reads QM1 (checks HASH(1)), answers with the chosen proposal (default: the first), our SPI, Nr,
   * KE when PFS was proposed, the IDs echoed. HASH(2) = prf(SKEYID_a, M-ID | Ni_b | rest) unless `hash2Of`.
   */
  answerQm1(qm1: Buffer, o: { pick?: (sa: SaPayload) => Transform; edit?: (p: Payload[]) => Payload[]; hash2Of?: (rest: Buffer) => Buffer } = {}): Buffer {
    const m = this.open(qm1);
    expect(m.header.exchangeType).toBe(ExchangeType.QUICK);
    const body = this.verify(m);
    const msgId = m.header.messageId;
    const sa = body.find((p) => p.type === PayloadType.SA) as SaPayload;
    const nonce = body.find((p) => p.type === PayloadType.NONCE) as { data: Buffer };
    const ke = body.find((p) => p.type === PayloadType.KE) as { data: Buffer } | undefined;
    const ids = body.filter((p) => p.type === PayloadType.ID).map((p) => ({ ...(p as IdPayload), raw: undefined }));
    const first = sa.proposals[0]!;
    const t = o.pick ? o.pick(sa) : first.transforms[0]!;
    const group = attr(first.transforms[0]!, IpsecAttribute.GROUP_DESCRIPTION);
    this.qm = { ...this.qm, msgId, nonceI: nonce.data, spiI: first.spi, gxy: undefined };
    let payloads: Payload[] = [
      { type: PayloadType.SA, doi: sa.doi, situation: sa.situation, proposals: [{ number: first.number, protocol: ProtocolId.IPSEC_ESP, spi: this.qm.spiR, transforms: [t] }] },
      { type: PayloadType.NONCE, data: this.qm.nonceR },
    ];
    if (ke && group && isDhGroupId(group)) {
      const dh = createDh(group);
      this.qm.gxy = dh.computeSecret(ke.data);
      payloads.push({ type: PayloadType.KE, data: dh.publicValue });
    }
    payloads.push(...ids);
    if (o.edit) payloads = o.edit(payloads);
    return this.seal(ExchangeType.QUICK, msgId, payloads, o.hash2Of ?? ((rest) => hash2(this.prf, this.keys.skeyidA, msgId, nonce.data, rest)));
  }

  /** Decrypts QM3 and checks HASH(3). */
  readQm3(qm3: Buffer): void {
    const m = this.open(qm3);
    expect(m.header.messageId).toBe(this.qm.msgId);
    expect(m.payloads).toEqual([{ type: PayloadType.HASH, data: hash3(this.prf, this.keys.skeyidA, this.qm.msgId, this.qm.nonceI, this.qm.nonceR) }]);
  }

  /** The responder's KEYMAT for the SA with `spi` (its own for inbound, the initiator's for outbound). */
  keymat(spi: Buffer, length: number): Buffer {
    const { nonceI, nonceR, gxy } = this.qm;
    return keymat(this.prf, this.keys.skeyidD, { protocol: ProtocolId.IPSEC_ESP, spi, nonceI, nonceR, ...(gxy ? { gxy } : {}) }, length);
  }
}
