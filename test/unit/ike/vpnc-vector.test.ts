/** Decodes real AM1 packets captured from Debian's vpnc (see test/vectors/vpnc-am1.md). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ExchangeType,
  GroupDescription,
  IdType,
  IkeAttribute,
  IkeAuthMethod,
  IkeEncryption,
  IkeHash,
  IkeTransformId,
  LifeType,
  PayloadType,
  ProtocolId,
  VendorId,
  vendorIdName,
} from '../../../src/ike/constants.js';
import { decodeMessage, encodeMessage, encodePayloadChain } from '../../../src/ike/message.js';
import { attributeNumber, findAttribute, type Payload, type SaPayload, type Transform } from '../../../src/ike/payloads/index.js';

function vector(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`../../vectors/${name}.hex`, import.meta.url), 'utf8').trim(), 'hex');
}

function attr(t: Transform, type: number): number | undefined {
  const a = findAttribute(t.attributes, type);
  return a && attributeNumber(a);
}

function only<T extends Payload['type']>(payloads: Payload[], type: T): Extract<Payload, { type: T }> {
  const found = payloads.filter((p): p is Extract<Payload, { type: T }> => p.type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const NATT_VIDS = [
  VendorId.NATT_RFC3947,
  VendorId.NATT_DRAFT_03,
  VendorId.NATT_DRAFT_02N,
  VendorId.NATT_DRAFT_02,
  VendorId.NATT_DRAFT_01,
  VendorId.NATT_DRAFT_00,
];

const cases = [
  { file: 'vpnc-am1', group: GroupDescription.MODP_1024, keLength: 128, vids: [VendorId.XAUTH, VendorId.CISCO_UNITY, ...NATT_VIDS, VendorId.DPD] },
  { file: 'vpnc-am1-natt-none', group: GroupDescription.MODP_1024, keLength: 128, vids: [VendorId.XAUTH, VendorId.CISCO_UNITY, VendorId.DPD] },
  { file: 'vpnc-am1-dh14', group: GroupDescription.MODP_2048, keLength: 256, vids: [VendorId.XAUTH, VendorId.CISCO_UNITY, ...NATT_VIDS, VendorId.DPD] },
];

describe.each(cases)('$file', ({ file, group, keLength, vids }) => {
  const datagram = vector(file);
  const { header, payloads } = decodeMessage(datagram);

  it('has an aggressive-mode header with an empty responder cookie', () => {
    expect(header.exchangeType).toBe(ExchangeType.AGGRESSIVE);
    expect(header.flags).toBe(0);
    expect(header.messageId).toBe(0);
    expect(header.version).toBe(0x10);
    expect(header.length).toBe(datagram.length);
    expect(header.responderCookie.equals(Buffer.alloc(8))).toBe(true);
    expect(payloads.map((p) => p.type)).toEqual([
      PayloadType.SA,
      PayloadType.KE,
      PayloadType.NONCE,
      PayloadType.ID,
      ...vids.map(() => PayloadType.VENDOR_ID),
    ]);
  });

  it('offers one ISAKMP proposal of 24 transforms in vpnc order', () => {
    const sa: SaPayload = only(payloads, PayloadType.SA);
    expect(sa.doi).toBe(1);
    expect(sa.situation).toBe(1);
    expect(sa.proposals).toHaveLength(1);
    const p = sa.proposals[0]!;
    expect(p.protocol).toBe(ProtocolId.ISAKMP);
    expect(p.spi.length).toBe(0);
    expect(p.transforms).toHaveLength(24);
    p.transforms.forEach((t, i) => {
      expect(t.number).toBe(i);
      expect(t.id).toBe(IkeTransformId.KEY_IKE);
      expect(attr(t, IkeAttribute.GROUP_DESCRIPTION)).toBe(group);
      expect(attr(t, IkeAttribute.LIFE_TYPE)).toBe(LifeType.SECONDS);
      expect(attr(t, IkeAttribute.LIFE_DURATION)).toBe(2147483);
    });
    const first = p.transforms[0]!;
    expect(attr(first, IkeAttribute.AUTHENTICATION_METHOD)).toBe(IkeAuthMethod.XAUTHInitPreShared);
    expect(attr(first, IkeAttribute.ENCRYPTION_ALGORITHM)).toBe(IkeEncryption.AES_CBC);
    expect(attr(first, IkeAttribute.KEY_LENGTH)).toBe(256);
    expect(attr(first, IkeAttribute.HASH_ALGORITHM)).toBe(IkeHash.SHA);
    const last = p.transforms[23]!;
    expect(attr(last, IkeAttribute.AUTHENTICATION_METHOD)).toBe(IkeAuthMethod.PRESHARED_KEY);
    expect(attr(last, IkeAttribute.ENCRYPTION_ALGORITHM)).toBe(0);
    expect(attr(last, IkeAttribute.HASH_ALGORITHM)).toBe(IkeHash.MD5);
    const auths = new Set(p.transforms.map((t) => attr(t, IkeAttribute.AUTHENTICATION_METHOD)));
    expect([...auths]).toEqual([IkeAuthMethod.XAUTHInitPreShared, IkeAuthMethod.PRESHARED_KEY]);
  });

  it('keeps the SA body as received for HASH_I', () => {
    const sa = only(payloads, PayloadType.SA);
    const start = 28 + 4;
    expect(sa.raw?.equals(datagram.subarray(start, start + sa.raw.length))).toBe(true);
    expect(sa.raw?.length).toBe(datagram.readUInt16BE(28 + 2) - 4);
  });

  it(`carries a ${keLength}-byte KE, a 20-byte nonce and ID KEY_ID "mygroup"`, () => {
    expect(only(payloads, PayloadType.KE).data.length).toBe(keLength);
    expect(only(payloads, PayloadType.NONCE).data.length).toBe(20);
    const id = only(payloads, PayloadType.ID);
    expect(id.idType).toBe(IdType.KEY_ID);
    expect(id.protocol).toBe(17);
    expect(id.port).toBe(500);
    expect(id.data.toString()).toBe('mygroup');
  });

  it('sends the vendor IDs in vpnc order', () => {
    const sent = payloads.flatMap((p) => (p.type === PayloadType.VENDOR_ID ? [p.data] : []));
    expect(sent.map((v) => v.toString('hex'))).toEqual(vids.map((v) => v.toString('hex')));
    expect(sent.every((v) => vendorIdName(v) !== undefined)).toBe(true);
  });

  it('re-encodes byte for byte', () => {
    expect(encodePayloadChain(payloads).equals(datagram.subarray(28))).toBe(true);
    expect(encodeMessage(header, payloads).equals(datagram)).toBe(true);
  });
});
