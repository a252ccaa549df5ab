import { describe, expect, it } from 'vitest';
import {
  AuthAlgorithm,
  Doi,
  EncapsulationMode,
  EspTransformId,
  IkeAttribute,
  IkeAuthMethod,
  IkeEncryption,
  IkeHash,
  IkeTransformId,
  IpsecAttribute,
  IpsecSituation,
  LifeType,
  PayloadType,
  ProtocolId,
} from '../../../src/ike/constants.js';
import { decodePayloads } from '../../../src/ike/message.js';
import { encodePayloadBody, tvAttribute, u32Attribute, type SaPayload } from '../../../src/ike/payloads/index.js';
import { DecodeNotify, EncodeError } from '../../../src/wire/errors.js';
import { expectDecodeError, payloadBytes, roundTrip } from './codec-helpers.js';

const BAD = DecodeNotify.BAD_PROPOSAL_SYNTAX;
const MALFORMED = DecodeNotify.PAYLOAD_MALFORMED;

const phase1: SaPayload = {
  type: PayloadType.SA,
  doi: Doi.IPSEC,
  situation: IpsecSituation.IDENTITY_ONLY,
  proposals: [
    {
      number: 1,
      protocol: ProtocolId.ISAKMP,
      spi: Buffer.alloc(0),
      transforms: [0, 1].map((number) => ({
        number,
        id: IkeTransformId.KEY_IKE,
        attributes: [
          tvAttribute(IkeAttribute.ENCRYPTION_ALGORITHM, IkeEncryption.AES_CBC),
          tvAttribute(IkeAttribute.KEY_LENGTH, 256),
          tvAttribute(IkeAttribute.HASH_ALGORITHM, IkeHash.SHA),
          tvAttribute(IkeAttribute.GROUP_DESCRIPTION, 2),
          tvAttribute(IkeAttribute.AUTHENTICATION_METHOD, number === 0 ? IkeAuthMethod.XAUTHInitPreShared : IkeAuthMethod.PRESHARED_KEY),
          tvAttribute(IkeAttribute.LIFE_TYPE, LifeType.SECONDS),
          u32Attribute(IkeAttribute.LIFE_DURATION, 2147483),
        ],
      })),
    },
  ],
};

const quickMode: SaPayload = {
  type: PayloadType.SA,
  doi: Doi.IPSEC,
  situation: IpsecSituation.IDENTITY_ONLY,
  proposals: [EspTransformId.AES, EspTransformId['3DES']].map((id, i) => ({
    number: i + 1,
    protocol: ProtocolId.IPSEC_ESP,
    spi: Buffer.from('c0ffee01', 'hex'),
    transforms: [
      {
        number: 1,
        id,
        attributes: [
          tvAttribute(IpsecAttribute.ENCAPSULATION_MODE, EncapsulationMode.UDP_TUNNEL_DRAFT),
          tvAttribute(IpsecAttribute.AUTHENTICATION_ALGORITHM, AuthAlgorithm.HMAC_SHA),
        ],
      },
    ],
  })),
};

/** Builds a substructure: generic header (next, reserved, length) + body. */
function sub(next: number, body: string, length?: number): string {
  const b = body.replace(/\s+/g, '');
  const len = length ?? b.length / 2 + 4;
  return next.toString(16).padStart(2, '0') + '00' + len.toString(16).padStart(4, '0') + b;
}

const SIT = '00000001 00000001';
const transform = (next = 0, attrs = '800b0001') => sub(next, `00 01 0000 ${attrs}`);
const proposal = (next: number, count: number, transforms: string, spi = '') =>
  sub(next, `01 01 ${(spi.length / 2).toString(16).padStart(2, '0')} ${count.toString(16).padStart(2, '0')} ${spi} ${transforms}`);

describe('SA payload', () => {
  it('round-trips a phase-1 SA (one proposal, several transforms, TV + TLV attributes)', () => {
    const { bytes, decoded } = roundTrip(phase1);
    expect(bytes.subarray(4, 12).toString('hex')).toBe('0000000100000001');
    if (decoded.type !== PayloadType.SA) throw new Error('not SA');
    expect(decoded.raw?.equals(bytes.subarray(4))).toBe(true);
    // proposal header: last proposal (next 0), length = payload - 12
    expect(bytes[12]).toBe(0);
    expect(bytes.readUInt16BE(14)).toBe(bytes.length - 12);
    // first transform's next is 3, its length covers 8 header bytes + 6 TV + 1 TLV(4)
    expect(bytes[20]).toBe(PayloadType.TRANSFORM);
    expect(bytes.readUInt16BE(22)).toBe(8 + 6 * 4 + 8);
  });

  it('round-trips a quick-mode SA (several ESP proposals with SPIs)', () => {
    const { bytes } = roundTrip(quickMode);
    expect(bytes[12]).toBe(PayloadType.PROPOSAL);
    expect(bytes.subarray(16, 24).toString('hex')).toBe('01030401c0ffee01');
  });

  it('ignores bytes after the last proposal and nonzero reserved fields', () => {
    const bytes = payloadBytes(`${SIT} ${proposal(0, 1, sub(0, '00 01 ffff 800b0001'))} 0000`);
    const [sa] = decodePayloads(PayloadType.SA, bytes);
    if (sa?.type !== PayloadType.SA) throw new Error('not SA');
    expect(sa.proposals[0]?.transforms[0]?.attributes).toEqual([tvAttribute(IkeAttribute.LIFE_TYPE, 1)]);
    expect(sa.raw?.length).toBe(bytes.length - 4);
  });

  it('refuses to encode an SA without proposals or a proposal without transforms', () => {
    expect(() => encodePayloadBody({ ...phase1, proposals: [] })).toThrow(EncodeError);
    expect(() => encodePayloadBody({ ...quickMode, proposals: [{ number: 1, protocol: 3, spi: Buffer.alloc(4), transforms: [] }] })).toThrow(
      'proposal 1 needs 1..255 transforms, has 0',
    );
  });

  describe('negative', () => {
    const cases: [string, string, number, string][] = [
      ['truncated situation', '00000001 0000', MALFORMED, 'SA payload: truncated situation (needs 4 bytes, 2 left)'],
      ['secrecy situation', '00000001 00000002', DecodeNotify.SITUATION_NOT_SUPPORTED, 'SA payload: situation 0x2 (secrecy/integrity) not supported'],
      ['no proposal', SIT, BAD, 'SA payload: no proposal'],
      ['proposal header cut', `${SIT} 0000`, BAD, 'SA payload: truncated proposal header (needs 4 bytes, 2 left)'],
      ['proposal longer than the payload', `${SIT} ${sub(0, '01010001' + '00'.repeat(20), 40)}`, BAD, 'SA payload: proposal length 40 exceeds payload (28 bytes left)'],
      ['proposal shorter than its fixed part', `${SIT} ${sub(0, '0101', 6)}`, BAD, 'SA payload: proposal length 6 below minimum 8'],
      ['proposal next payload not 0 or 2', `${SIT} ${proposal(5, 1, transform())}`, BAD, 'SA payload: proposal next payload 5 is neither 0 nor 2'],
      ['proposal chain announces more', `${SIT} ${proposal(2, 1, transform())}`, BAD, 'SA payload: truncated proposal header (needs 4 bytes, 0 left)'],
      ['SPI size beyond proposal', `${SIT} ${sub(0, '01 03 08 01 c0ffee01')}`, BAD, 'SA payload proposal 1: SPI size 8 exceeds proposal (4 bytes left)'],
      ['fewer transforms than declared', `${SIT} ${proposal(0, 2, transform())}`, BAD, 'SA payload proposal 1: # of transforms 2 but 1 present'],
      ['more transforms than declared', `${SIT} ${proposal(0, 1, transform(3) + transform())}`, BAD, 'SA payload proposal 1: # of transforms 1 but 2 present'],
      ['no transform', `${SIT} ${proposal(0, 0, '')}`, BAD, 'SA payload proposal 1: truncated transform header (needs 4 bytes, 0 left)'],
      ['transform next payload not 0 or 3', `${SIT} ${proposal(0, 2, transform(2) + transform())}`, BAD, 'SA payload proposal 1: transform next payload 2 is neither 0 nor 3'],
      ['transform longer than the proposal', `${SIT} ${proposal(0, 1, sub(0, '00010000', 30))}`, BAD, 'SA payload proposal 1: transform length 30 exceeds proposal (8 bytes left)'],
      ['transform below minimum', `${SIT} ${proposal(0, 1, sub(0, '0001', 6))}`, BAD, 'SA payload proposal 1: transform length 6 below minimum 8'],
      ['attribute length beyond the transform', `${SIT} ${proposal(0, 1, transform(0, '000c 0008 00000001'))}`, MALFORMED, 'SA payload proposal 1 transform 1: attribute 12 length 8 exceeds transform (4 bytes left)'],
      ['attribute cut in its type', `${SIT} ${proposal(0, 1, transform(0, '800b0001 80'))}`, MALFORMED, 'SA payload proposal 1 transform 1: truncated attribute type (needs 2 bytes, 1 left)'],
    ];
    it.each(cases)('%s', (_name, body, notify, message) => {
      expectDecodeError(PayloadType.SA, payloadBytes(body), notify, message);
    });
  });
});
