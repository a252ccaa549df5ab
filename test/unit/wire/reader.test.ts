import { describe, expect, it } from 'vitest';
import { VpncError } from '../../../src/errors.js';
import { DecodeError, DecodeNotify } from '../../../src/wire/errors.js';
import { Reader } from '../../../src/wire/reader.js';

const scope = { what: 'SA payload', bound: 'payload' };

function catchDecode(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return err as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

describe('Reader', () => {
  it('reads big-endian numbers and views', () => {
    const buf = Buffer.from('01020304050607080910', 'hex');
    const r = new Reader(buf, scope);
    expect(r.u8('a')).toBe(1);
    expect(r.u16('b')).toBe(0x0203);
    expect(r.u32('c')).toBe(0x04050607);
    expect(r.offset).toBe(7);
    expect(r.remaining).toBe(3);
    const v = r.bytes(2, 'd');
    expect(v.toString('hex')).toBe('0809');
    v[0] = 0xff; // a view, not a copy
    expect(buf[7]).toBe(0xff);
    expect(r.rest().toString('hex')).toBe('10');
    expect(r.remaining).toBe(0);
  });

  it('reads u32 values with the top bit set as unsigned', () => {
    expect(new Reader(Buffer.from('ffffffff', 'hex')).u32('x')).toBe(0xffffffff);
  });

  it('throws DecodeError with the field and bytes left on overrun', () => {
    const r = new Reader(Buffer.from('0102', 'hex'), scope);
    r.u8('first');
    const err = catchDecode(() => r.u32('DOI'));
    expect(err.message).toBe('SA payload: truncated DOI (needs 4 bytes, 1 left)');
    expect(err.notify).toBe(DecodeNotify.PAYLOAD_MALFORMED);
    expect(err.code).toBe('VPNC_ERR_DECODE');
    expect(err).toBeInstanceOf(VpncError);
    expect(err.name).toBe('DecodeError');
  });

  it('bounds child readers and names the overrun', () => {
    const r = new Reader(Buffer.alloc(28), scope);
    const err = catchDecode(() => r.sub(40, 'proposal length', { what: 'proposal', bound: 'proposal' }, DecodeNotify.BAD_PROPOSAL_SYNTAX));
    expect(err.message).toBe('SA payload: proposal length 40 exceeds payload (28 bytes left)');
    expect(err.notify).toBe(DecodeNotify.BAD_PROPOSAL_SYNTAX);
    const child = r.sub(4, 'x', { what: 'child', bound: 'child' });
    expect(r.remaining).toBe(24);
    child.u32('all');
    expect(catchDecode(() => child.u8('more')).message).toBe('child: truncated more (needs 1 bytes, 0 left)');
  });

  it('peeks without consuming and skips', () => {
    const r = new Reader(Buffer.from('aabbcc', 'hex'));
    expect(r.peekRest().toString('hex')).toBe('aabbcc');
    r.skip(2, 'reserved');
    expect(r.peekRest().toString('hex')).toBe('cc');
    expect(catchDecode(() => r.skip(2, 'reserved')).message).toBe('message: truncated reserved (needs 2 bytes, 1 left)');
  });
});
