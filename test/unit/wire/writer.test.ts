import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/wire/errors.js';
import { Writer } from '../../../src/wire/writer.js';

describe('Writer', () => {
  it('writes big-endian numbers, bytes and zeros, growing as needed', () => {
    const w = new Writer(1);
    w.u8(1).u16(0x0203).u32(0x04050607).bytes(Buffer.from('0809', 'hex')).zeros(2);
    for (let i = 0; i < 100; i++) w.u8(i);
    const out = w.finish();
    expect(out.subarray(0, 11).toString('hex')).toBe('0102030405060708090000');
    expect(out.length).toBe(111);
    expect(w.length).toBe(111);
    expect(out[110]).toBe(99);
  });

  it('backfills a reserved 16-bit length', () => {
    const w = new Writer();
    w.u8(0xaa);
    const at = w.reserveU16();
    w.bytes(Buffer.alloc(300, 1));
    w.setU16(at, w.length);
    const out = w.finish();
    expect(out.readUInt16BE(1)).toBe(303);
  });

  it('returns a copy from finish', () => {
    const w = new Writer();
    w.u8(1);
    const a = w.finish();
    w.u8(2);
    expect(a.length).toBe(1);
    expect(w.finish().toString('hex')).toBe('0102');
  });

  it('refuses out-of-range values', () => {
    const w = new Writer();
    expect(() => w.u8(256)).toThrow(EncodeError);
    expect(() => w.u16(-1)).toThrow('u16 value -1 out of range 0..65535');
    expect(() => w.u32(2 ** 32)).toThrow(EncodeError);
    expect(() => w.u8(1.5)).toThrow(EncodeError);
    expect(() => w.setU16(10, 1)).toThrow('setU16 at 10 is outside the 0 bytes written');
  });
});
