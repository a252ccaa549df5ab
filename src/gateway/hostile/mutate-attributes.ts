/**
 * Mutations of a data attribute list (RFC 2408 3.3 attributes in SA transforms, mode config and XAUTH
 * attributes alike): drop, repeat, reorder, retype, re-value, flip the TV/TLV form, break a length, add some,
 * cut the list short. Pure given the PRNG; returns the new bytes and a few words for the log.
 */
import { joinAttributes, splitAttributes, type RawAttribute } from './chain.js';
import type { Prng } from './prng.js';
import { awkwardBytes, interestingNumber } from './values.js';

export interface Mutated {
  readonly bytes: Buffer;
  readonly what: string;
}

const OPS = ['drop', 'duplicate', 'shuffle', 'type', 'value', 'format', 'length', 'add', 'cut'] as const;

function randomAttribute(rng: Prng, types: readonly number[]): RawAttribute {
  const type = rng.pick(types);
  return rng.chance(0.4)
    ? { type, tv: true, value: rng.bytes(2) }
    : { type, tv: false, value: awkwardBytes(rng, Buffer.alloc(0)) };
}

/** Mutates the attribute list `list`; `types` are the attribute types that belong where it sits. */
export function mutateAttributeList(rng: Prng, list: Buffer, types: readonly number[]): Mutated {
  const attrs = splitAttributes(list);
  if (!attrs || attrs.length === 0) {
    const added = [randomAttribute(rng, types), randomAttribute(rng, types)];
    return { bytes: Buffer.concat([list, joinAttributes(added)]), what: `attributes: ${added.length} added to an unparsed list` };
  }
  const i = rng.below(attrs.length);
  const a = attrs[i]!;
  const op = rng.pick(OPS);
  const name = `attribute ${i} (type ${a.type}${a.tv ? ', TV' : ''})`;
  const out = [...attrs];
  switch (op) {
    case 'drop':
      out.splice(i, 1);
      return { bytes: joinAttributes(out), what: `${name} dropped` };
    case 'duplicate': {
      const copy = rng.chance(0.5) ? a : { ...a, value: a.tv ? rng.bytes(2) : awkwardBytes(rng, a.value) };
      out.splice(rng.below(out.length + 1), 0, copy);
      return { bytes: joinAttributes(out), what: `${name} repeated` };
    }
    case 'shuffle':
      out.reverse();
      if (out.length > 2) out.push(out.shift()!);
      return { bytes: joinAttributes(out), what: 'attribute order changed' };
    case 'type': {
      const type = rng.chance(0.8) ? rng.pick(types) : rng.below(0x8000);
      out[i] = { ...a, type };
      return { bytes: joinAttributes(out), what: `${name} retyped to ${type}` };
    }
    case 'value': {
      if (a.tv) {
        const v = interestingNumber(rng, 2, a.value.readUInt16BE(0));
        out[i] = { ...a, value: Buffer.from([v >> 8, v & 0xff]) };
        return { bytes: joinAttributes(out), what: `${name} value ${v}` };
      }
      const value = awkwardBytes(rng, a.value);
      out[i] = { ...a, value };
      return { bytes: joinAttributes(out), what: `${name} value of ${value.length} bytes` };
    }
    case 'format': {
      // The other form, the bytes left as they are: what was a value becomes a length or the other way round.
      const bytes = joinAttributes(out);
      const at = offsetOf(out, i);
      bytes.writeUInt16BE(bytes.readUInt16BE(at) ^ 0x8000, at);
      return { bytes, what: `${name} AF bit flipped` };
    }
    case 'length': {
      if (a.tv) {
        out[i] = { ...a, tv: false, value: a.value };
        return { bytes: joinAttributes(out), what: `${name} sent as TLV` };
      }
      const bytes = joinAttributes(out);
      const at = offsetOf(out, i);
      const len = interestingNumber(rng, 2, a.value.length);
      bytes.writeUInt16BE(len, at + 2);
      return { bytes, what: `${name} length field ${len} for ${a.value.length} bytes` };
    }
    case 'add': {
      const n = rng.between(1, 6);
      for (let k = 0; k < n; k++) out.splice(rng.below(out.length + 1), 0, randomAttribute(rng, types));
      return { bytes: joinAttributes(out), what: `${n} attributes added` };
    }
    case 'cut': {
      const bytes = joinAttributes(out);
      const len = rng.below(bytes.length);
      return { bytes: bytes.subarray(0, len), what: `attribute list cut to ${len} of ${bytes.length} bytes` };
    }
  }
}

function offsetOf(attrs: readonly RawAttribute[], i: number): number {
  return joinAttributes(attrs.slice(0, i)).length;
}
