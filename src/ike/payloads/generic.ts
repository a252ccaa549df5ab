/**
 * The generic payload header (RFC 2408 3.2), also used by proposal and transform substructures:
 *
 *   ! Next Payload  !   RESERVED    !         Payload Length        !
 *
 * The length counts the 4 header bytes. Reserved bytes are ignored on decode and zero on encode.
 */
import { DecodeNotify } from '../../wire/errors.js';
import { Reader, type ReaderScope } from '../../wire/reader.js';
import type { Writer } from '../../wire/writer.js';

/** A decoded generic header and a reader bounded to the body that follows it. */
export interface GenericHeader {
  readonly next: number;
  /** Total length including the header. */
  readonly length: number;
  readonly body: Reader;
}

/**
 * Reads a generic header named `what` ("KE payload", "proposal") from `r` and splits off its body.
 * Throws DecodeError(notify) when the header is truncated, the length is below `minLength` (at least 4)
 * or the length runs past the end of `r`.
 */
export function readGenericHeader(
  r: Reader,
  what: string,
  child: ReaderScope,
  minLength = 4,
  notify: DecodeNotify = DecodeNotify.PAYLOAD_MALFORMED,
): GenericHeader {
  const left = r.remaining;
  if (left < 4) r.fail(`truncated ${what} header (needs 4 bytes, ${left} left)`, notify);
  const next = r.u8(`${what} next payload`);
  r.skip(1, `${what} reserved`);
  const length = r.u16(`${what} length`);
  const min = Math.max(4, minLength);
  if (length < min) r.fail(`${what} length ${length} below minimum ${min}`, notify);
  if (length > left) r.fail(`${what} length ${length} exceeds ${r.bound} (${left} bytes left)`, notify);
  return { next, length, body: r.sub(length - 4, `${what} length`, child, notify) };
}

/** Writes a generic header and the body `writeBody` produces, then backfills the length. */
export function writeGenericHeader(w: Writer, next: number, writeBody: (w: Writer) => void): void {
  const start = w.length;
  w.u8(next).u8(0);
  const at = w.reserveU16();
  writeBody(w);
  w.setU16(at, w.length - start);
}
