/**
 * The test responder in hybrid mode (HybridInitRSA): AM2 carries CERT payloads and a SIG (HASH_R "encrypted"
 * with the gateway's RSA key, PKCS#1 type 1, no DigestInfo) instead of HASH, SKEYID = prf(Ni_b | Nr_b, g^xy).
 * Built, like FakeResponder, from the codecs and the key schedule only; everything after AM2 (open, seal,
 * verify) is FakeResponder's.
 */
import { constants, createHmac, privateEncrypt } from 'node:crypto';
import { expect } from 'vitest';
import { createDh, isDhGroupId } from '../../../src/crypto/dh-groups.js';
import { hmacPrf } from '../../../src/crypto/prf.js';
import { CertEncoding, ExchangeType, IdType, PayloadType } from '../../../src/ike/constants.js';
import { IvChain } from '../../../src/ike/crypt.js';
import { IkeAttribute } from '../../../src/ike/ike-attributes.js';
import { derivePhase1Keys, hashI, hashR } from '../../../src/ike/keys.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import { attributeNumber, encodePayloadBody, type IdPayload, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';
import { FakeResponder } from './fake-responder.js';

/** How the hybrid responder builds AM2. */
export interface HybridAm2Options {
  /** DER certificates, one CERT payload each, in this order. */
  certs: readonly Buffer[];
  /** The gateway's private key (PEM) that signs HASH_R. */
  keyPem: string;
  /** Sign something else than HASH_R (bad-signature tests). */
  signWhat?: (hashR: Buffer) => Buffer;
  /** Last chance to change AM2's payload list. */
  edit?: (payloads: Payload[]) => Payload[];
}

const HASHES: Record<number, 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512'> = { 1: 'md5', 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };

function num(t: Transform, type: number): number | undefined {
  const a = t.attributes.find((x) => x.type === type);
  return a ? attributeNumber(a) : undefined;
}

export class HybridResponder extends FakeResponder {
  /** SAi_b etc. of this exchange, for HASH_I. */
  private hybridHashInput!: { gxi: Buffer; gxr: Buffer; ckyI: Buffer; ckyR: Buffer; saIb: Buffer };
  private hybridIdIib: Buffer = Buffer.alloc(0);

  /** Reads AM1 (which must offer hybrid transforms) and returns AM2 with CERT* and SIG. */
  answerHybridAm1(am1: Buffer, o: HybridAm2Options): Buffer {
    const msg = decodeMessage(am1);
    this.am1 = msg.payloads;
    this.ckyI = msg.header.initiatorCookie;
    const get = <T extends Payload>(type: number) => msg.payloads.find((p) => p.type === type) as T;
    const sa = get<SaPayload>(PayloadType.SA);
    const gxi = get<{ type: 4; data: Buffer }>(PayloadType.KE).data;
    this.nonceI = get<{ type: 10; data: Buffer }>(PayloadType.NONCE).data;
    this.hybridIdIib = get<IdPayload>(PayloadType.ID).raw!;
    const chosen = sa.proposals[0]!.transforms[0]!;
    expect(num(chosen, IkeAttribute.AUTHENTICATION_METHOD)).toBe(64221);
    const group = num(chosen, IkeAttribute.GROUP_DESCRIPTION)!;
    if (!isDhGroupId(group)) throw new Error(`test responder: group ${group}`);
    const dh = createDh(group);
    this.cipher = 'aes256';
    expect([num(chosen, IkeAttribute.ENCRYPTION_ALGORITHM), num(chosen, IkeAttribute.KEY_LENGTH)]).toEqual([7, 256]);
    this.hash = HASHES[num(chosen, IkeAttribute.HASH_ALGORITHM)!]!;
    this.prf = hmacPrf(this.hash);
    this.keys = derivePhase1Keys({
      hash: this.hash, cipher: this.cipher, auth: { method: 'signature' }, nonceI: this.nonceI, nonceR: this.nonceR,
      gxi, gxr: dh.publicValue, gxy: dh.computeSecret(gxi), ckyI: this.ckyI, ckyR: this.ckyR,
    });
    this.ivs = new IvChain({ cipher: this.cipher, hash: this.hash, key: this.keys.encKey, iv0: this.keys.iv0 });
    this.hybridHashInput = { gxi, gxr: dh.publicValue, ckyI: this.ckyI, ckyR: this.ckyR, saIb: sa.raw! };
    const idR: IdPayload = { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 17, port: 500, data: Buffer.from([198, 51, 100, 1]) };
    const hashRValue = hashR(this.prf, this.keys.skeyid, this.hybridHashInput, encodePayloadBody(idR));
    const signed = o.signWhat ? o.signWhat(hashRValue) : hashRValue;
    let payloads: Payload[] = [
      { ...sa, raw: undefined, proposals: [{ ...sa.proposals[0]!, transforms: [chosen] }] },
      { type: PayloadType.KE, data: dh.publicValue },
      { type: PayloadType.NONCE, data: this.nonceR },
      idR,
      ...o.certs.map((data): Payload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data })),
      { type: PayloadType.SIG, data: privateEncrypt({ key: o.keyPem, padding: constants.RSA_PKCS1_PADDING }, signed) },
    ];
    if (o.edit) payloads = o.edit(payloads);
    return encodeMessage({ initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType: ExchangeType.AGGRESSIVE, flags: 0, messageId: 0 }, payloads);
  }

  /** Decrypts AM3 and checks HASH_I; returns its payloads. */
  override readAm3(am3: Buffer): Payload[] {
    const m = this.open(am3);
    expect(m.header.exchangeType).toBe(ExchangeType.AGGRESSIVE);
    expect(m.payloads[0]).toEqual({ type: PayloadType.HASH, data: hashI(this.prf, this.keys.skeyid, this.hybridHashInput, this.hybridIdIib) });
    return m.payloads;
  }

  /** Cisco's PRESHARED_KEY_HASH as the gateway computes it: HMAC(SKEYID, group secret). */
  presharedKeyHash(): Buffer {
    return createHmac(this.hash, this.keys.skeyid).update(this.psk).digest();
  }
}
