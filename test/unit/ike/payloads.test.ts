import { describe, expect, it } from 'vitest';
import { CertEncoding, CfgAttribute, CfgType, Doi, IdType, NotifyType, PayloadType, ProtocolId } from '../../../src/ike/constants.js';
import { decodePayloads } from '../../../src/ike/message.js';
import {
  encodePayloadBody,
  ipv4Attribute,
  isKnown,
  stringAttribute,
  tlvAttribute,
  tvAttribute,
  u32Attribute,
  type Payload,
} from '../../../src/ike/payloads/index.js';
import { DecodeNotify, EncodeError } from '../../../src/wire/errors.js';
import { expectDecodeError, payloadBytes, roundTrip } from './codec-helpers.js';

const MALFORMED = DecodeNotify.PAYLOAD_MALFORMED;
const cookies = Buffer.from('0102030405060708a1a2a3a4a5a6a7a8', 'hex');

describe('data payloads (KE, HASH, SIG, Nonce, VID, NAT-D)', () => {
  it.each([PayloadType.KE, PayloadType.HASH, PayloadType.SIG, PayloadType.NONCE, PayloadType.VENDOR_ID] as const)(
    'round-trips type %i',
    (type) => {
      const { bytes } = roundTrip({ type, data: Buffer.from('00112233445566778899', 'hex') });
      expect(bytes.length).toBe(14);
      roundTrip({ type, data: Buffer.alloc(0) });
    },
  );

  it.each([PayloadType.NAT_D, PayloadType.NAT_D_DRAFT] as const)('round-trips NAT-D type %i', (type) => {
    const { bytes } = roundTrip({ type, hash: Buffer.alloc(20, 7) });
    expect(bytes.length).toBe(24);
  });

  it('decodes a KE body as a view of the datagram', () => {
    const bytes = payloadBytes('aabbcc');
    const [ke] = decodePayloads(PayloadType.KE, bytes);
    expect(ke).toEqual({ type: PayloadType.KE, data: Buffer.from('aabbcc', 'hex') });
    if (ke?.type !== PayloadType.KE) throw new Error('not KE');
    expect(ke.data.buffer).toBe(bytes.buffer);
  });
});

describe('ID payload', () => {
  const id = { type: PayloadType.ID, idType: IdType.KEY_ID, protocol: 17, port: 500, data: Buffer.from('mygroup') } as const;

  it('round-trips and keeps the raw body', () => {
    const { bytes, decoded } = roundTrip(id);
    expect(bytes.toString('hex')).toBe(`0000000f0b1101f4${Buffer.from('mygroup').toString('hex')}`);
    if (decoded.type !== PayloadType.ID) throw new Error('not ID');
    expect(decoded.raw?.equals(bytes.subarray(4))).toBe(true);
    expect(encodePayloadBody(id).equals(bytes.subarray(4))).toBe(true);
  });

  it('rejects a truncated body', () => {
    expectDecodeError(PayloadType.ID, payloadBytes('0b11'), MALFORMED, 'ID payload: truncated port (needs 2 bytes, 0 left)');
  });
});

describe('CERT and CR payloads', () => {
  it('round-trips', () => {
    const { bytes } = roundTrip({ type: PayloadType.CERT, encoding: CertEncoding.X509_SIGNATURE, data: Buffer.from('3082', 'hex') });
    expect(bytes.toString('hex')).toBe('00000007043082');
    roundTrip({ type: PayloadType.CR, encoding: CertEncoding.X509_SIGNATURE, authority: Buffer.alloc(0) });
  });

  it('rejects an empty body', () => {
    expectDecodeError(PayloadType.CERT, payloadBytes(''), MALFORMED, 'CERT payload: truncated cert encoding (needs 1 bytes, 0 left)');
    expectDecodeError(PayloadType.CR, payloadBytes(''), MALFORMED, 'CR payload: truncated cert type (needs 1 bytes, 0 left)');
  });
});

describe('Notification payload', () => {
  const n = {
    type: PayloadType.NOTIFICATION,
    doi: Doi.IPSEC,
    protocol: ProtocolId.ISAKMP,
    messageType: NotifyType.R_U_THERE,
    spi: cookies,
    data: Buffer.from('00000001', 'hex'),
  } as const;

  it('round-trips an R-U-THERE with both cookies as SPI', () => {
    const { bytes } = roundTrip(n);
    expect(bytes.subarray(0, 12).toString('hex')).toBe('000000200000000101108d28');
    expect(bytes.length).toBe(32);
    roundTrip({ ...n, spi: Buffer.alloc(0), data: Buffer.alloc(0) });
  });

  it('rejects an SPI size larger than the payload', () => {
    expectDecodeError(
      PayloadType.NOTIFICATION,
      payloadBytes('00000001 01 10 6002 0102'),
      MALFORMED,
      'NOTIFICATION payload: SPI size 16 exceeds payload (2 bytes left)',
    );
  });

  it('rejects a truncated fixed part', () => {
    expectDecodeError(PayloadType.NOTIFICATION, payloadBytes('00000001 01 00'), MALFORMED, 'NOTIFICATION payload: truncated notify message type (needs 2 bytes, 0 left)');
  });
});

describe('Delete payload', () => {
  const d = {
    type: PayloadType.DELETE,
    doi: Doi.IPSEC,
    protocol: ProtocolId.IPSEC_ESP,
    spiSize: 4,
    spis: [Buffer.from('11223344', 'hex'), Buffer.from('55667788', 'hex')],
  } as const;

  it('round-trips', () => {
    const { bytes } = roundTrip(d);
    expect(bytes.toString('hex')).toBe('000000140000000103040002' + '1122334455667788');
    roundTrip({ ...d, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [cookies] });
    roundTrip({ ...d, spis: [] });
  });

  it('rejects more SPIs than the payload holds', () => {
    expectDecodeError(
      PayloadType.DELETE,
      payloadBytes('00000001 03 04 0003 1122334455667788'),
      MALFORMED,
      'DELETE payload: 3 SPIs of 4 bytes exceed payload (8 bytes left)',
    );
  });

  it('refuses to encode an SPI of the wrong size', () => {
    expect(() => encodePayloadBody({ ...d, spis: [Buffer.alloc(3)] })).toThrow(new EncodeError('delete SPI of 3 bytes, SPI size is 4'));
  });
});

describe('NAT-OA payload', () => {
  it.each([PayloadType.NAT_OA, PayloadType.NAT_OA_DRAFT] as const)('round-trips type %i with reserved bytes zero', (type) => {
    const { bytes } = roundTrip({ type, idType: IdType.IPV4_ADDR, address: Buffer.from([192, 0, 2, 1]) });
    expect(bytes.subarray(4).toString('hex')).toBe('01000000c0000201');
  });

  it('ignores reserved bytes on decode', () => {
    const [p] = decodePayloads(PayloadType.NAT_OA, payloadBytes('01ffffff c0000201'));
    expect(p).toEqual({ type: PayloadType.NAT_OA, idType: 1, address: Buffer.from([192, 0, 2, 1]) });
  });

  it('rejects a truncated reserved field', () => {
    expectDecodeError(PayloadType.NAT_OA, payloadBytes('0100'), MALFORMED, 'NAT_OA payload: truncated RESERVED (needs 3 bytes, 1 left)');
  });
});

describe('Attribute payload (mode config / XAUTH)', () => {
  const request = {
    type: PayloadType.ATTRIBUTE,
    cfgType: CfgType.REQUEST,
    identifier: 20,
    attributes: [
      tlvAttribute(CfgAttribute.INTERNAL_IP4_ADDRESS),
      tlvAttribute(CfgAttribute.UNITY_FW_TYPE, Buffer.from('800100018002000180030002', 'hex')),
      tvAttribute(CfgAttribute.XAUTH_TYPE, 0),
      stringAttribute(CfgAttribute.XAUTH_USER_NAME, 'u'),
      ipv4Attribute(CfgAttribute.INTERNAL_IP4_DNS, '192.0.2.53'),
      u32Attribute(CfgAttribute.INTERNAL_ADDRESS_EXPIRY, 3600),
    ],
  } as const;

  it('round-trips TV and TLV attributes, including empty requests', () => {
    const { bytes } = roundTrip(request);
    expect(bytes.subarray(0, 12).toString('hex')).toBe(`0000${(bytes.length).toString(16).padStart(4, '0')}01000014` + '00010000');
    expect(bytes.includes(Buffer.from('c0880000', 'hex'))).toBe(true); // XAUTH_TYPE TV with the AF bit
  });

  it('ignores the reserved byte on decode', () => {
    const [p] = decodePayloads(PayloadType.ATTRIBUTE, payloadBytes('02ff0014 c08f0001'));
    expect(p).toEqual({
      type: PayloadType.ATTRIBUTE,
      cfgType: CfgType.REPLY,
      identifier: 20,
      attributes: [tvAttribute(CfgAttribute.XAUTH_STATUS, 1)],
    });
  });

  it('rejects a TLV length beyond the payload', () => {
    expectDecodeError(
      PayloadType.ATTRIBUTE,
      payloadBytes('02000014 0001 0008 c0000201'),
      MALFORMED,
      'ATTRIBUTE payload: attribute 1 length 8 exceeds payload (4 bytes left)',
    );
  });

  it('rejects a truncated TV value and a dangling attribute byte', () => {
    expectDecodeError(PayloadType.ATTRIBUTE, payloadBytes('02000014 c08f00'), MALFORMED, 'ATTRIBUTE payload: truncated attribute 16527 value (needs 2 bytes, 1 left)');
    expectDecodeError(PayloadType.ATTRIBUTE, payloadBytes('02000014 00'), MALFORMED, 'ATTRIBUTE payload: truncated attribute type (needs 2 bytes, 1 left)');
  });
});

describe('unknown payloads', () => {
  it('keeps the body of types without a codec (GDOI SAK, Cisco fragment, 200)', () => {
    for (const type of [PayloadType.SAK, PayloadType.FRAGMENT, 200] as const) {
      const [p] = decodePayloads(type, payloadBytes('deadbeef'));
      expect(p).toEqual({ type, body: Buffer.from('deadbeef', 'hex') });
      expect(isKnown(p!)).toBe(false);
      roundTrip(p!);
    }
  });

  it('refuses PROPOSAL and TRANSFORM at top level', () => {
    expectDecodeError(PayloadType.PROPOSAL, payloadBytes('00'), DecodeNotify.INVALID_PAYLOAD_TYPE, 'PROPOSAL payload: only allowed inside an SA payload');
    expectDecodeError(PayloadType.TRANSFORM, payloadBytes('00'), DecodeNotify.INVALID_PAYLOAD_TYPE, 'TRANSFORM payload: only allowed inside an SA payload');
  });
});

describe('encodePayloadBody', () => {
  it('gives the same bytes as the body of the chain', () => {
    const p: Payload = { type: PayloadType.NONCE, data: Buffer.alloc(20, 9) };
    expect(encodePayloadBody(p).equals(Buffer.alloc(20, 9))).toBe(true);
  });
});
