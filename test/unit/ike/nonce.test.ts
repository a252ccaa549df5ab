/** Nonces of 8 to 256 bytes (RFC 2409 5); the hostile campaign found empty ones taken in QM1 and QM2. */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { NotifyType } from '../../../src/ike/constants.js';
import { checkedNonce } from '../../../src/ike/exchanges/nonce.js';
import { thrown } from '../../helpers/thrown.js';

describe('checkedNonce', () => {
  it.each([0, 1, 7, 257, 1000])('refuses %d bytes with PAYLOAD-MALFORMED, naming the message', (n) => {
    const err = thrown(() => checkedNonce(Buffer.alloc(n), 'QM2'));
    expect(err).toBeInstanceOf(ProtocolError);
    expect([err.message, (err as ProtocolError).notify]).toEqual([`QM2: a nonce of ${n} bytes (RFC 2409: 8 to 256)`, NotifyType.PAYLOAD_MALFORMED]);
  });

  it.each([8, 16, 20, 256])('takes %d bytes', (n) => {
    const nonce = Buffer.alloc(n, 1);
    expect(checkedNonce(nonce, 'AM2')).toBe(nonce);
  });
});
