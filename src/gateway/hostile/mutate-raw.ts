/**
 * Mutations of a datagram as it goes on the wire, after encryption: bits flipped in the body, header fields
 * changed (next payload, version, exchange type, flags, message id, length), the datagram cut or extended, the
 * body replaced by noise, a cookie changed. Nothing is re-hashed: this is what the client meets before it can
 * authenticate anything. Pure given the PRNG.
 */
import { ISAKMP_HEADER_LENGTH } from '../../ike/constants.js';
import type { RawOp } from './plan.js';
import type { Prng } from './prng.js';
import { interestingNumber, readNumber, writeNumber } from './values.js';

const HEADER_FIELDS: ReadonlyArray<readonly [number, number, string]> = [
  [16, 1, 'next payload'],
  [17, 1, 'version'],
  [18, 1, 'exchange type'],
  [19, 1, 'flags'],
  [20, 4, 'message id'],
  [24, 4, 'length'],
];

export function mutateRaw(rng: Prng, op: RawOp, datagram: Buffer): { data: Buffer; what: string } {
  const d = Buffer.from(datagram);
  const bodyLen = d.length - ISAKMP_HEADER_LENGTH;
  switch (op) {
    case 'flip-bit': {
      const n = rng.between(1, 3);
      for (let k = 0; k < n; k++) {
        const at = bodyLen > 0 && rng.chance(0.9) ? ISAKMP_HEADER_LENGTH + rng.below(bodyLen) : rng.below(d.length);
        d[at] = d[at]! ^ (1 << rng.below(8));
      }
      return { data: d, what: `${n} bit(s) flipped` };
    }
    case 'header-field': {
      const [off, size, name] = rng.pick(HEADER_FIELDS);
      const old = readNumber(d, off, size);
      const value = name === 'length' && rng.chance(0.5) ? old + rng.pick([-1, 1, -8, 8, 16, -old + 27]) : interestingNumber(rng, size, old);
      writeNumber(d, off, size, value);
      return { data: d, what: `header ${name} ${old} -> ${value >>> 0}` };
    }
    case 'truncate': {
      const len = rng.chance(0.3) ? rng.below(ISAKMP_HEADER_LENGTH + 1) : rng.between(ISAKMP_HEADER_LENGTH, d.length - 1);
      return { data: d.subarray(0, len), what: `cut to ${len} of ${d.length} bytes` };
    }
    case 'extend': {
      const extra = rng.bytes(rng.pick([1, 3, 8, 16, 64]));
      const out = Buffer.concat([d, extra]);
      const counted = rng.chance(0.5);
      if (counted) out.writeUInt32BE(out.length, 24);
      return { data: out, what: `${extra.length} bytes appended${counted ? ', length field counts them' : ''}` };
    }
    case 'garbage-body': {
      rng.bytes(bodyLen).copy(d, ISAKMP_HEADER_LENGTH);
      return { data: d, what: `body of ${bodyLen} bytes replaced by noise` };
    }
    case 'cookie': {
      const at = rng.below(16);
      d[at] = d[at]! ^ (1 << rng.below(8));
      return { data: d, what: `${at < 8 ? 'initiator' : 'responder'} cookie changed` };
    }
  }
}
