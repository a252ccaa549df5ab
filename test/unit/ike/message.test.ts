import { describe, expect, it } from 'vitest';
import { ExchangeType, IsakmpFlag, NotifyType, PayloadType } from '../../../src/ike/constants.js';
import {
  decodeHeader,
  decodeMessage,
  decodePayloads,
  encodeHeader,
  encodeMessage,
  encodePayloadChain,
  splitMessage,
  type HeaderFields,
} from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { DecodeNotify, EncodeError } from '../../../src/wire/errors.js';
import { cookiePairBytes, copyCookie, type IkeCookie } from '../../../src/wire/sa-ids.js';
import { decodeError } from './codec-helpers.js';

const fields: HeaderFields = {
  initiatorCookie: copyCookie(Buffer.from('0102030405060708', 'hex')),
  responderCookie: copyCookie(Buffer.from('1112131415161718', 'hex')),
  exchangeType: ExchangeType.INFORMATIONAL,
  flags: 0,
  messageId: 0xdeadbeef,
};

const payloads: Payload[] = [
  { type: PayloadType.HASH, data: Buffer.alloc(20, 0xaa) },
  {
    type: PayloadType.NOTIFICATION,
    doi: 1,
    protocol: 1,
    messageType: NotifyType.R_U_THERE,
    spi: cookiePairBytes(fields.initiatorCookie, fields.responderCookie),
    data: Buffer.from('00000005', 'hex'),
  },
];

function expectError(fn: () => unknown, notify: number, message: string): void {
  const err = decodeError(fn);
  expect({ notify: err.notify, message: err.message }).toEqual({ notify, message });
}

describe('ISAKMP header', () => {
  it('encodes and decodes every field', () => {
    const msg = encodeMessage(fields, payloads);
    expect(msg.subarray(16, 28).toString('hex')).toBe(`08100500deadbeef${msg.length.toString(16).padStart(8, '0')}`);
    const h = decodeHeader(msg);
    expect(h).toEqual({ ...fields, nextPayload: PayloadType.HASH, version: 0x10, length: msg.length });
    expect(encodeHeader(h).equals(msg.subarray(0, 28))).toBe(true);
  });

  it('refuses major version 2 (IKEv2) and a nonzero minor version', () => {
    const msg = encodeMessage(fields, payloads);
    msg[17] = 0x20;
    expectError(() => decodeHeader(msg), DecodeNotify.INVALID_MAJOR_VERSION, 'ISAKMP header: major version 2 not supported (only 1)');
    msg[17] = 0x00;
    expectError(() => decodeHeader(msg), DecodeNotify.INVALID_MAJOR_VERSION, 'ISAKMP header: major version 0 not supported (only 1)');
    msg[17] = 0x11;
    expectError(() => decodeHeader(msg), DecodeNotify.INVALID_MINOR_VERSION, 'ISAKMP header: minor version 1 not supported (only 0)');
  });

  it('refuses a datagram shorter than a header or a length field below 28', () => {
    const msg = encodeMessage(fields, []);
    expect(msg.length).toBe(28);
    expectError(() => decodeHeader(msg.subarray(0, 27)), DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS, 'ISAKMP header: datagram of 27 bytes is shorter than a header (28)');
    msg.writeUInt32BE(20, 24);
    expectError(() => decodeHeader(msg), DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS, 'ISAKMP header: length 20 is shorter than the header');
  });

  it('refuses cookies that are not 8 bytes', () => {
    // Past the type (a cast): the encoder still checks what it writes.
    expect(() => encodeMessage({ ...fields, initiatorCookie: Buffer.alloc(4) as IkeCookie }, [])).toThrow(EncodeError);
  });
});

describe('length field vs datagram', () => {
  it('refuses a length larger than the datagram', () => {
    const msg = encodeMessage(fields, payloads);
    expectError(
      () => splitMessage(msg.subarray(0, msg.length - 1)),
      DecodeNotify.UNEQUAL_PAYLOAD_LENGTHS,
      `ISAKMP header: length ${msg.length} exceeds datagram (${msg.length - 1} bytes)`,
    );
  });

  it('ignores bytes after the length', () => {
    const msg = encodeMessage(fields, payloads);
    const padded = Buffer.concat([msg, Buffer.from('ffffffff', 'hex')]);
    const { body } = splitMessage(padded);
    expect(body.equals(msg.subarray(28))).toBe(true);
    expect(decodeMessage(padded).payloads).toEqual(payloads);
  });
});

describe('payload chain', () => {
  it('links next-payload fields and round-trips', () => {
    const chain = encodePayloadChain(payloads);
    expect(chain[0]).toBe(PayloadType.NOTIFICATION);
    expect(chain.readUInt16BE(2)).toBe(24);
    expect(chain[24]).toBe(PayloadType.NONE);
    expect(decodePayloads(PayloadType.HASH, chain)).toEqual(payloads);
    expect(decodePayloads(PayloadType.NONE, chain)).toEqual([]);
  });

  it('stops at next payload 0 and ignores padding after it', () => {
    const chain = Buffer.concat([encodePayloadChain(payloads), Buffer.from('00000000000007', 'hex')]);
    expect(decodePayloads(PayloadType.HASH, chain)).toEqual(payloads);
  });

  it('refuses a payload length below 4 or beyond the message', () => {
    const chain = encodePayloadChain(payloads);
    const short = Buffer.from(chain);
    short.writeUInt16BE(3, 2);
    expectError(() => decodePayloads(PayloadType.HASH, short), DecodeNotify.PAYLOAD_MALFORMED, 'message: HASH payload length 3 below minimum 4');
    const long = Buffer.from(chain);
    long.writeUInt16BE(124, 26);
    expectError(
      () => decodePayloads(PayloadType.HASH, long),
      DecodeNotify.PAYLOAD_MALFORMED,
      'message: NOTIFICATION payload length 124 exceeds message (32 bytes left)',
    );
  });

  it('refuses a chain that announces a payload the body does not hold', () => {
    const chain = encodePayloadChain(payloads.slice(0, 1));
    chain[0] = PayloadType.VENDOR_ID;
    expectError(
      () => decodePayloads(PayloadType.HASH, chain),
      DecodeNotify.PAYLOAD_MALFORMED,
      'message: truncated VENDOR_ID payload header (needs 4 bytes, 0 left)',
    );
    expectError(() => decodePayloads(99, Buffer.alloc(0)), DecodeNotify.PAYLOAD_MALFORMED, 'message: truncated payload type 99 payload header (needs 4 bytes, 0 left)');
  });
});

describe('encrypted messages', () => {
  const xor = (b: Buffer) => Buffer.from(b.map((x) => x ^ 0x5a));

  it('lets the caller encrypt the chain and sets E and the final length', () => {
    const padding = Buffer.alloc(4);
    const msg = encodeMessage(fields, payloads, (chain) => xor(Buffer.concat([chain, padding])));
    const h = decodeHeader(msg);
    expect(h.flags & IsakmpFlag.ENCRYPTION).toBe(IsakmpFlag.ENCRYPTION);
    expect(h.length).toBe(msg.length);
    expect(h.nextPayload).toBe(PayloadType.HASH);
    expect(msg.length).toBe(28 + encodePayloadChain(payloads).length + 4);
    expect(decodeMessage(msg, (body) => xor(body)).payloads).toEqual(payloads);
  });

  it('refuses an encrypted message when no decryption is offered', () => {
    const msg = encodeMessage(fields, payloads, (chain) => chain);
    expectError(() => decodeMessage(msg), DecodeNotify.INVALID_FLAGS, 'ISAKMP header: encrypted message where a plaintext one was expected');
  });
});
