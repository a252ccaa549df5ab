/** Shared test helpers for the IKE codecs. */
import { expect } from 'vitest';
import { decodePayloads, encodePayloadChain } from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { DecodeError } from '../../../src/wire/errors.js';

/**
 * encode -> decode -> encode: the bytes are equal, the generic length covers the payload, and the
 * decoded payload has the same fields (ignoring `raw`).
 */
export function roundTrip(p: Payload): { bytes: Buffer; decoded: Payload } {
  const bytes = encodePayloadChain([p]);
  expect(bytes.readUInt16BE(2)).toBe(bytes.length);
  expect(bytes[0]).toBe(0);
  const decoded = decodePayloads(p.type, bytes);
  expect(decoded).toHaveLength(1);
  expect(encodePayloadChain(decoded).equals(bytes)).toBe(true);
  const { raw: _raw, ...fields } = decoded[0] as Payload & { raw?: Buffer };
  expect(fields).toEqual(p);
  return { bytes, decoded: decoded[0]! };
}

/** Wraps a body in a generic payload header with next payload 0. */
export function payloadBytes(body: Buffer | string, length?: number): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body.replace(/\s+/g, ''), 'hex') : body;
  const h = Buffer.alloc(4);
  h.writeUInt16BE(length ?? b.length + 4, 2);
  return Buffer.concat([h, b]);
}

/** Runs fn and returns the DecodeError it throws (fails the test otherwise). */
export function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error('expected a DecodeError, nothing was thrown');
}

/** Asserts that decoding one payload of `type` from `bytes` throws exactly this notify and message. */
export function expectDecodeError(type: number, bytes: Buffer, notify: number, message: string): void {
  const err = decodeError(() => decodePayloads(type, bytes));
  expect({ notify: err.notify, message: err.message }).toEqual({ notify, message });
}
