/**
 * Property tests: whatever bytes arrive, decoding returns or throws DecodeError, never anything else
 * (no RangeError from Buffer reads, no TypeError, no hang).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PayloadType } from '../../../src/ike/constants.js';
import { decodeMessage, decodePayloads, encodePayloadChain } from '../../../src/ike/message.js';
import { attributeIpv4, attributeNumber, attributeString, type Payload } from '../../../src/ike/payloads/index.js';
import { DecodeError } from '../../../src/wire/errors.js';

const am1 = Buffer.from(readFileSync(new URL('../../vectors/vpnc-am1.hex', import.meta.url), 'utf8').trim(), 'hex');

/** A plaintext informational-style message exercising every codec. */
const everyPayload: Payload[] = [
  { type: PayloadType.HASH, data: Buffer.alloc(20, 1) },
  { type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: 36136, spi: Buffer.alloc(16, 2), data: Buffer.alloc(4) },
  { type: PayloadType.DELETE, doi: 1, protocol: 3, spiSize: 4, spis: [Buffer.alloc(4, 3)] },
  { type: PayloadType.ATTRIBUTE, cfgType: 2, identifier: 7, attributes: [{ type: 1, tv: false, value: Buffer.from([192, 0, 2, 1]) }] },
  { type: PayloadType.CERT, encoding: 4, data: Buffer.alloc(8, 4) },
  { type: PayloadType.CR, encoding: 4, authority: Buffer.alloc(0) },
  { type: PayloadType.NAT_D_DRAFT, hash: Buffer.alloc(20, 5) },
  { type: PayloadType.NAT_OA, idType: 1, address: Buffer.alloc(4, 6) },
  { type: PayloadType.SIG, data: Buffer.alloc(3) },
  { type: 200, body: Buffer.alloc(2) },
];
const chain = encodePayloadChain(everyPayload);
const sampleMessage = Buffer.concat([am1.subarray(0, 28), chain]);
sampleMessage[16] = PayloadType.HASH;
sampleMessage.writeUInt32BE(sampleMessage.length, 24);

/** Decodes and touches every decoded value, as a consumer would. */
function decodeAll(datagram: Buffer): void {
  const { payloads } = decodeMessage(datagram, (body) => body);
  for (const p of payloads) {
    if (p.type === PayloadType.SA) {
      for (const pr of p.proposals) for (const t of pr.transforms) for (const a of t.attributes) safeNumber(a);
    }
    if (p.type === PayloadType.ATTRIBUTE) {
      for (const a of p.attributes) {
        attributeString(a);
        if (a.value.length === 4) attributeIpv4(a);
      }
    }
  }
}

function safeNumber(a: Parameters<typeof attributeNumber>[0]): void {
  try {
    attributeNumber(a);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
  }
}

function returnsOrDecodeError(fn: () => void): boolean {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
  }
  return true;
}

const flip = (base: Buffer) =>
  fc.array(fc.nat({ max: base.length * 8 - 1 }), { minLength: 1, maxLength: 8 }).map((bits) => {
    const b = Buffer.from(base);
    for (const bit of bits) b[bit >> 3]! ^= 1 << (bit & 7);
    return b;
  });

describe('decoding never throws anything but DecodeError', () => {
  it('for arbitrary datagrams', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => returnsOrDecodeError(() => decodeAll(Buffer.from(bytes)))), {
      numRuns: 3000,
    });
  });

  it('for arbitrary bytes after a valid header', () => {
    const header = am1.subarray(0, 28);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat({ max: 255 }), (body, first) => {
        const msg = Buffer.concat([header, Buffer.from(body)]);
        msg[16] = first;
        msg.writeUInt32BE(msg.length, 24);
        return returnsOrDecodeError(() => decodeAll(msg));
      }),
      { numRuns: 3000 },
    );
  });

  it('for bit-flipped vpnc AM1 packets', () => {
    fc.assert(fc.property(flip(am1), (msg) => returnsOrDecodeError(() => decodeAll(msg))), { numRuns: 2000 });
  });

  it('for bit-flipped messages carrying every payload type', () => {
    expect(decodeMessage(sampleMessage).payloads).toEqual(everyPayload);
    fc.assert(fc.property(flip(sampleMessage), (msg) => returnsOrDecodeError(() => decodeAll(msg))), { numRuns: 3000 });
  });

  it('throws DecodeError for every truncation of a valid chain or message', () => {
    for (let n = 0; n < chain.length; n++) {
      expect(() => decodePayloads(PayloadType.HASH, chain.subarray(0, n))).toThrow(DecodeError);
    }
    for (let n = 0; n < am1.length; n++) {
      const cut = Buffer.from(am1.subarray(0, n));
      if (n >= 28) cut.writeUInt32BE(n, 24);
      expect(() => decodeAll(cut)).toThrow(DecodeError);
    }
  });
});
