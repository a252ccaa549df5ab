/**
 * A bounded cursor over a Buffer. Every read is checked against the end of the region; an overrun throws
 * a {@link DecodeError} naming the structure ("SA payload"), the field and the bytes that were left.
 * Byte strings are returned as `subarray` views, not copies.
 */
import { DecodeError, DecodeNotify } from './errors.js';

/** Describes the region a Reader covers, for error messages. */
export interface ReaderScope {
  /** The structure being decoded, e.g. "SA payload"; it prefixes every message. */
  readonly what: string;
  /** The noun for the region's bound, e.g. "payload" in "exceeds payload (28 bytes left)". */
  readonly bound: string;
  /** Notify used when a fixed-size field runs past the end. Defaults to PAYLOAD_MALFORMED. */
  readonly notify?: DecodeNotify;
}

export class Reader {
  private readonly buf: Buffer;
  private pos: number;
  private readonly end: number;
  private readonly scope: Required<ReaderScope>;

  /** Covers all of `buf`. */
  constructor(buf: Buffer, scope: ReaderScope = { what: 'message', bound: 'message' }) {
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    this.scope = { notify: DecodeNotify.PAYLOAD_MALFORMED, ...scope };
  }

  /** Name of the structure being read, used as the prefix of error messages. */
  get what(): string {
    return this.scope.what;
  }

  /** The noun for this region's bound in messages ("payload", "transform"). */
  get bound(): string {
    return this.scope.bound;
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  /** Reads one byte. */
  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++]!;
  }

  /** Reads a big-endian 16-bit number. */
  u16(field: string): number {
    this.need(2, field);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  /** Reads a big-endian 32-bit number (unsigned). */
  u32(field: string): number {
    this.need(4, field);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Returns the next `n` bytes as a view. */
  bytes(n: number, field: string): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Returns every remaining byte as a view (possibly empty). */
  rest(): Buffer {
    const v = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }

  /** Returns every remaining byte as a view without consuming them. */
  peekRest(): Buffer {
    return this.buf.subarray(this.pos, this.end);
  }

  /** Skips `n` bytes (reserved fields). */
  skip(n: number, field: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /**
   * Splits off the next `n` bytes as a child reader (one payload or substructure body). When `n` is
   * more than what is left, throws "<what>: <field> <n> exceeds <bound> (<left> bytes left)" with
   * `notify` (PAYLOAD_MALFORMED unless given).
   */
  sub(n: number, field: string, child: ReaderScope, notify: DecodeNotify = DecodeNotify.PAYLOAD_MALFORMED): Reader {
    if (!Number.isInteger(n) || n < 0 || n > this.remaining) {
      this.fail(`${field} ${n} exceeds ${this.scope.bound} (${this.remaining} bytes left)`, notify);
    }
    const r = new Reader(this.buf.subarray(this.pos, this.pos + n), child);
    this.pos += n;
    return r;
  }

  /** Throws a DecodeError prefixed with this reader's structure name. */
  fail(message: string, notify: DecodeNotify = this.scope.notify): never {
    throw new DecodeError(`${this.scope.what}: ${message}`, notify);
  }

  private need(n: number, field: string): void {
    // A negative or fractional count would move the cursor backwards or off the bytes: refused like a truncation.
    if (!Number.isInteger(n) || n < 0 || n > this.end - this.pos) {
      this.fail(`truncated ${field} (needs ${n} bytes, ${this.end - this.pos} left)`);
    }
  }
}
