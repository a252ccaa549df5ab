/**
 * Values a hostile gateway likes to send: boundary numbers, known type codes in the wrong place, and byte
 * strings of awkward lengths and contents (empty, one byte, huge, NUL, newlines, shell syntax, invalid UTF-8).
 */
import { CfgAttribute, IkeAttribute, IpsecAttribute, NotifyType, PayloadType, VendorId } from '../../ike/constants.js';
import type { Prng } from './prng.js';

const numbers = (table: Record<string, number>): number[] => Object.values(table);

/** Mode config and XAUTH attribute types, plus a few nobody defines. */
export const CFG_TYPES: readonly number[] = [...numbers(CfgAttribute), 0, 16, 0x7fff, 0x7011, 16530];
/** Phase-1 and phase-2 SA attribute types. */
export const SA_ATTRIBUTE_TYPES: readonly number[] = [...new Set([...numbers(IkeAttribute), ...numbers(IpsecAttribute), 0, 17, 0x7fff, 16384])];
/** Notify message types. */
export const NOTIFY_TYPES: readonly number[] = [...numbers(NotifyType), 0, 31, 8192, 16383, 65535];
/** Payload types for a payload's header (0 would end the chain). */
export const PAYLOAD_TYPES: readonly number[] = [...numbers(PayloadType).filter((t) => t !== 0), 22, 99, 128, 200, 255];
/** Vendor IDs the client knows. */
export const VENDOR_IDS: readonly Buffer[] = Object.values(VendorId);

/** A number of `bytes` bytes near a boundary or near `old`. */
export function interestingNumber(rng: Prng, bytes: number, old: number): number {
  const max = bytes >= 4 ? 0xffffffff : (1 << (bytes * 8)) - 1;
  const pick = rng.below(8);
  switch (pick) {
    case 0:
      return 0;
    case 1:
      return 1;
    case 2:
      return max;
    case 3:
      return (old + 1) % (max + 1);
    case 4:
      return old === 0 ? max : old - 1;
    case 5:
      return (old ^ (1 << rng.below(bytes * 8))) >>> 0;
    case 6:
      return bytes >= 2 ? (max >>> 1) + 1 : 0x80;
    default:
      return rng.u32() % (max + 1);
  }
}

/** Writes `value` big-endian into `bytes` bytes at `off` of `buf` (1, 2 or 4; larger sizes: the last 4). */
export function writeNumber(buf: Buffer, off: number, bytes: number, value: number): void {
  if (bytes === 1) buf.writeUInt8(value & 0xff, off);
  else if (bytes === 2) buf.writeUInt16BE(value & 0xffff, off);
  else buf.writeUInt32BE(value >>> 0, off + bytes - 4);
}

export function readNumber(buf: Buffer, off: number, bytes: number): number {
  if (bytes === 1) return buf.readUInt8(off);
  if (bytes === 2) return buf.readUInt16BE(off);
  return buf.readUInt32BE(off + bytes - 4);
}

const LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 64, 255, 256, 1000, 3000];
const TEXTS = ['\n', 'a\nb', '\0', 'x\0y', '$(touch /tmp/hostile)', '`id`', "'; exit 1; '", '%s%n%x', '..', '/', ' ', 'é', '\u202e'];

/** A byte string with an awkward length or content; sometimes a mangled copy of `old`. */
export function awkwardBytes(rng: Prng, old: Buffer): Buffer {
  switch (rng.below(7)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return rng.bytes(rng.pick(LENGTHS));
    case 2:
      return Buffer.alloc(rng.pick(LENGTHS), rng.pick([0x00, 0xff, 0x41, 0x0a, 0x80]));
    case 3:
      return Buffer.from(rng.pick(TEXTS), 'utf8');
    case 4:
      return Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80].slice(0, rng.between(1, 7)));
    case 5:
      return old.length > 0 ? old.subarray(0, rng.below(old.length)) : rng.bytes(rng.between(1, 8));
    default:
      return Buffer.concat([old, rng.bytes(rng.between(1, 40))]);
  }
}
