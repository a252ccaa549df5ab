/**
 * A growable big-endian writer. Lengths that are only known after the body is written are reserved
 * with {@link Writer.reserveU16} and filled in with {@link Writer.setU16}, the shape of every ISAKMP
 * generic payload header.
 */
import { EncodeError } from './errors.js';

export class Writer {
  private buf: Buffer;
  private pos = 0;

  /** `initial` is only a capacity hint; the buffer grows as needed. */
  constructor(initial = 256) {
    this.buf = Buffer.alloc(Math.max(16, initial));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Writes one byte. */
  u8(v: number): this {
    checkRange(v, 0xff, 'u8');
    this.grow(1);
    this.buf[this.pos++] = v;
    return this;
  }

  /** Writes a big-endian 16-bit number. */
  u16(v: number): this {
    checkRange(v, 0xffff, 'u16');
    this.grow(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  /** Writes a big-endian 32-bit number. */
  u32(v: number): this {
    checkRange(v, 0xffffffff, 'u32');
    this.grow(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** Copies bytes in. */
  bytes(b: Uint8Array): this {
    this.grow(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** Writes `n` zero bytes (reserved fields). */
  zeros(n: number): this {
    this.grow(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
    return this;
  }

  /** Reserves a 16-bit field (written as zero) and returns its offset for {@link setU16}. */
  reserveU16(): number {
    const at = this.pos;
    this.u16(0);
    return at;
  }

  /** Overwrites a 16-bit field written earlier (a reserved length). */
  setU16(at: number, v: number): void {
    checkRange(v, 0xffff, 'u16');
    if (at < 0 || at + 2 > this.pos) throw new EncodeError(`setU16 at ${at} is outside the ${this.pos} bytes written`);
    this.buf.writeUInt16BE(v, at);
  }

  /** Returns the bytes written, as one Buffer of exactly that size (a copy; the writer may be reused). */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  private grow(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

function checkRange(v: number, max: number, what: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) throw new EncodeError(`${what} value ${v} out of range 0..${max}`);
}
