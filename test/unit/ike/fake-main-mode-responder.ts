/**
 * The test responder in main mode with RSA signatures (RFC 2409 5.1): MM2 picks the first transform, MM4 brings
 * KE, Nr and NAT-D, MM5 is opened and SIG_I checked with the initiator's certificate, MM6 carries the gateway's
 * IDir, CERT and SIG_R. Built from the codecs and the key schedule only; encryption is FakeResponder's.
 */
import { constants, privateEncrypt, publicDecrypt, X509Certificate } from 'node:crypto';
import { expect } from 'vitest';
import { createDh, isDhGroupId, type DhKeyPair } from '../../../src/crypto/dh-groups.js';
import { hmacPrf } from '../../../src/crypto/prf.js';
import { CertEncoding, ExchangeType, IdType, PayloadType } from '../../../src/ike/constants.js';
import { IvChain } from '../../../src/ike/crypt.js';
import { natdHash, type SocketAddress } from '../../../src/ike/exchanges/phase1-common.js';
import { IkeAttribute } from '../../../src/ike/ike-attributes.js';
import { derivePhase1Keys, hashI, hashR } from '../../../src/ike/keys.js';
import { decodeMessage, encodeMessage } from '../../../src/ike/message.js';
import { attributeNumber, encodePayloadBody, type IdPayload, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';
import { VendorId } from '../../../src/ike/vendor-ids.js';
import { encryptBody } from '../../../src/ike/crypt.js';
import { FakeResponder } from './fake-responder.js';

const HASHES: Record<number, 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512'> = { 1: 'md5', 2: 'sha1', 4: 'sha256', 5: 'sha384', 6: 'sha512' };

function num(t: Transform, type: number): number | undefined {
  const a = t.attributes.find((x) => x.type === type);
  return a ? attributeNumber(a) : undefined;
}

export interface Mm6Options {
  certs: readonly Buffer[];
  keyPem: string;
  signWhat?: (hashR: Buffer) => Buffer;
  /** IDir (default ID_IPV4_ADDR 198.51.100.1, which the test PKI's gateway certificates name). */
  idR?: IdPayload;
}

export class MainModeResponder extends FakeResponder {
  private saIb = Buffer.alloc(0);
  private chosen!: Transform;
  private dh!: DhKeyPair;
  private gxi = Buffer.alloc(0);
  /** Payloads of MM1, MM3, MM5 as read. */
  readonly got: { mm1: Payload[]; mm3: Payload[]; mm5: Payload[] } = { mm1: [], mm3: [], mm5: [] };

  constructor() {
    super(Buffer.alloc(0));
  }

  private plain(payloads: Payload[]): Buffer {
    return encodeMessage({ initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType: ExchangeType.IDENTITY_PROTECTION, flags: 0, messageId: 0 }, payloads);
  }

  answerMm1(mm1: Buffer, vids: Buffer[] = [VendorId.XAUTH, VendorId.NATT_RFC3947]): Buffer {
    const msg = decodeMessage(mm1);
    expect(msg.header.exchangeType).toBe(ExchangeType.IDENTITY_PROTECTION);
    this.got.mm1 = msg.payloads;
    this.ckyI = msg.header.initiatorCookie;
    const sa = msg.payloads.find((p) => p.type === PayloadType.SA) as SaPayload;
    this.saIb = Buffer.from(sa.raw!);
    this.chosen = sa.proposals[0]!.transforms[0]!;
    const group = num(this.chosen, IkeAttribute.GROUP_DESCRIPTION)!;
    if (!isDhGroupId(group)) throw new Error(`test responder: group ${group}`);
    this.dh = createDh(group);
    this.hash = HASHES[num(this.chosen, IkeAttribute.HASH_ALGORITHM)!]!;
    this.prf = hmacPrf(this.hash);
    return this.plain([{ ...sa, raw: undefined, proposals: [{ ...sa.proposals[0]!, transforms: [this.chosen] }] }, ...vids.map((data): Payload => ({ type: PayloadType.VENDOR_ID, data }))]);
  }

  /** MM3 in, MM4 out; `seen` is the initiator's address as it reached us (NAT-D). */
  answerMm3(mm3: Buffer, seen: SocketAddress, us: SocketAddress): Buffer {
    const msg = decodeMessage(mm3);
    this.got.mm3 = msg.payloads;
    this.gxi = Buffer.from((msg.payloads.find((p) => p.type === PayloadType.KE) as { data: Buffer }).data);
    this.nonceI = (msg.payloads.find((p) => p.type === PayloadType.NONCE) as { data: Buffer }).data;
    this.keys = derivePhase1Keys({ hash: this.hash, cipher: this.cipher, auth: { method: 'signature' }, nonceI: this.nonceI, nonceR: this.nonceR, gxi: this.gxi, gxr: this.dh.publicValue, gxy: this.dh.computeSecret(this.gxi), ckyI: this.ckyI, ckyR: this.ckyR });
    this.ivs = new IvChain({ cipher: this.cipher, hash: this.hash, key: this.keys.encKey, iv0: this.keys.iv0 });
    return this.plain([
      { type: PayloadType.KE, data: this.dh.publicValue },
      { type: PayloadType.NONCE, data: this.nonceR },
      { type: PayloadType.NAT_D, hash: natdHash(this.hash, this.ckyI, this.ckyR, seen) },
      { type: PayloadType.NAT_D, hash: natdHash(this.hash, this.ckyI, this.ckyR, us) },
    ]);
  }

  private get mmHashInput() {
    return { gxi: this.gxi, gxr: this.dh.publicValue, ckyI: this.ckyI, ckyR: this.ckyR, saIb: this.saIb };
  }

  /** Opens MM5 and checks SIG_I with the certificate it carries; returns its payloads. */
  readMm5(mm5: Buffer): Payload[] {
    const m = this.open(mm5);
    expect(m.header.exchangeType).toBe(ExchangeType.IDENTITY_PROTECTION);
    this.got.mm5 = m.payloads;
    const id = m.payloads.find((p) => p.type === PayloadType.ID) as IdPayload;
    const cert = m.payloads.find((p) => p.type === PayloadType.CERT) as { data: Buffer };
    const sig = m.payloads.find((p) => p.type === PayloadType.SIG) as { data: Buffer };
    const recovered = publicDecrypt({ key: new X509Certificate(cert.data).publicKey, padding: constants.RSA_PKCS1_PADDING }, sig.data);
    expect(recovered).toEqual(hashI(this.prf, this.keys.skeyid, this.mmHashInput, id.raw!));
    return m.payloads;
  }

  /** MM6: IDir, CERT*, SIG_R (encrypted under the phase-1 IV chain, message ID 0). */
  mm6(o: Mm6Options): Buffer {
    const idR: IdPayload = o.idR ?? { type: PayloadType.ID, idType: IdType.IPV4_ADDR, protocol: 17, port: 500, data: Buffer.from([198, 51, 100, 1]) };
    const h = hashR(this.prf, this.keys.skeyid, this.mmHashInput, encodePayloadBody(idR));
    const payloads: Payload[] = [
      idR,
      ...o.certs.map((data): Payload => ({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data })),
      { type: PayloadType.SIG, data: privateEncrypt({ key: o.keyPem, padding: constants.RSA_PKCS1_PADDING }, o.signWhat ? o.signWhat(h) : h) },
    ];
    return encodeMessage({ initiatorCookie: this.ckyI, responderCookie: this.ckyR, exchangeType: ExchangeType.IDENTITY_PROTECTION, flags: 0, messageId: 0 }, payloads, (chain) => encryptBody(this.ivs, 0, chain, 'chained'));
  }
}
