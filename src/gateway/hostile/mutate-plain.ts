/**
 * Mutations of a plaintext payload chain: payloads dropped, repeated, swapped, retyped, inserted, resized or
 * cut, bytes changed, attribute lists and fixed fields mangled. The caller hashes and encrypts the result
 * properly, so the client's parsing code meets malformed but authenticated input. Pure given the PRNG.
 */
import { PayloadType } from '../../ike/constants.js';
import { joinChain, joinSa, splitSa, type RawPayload } from './chain.js';
import { mutateAttributeList } from './mutate-attributes.js';
import { mutateSemantic } from './mutate-semantic.js';
import type { PlainOp } from './plan.js';
import type { Prng } from './prng.js';
import { awkwardBytes, CFG_TYPES, interestingNumber, NOTIFY_TYPES, PAYLOAD_TYPES, readNumber, SA_ATTRIBUTE_TYPES, VENDOR_IDS, writeNumber } from './values.js';

export interface PlainMutation {
  /** The new chain (lengths possibly wrong on purpose). */
  readonly chain: Buffer;
  /** The header's next-payload field. */
  readonly firstType: number;
  readonly what: string;
}

export interface PlainTarget {
  /** Phase 2: payload 0 is the HASH, left in place (mostly) so the message stays authenticated. */
  readonly hashFirst: boolean;
}

/** Fixed fields per payload type: [offset in the body, size, what it is]. */
const FIELDS: Readonly<Record<number, ReadonlyArray<readonly [number, number, string]>>> = {
  [PayloadType.SA]: [[0, 4, 'DOI'], [4, 4, 'situation'], [12, 1, 'proposal number'], [13, 1, 'protocol'], [14, 1, 'SPI size'], [15, 1, 'transform count'], [20, 1, 'transform number'], [21, 1, 'transform id']],
  [PayloadType.ID]: [[0, 1, 'ID type'], [1, 1, 'protocol'], [2, 2, 'port']],
  [PayloadType.NOTIFICATION]: [[0, 4, 'DOI'], [4, 1, 'protocol'], [5, 1, 'SPI size'], [6, 2, 'notify type']],
  [PayloadType.DELETE]: [[0, 4, 'DOI'], [4, 1, 'protocol'], [5, 1, 'SPI size'], [6, 2, 'SPI count']],
  [PayloadType.ATTRIBUTE]: [[0, 1, 'CFG type'], [1, 1, 'reserved'], [2, 2, 'identifier'], [4, 2, 'first attribute type'], [6, 2, 'first attribute length or value']],
};

function randomPayload(rng: Prng): RawPayload {
  switch (rng.below(7)) {
    case 0:
      return { type: PayloadType.VENDOR_ID, body: rng.chance(0.6) ? Buffer.from(rng.pick(VENDOR_IDS)) : rng.bytes(rng.between(0, 40)) };
    case 1: {
      const spi = rng.chance(0.5) ? 0 : 16;
      const body = Buffer.concat([Buffer.from([0, 0, 0, 1, 1, spi]), Buffer.alloc(2 + spi), awkwardBytes(rng, Buffer.alloc(4))]);
      body.writeUInt16BE(rng.pick(NOTIFY_TYPES), 6);
      return { type: PayloadType.NOTIFICATION, body };
    }
    case 2:
      return { type: PayloadType.HASH, body: rng.bytes(rng.pick([0, 16, 20, 32])) };
    case 3:
      return { type: PayloadType.ATTRIBUTE, body: Buffer.concat([Buffer.from([rng.between(0, 5), 0]), rng.bytes(2), rng.bytes(rng.below(4) * 4)]) };
    case 4:
      return { type: PayloadType.DELETE, body: Buffer.concat([Buffer.from([0, 0, 0, 1, rng.between(1, 3), 4, 0, 1]), rng.bytes(4)]) };
    case 5:
      return { type: rng.pick([PayloadType.NAT_D, PayloadType.NAT_D_DRAFT, PayloadType.NONCE, PayloadType.KE]), body: rng.bytes(rng.between(0, 64)) };
    default:
      return { type: rng.pick(PAYLOAD_TYPES), body: rng.bytes(rng.between(0, 24)) };
  }
}

function chooseTarget(rng: Prng, payloads: readonly RawPayload[], t: PlainTarget): number {
  if (payloads.length === 0) return -1;
  if (t.hashFirst) return payloads.length > 1 && !rng.chance(0.08) ? rng.between(1, payloads.length - 1) : 0;
  // AM2: what HASH_R does not cover (our SA answer, vendor IDs, NAT-D) is attacked more often.
  const covered = (p: RawPayload) => p.type === PayloadType.KE || p.type === PayloadType.NONCE || p.type === PayloadType.ID || p.type === PayloadType.HASH;
  return rng.weighted(payloads.map((p, i) => [i, covered(p) ? 1 : 3] as const));
}

function flipBytes(rng: Prng, body: Buffer): { body: Buffer; what: string } {
  if (body.length === 0) return { body: rng.bytes(rng.between(1, 8)), what: 'empty body filled' };
  const out = Buffer.from(body);
  const n = rng.between(1, 4);
  for (let k = 0; k < n; k++) {
    const at = rng.below(out.length);
    out[at] = rng.chance(0.5) ? out[at]! ^ (1 << rng.below(8)) : rng.pick([0x00, 0xff, 0x80, 0x7f, rng.u32() & 0xff]);
  }
  return { body: out, what: `${n} byte(s) changed` };
}

function mutateFields(rng: Prng, p: RawPayload): { body: Buffer; what: string } {
  const fields = (FIELDS[p.type] ?? [[0, 4, 'first bytes']]).filter(([off, size]) => off + size <= p.body.length);
  if (fields.length === 0) return flipBytes(rng, p.body);
  const [off, size, name] = rng.pick(fields);
  const body = Buffer.from(p.body);
  const old = readNumber(body, off, size);
  const value = p.type === PayloadType.NOTIFICATION && off === 6 && rng.chance(0.6) ? rng.pick(NOTIFY_TYPES) : interestingNumber(rng, size, old);
  writeNumber(body, off, size, value);
  return { body, what: `${name} ${old} -> ${value}` };
}

function mutateAttributes(rng: Prng, p: RawPayload): { body: Buffer; what: string } | undefined {
  if (p.type === PayloadType.ATTRIBUTE && p.body.length >= 4) {
    const m = mutateAttributeList(rng, p.body.subarray(4), CFG_TYPES);
    return { body: Buffer.concat([p.body.subarray(0, 4), m.bytes]), what: m.what };
  }
  const sa = p.type === PayloadType.SA ? splitSa(p.body) : undefined;
  const proposal = sa ? rng.pick(sa.proposals) : undefined;
  if (!sa || !proposal || proposal.transforms.length === 0) return undefined;
  const ti = rng.below(proposal.transforms.length);
  const m = mutateAttributeList(rng, proposal.transforms[ti]!.attrs, SA_ATTRIBUTE_TYPES);
  proposal.transforms[ti] = { ...proposal.transforms[ti]!, attrs: m.bytes };
  return { body: joinSa(sa), what: `SA transform ${ti}: ${m.what}` };
}

/** Applies `op` to the chain `payloads` (not modified). */
export function mutatePlain(rng: Prng, op: PlainOp, input: readonly RawPayload[], target: PlainTarget): PlainMutation {
  const payloads = [...input];
  const finish = (what: string, chain?: Buffer): PlainMutation => ({ chain: chain ?? joinChain(payloads).chain, firstType: payloads[0]?.type ?? PayloadType.NONE, what });
  const t = chooseTarget(rng, payloads, target);
  const p = payloads[t];
  const label = p ? `payload ${t} (type ${p.type})` : 'empty chain';
  const minInsert = target.hashFirst && payloads.length > 0 ? 1 : 0;
  if (!p) {
    payloads.push(randomPayload(rng));
    return finish('a payload added to an empty chain');
  }
  switch (op) {
    case 'drop-payload':
      payloads.splice(t, 1);
      return finish(`${label} dropped`);
    case 'duplicate-payload':
      payloads.splice(rng.between(Math.min(minInsert, t + 1), payloads.length), 0, p);
      return finish(`${label} repeated`);
    case 'swap-payloads': {
      const others = payloads.map((_, i) => i).filter((i) => i !== t && (i >= minInsert || payloads.length <= 2));
      if (others.length === 0) return finish(`${label} alone: repeated`, joinChain([...payloads, p]).chain);
      const u = rng.pick(others);
      [payloads[t], payloads[u]] = [payloads[u]!, p];
      return finish(`payloads ${t} and ${u} swapped`);
    }
    case 'retype-payload': {
      const type = rng.pick(PAYLOAD_TYPES.filter((x) => x !== p.type));
      payloads[t] = { type, body: p.body };
      return finish(`${label} retyped to ${type}`);
    }
    case 'insert-payload': {
      const extra = randomPayload(rng);
      payloads.splice(rng.between(minInsert, payloads.length), 0, extra);
      return finish(`payload of type ${extra.type} (${extra.body.length} bytes) inserted`);
    }
    case 'payload-length': {
      const { chain, offsets } = joinChain(payloads);
      const len = interestingNumber(rng, 2, p.body.length + 4);
      chain.writeUInt16BE(len, offsets[t]! + 2);
      return finish(`${label} length field ${len} for ${p.body.length + 4} bytes`, chain);
    }
    case 'truncate-chain': {
      const { chain, offsets } = joinChain(payloads);
      const min = target.hashFirst ? (offsets[1] ?? chain.length) : 0;
      const len = rng.between(min, Math.max(min, chain.length - 1));
      return finish(`chain cut to ${len} of ${chain.length} bytes`, chain.subarray(0, len));
    }
    case 'flip-bytes': {
      const m = flipBytes(rng, p.body);
      payloads[t] = { type: p.type, body: m.body };
      return finish(`${label}: ${m.what}`);
    }
    case 'empty-body':
      payloads[t] = { type: p.type, body: Buffer.alloc(0) };
      return finish(`${label} emptied`);
    case 'grow-body': {
      const extra = rng.chance(0.2) ? rng.bytes(rng.between(500, 3000)) : rng.bytes(rng.between(1, 64));
      payloads[t] = { type: p.type, body: Buffer.concat([p.body, extra]) };
      return finish(`${label} grown by ${extra.length} bytes`);
    }
    case 'attributes': {
      const candidates = payloads.map((_, i) => i).filter((i) => payloads[i]!.type === PayloadType.ATTRIBUTE || payloads[i]!.type === PayloadType.SA);
      const i = candidates.length > 0 ? rng.pick(candidates) : t;
      const m = mutateAttributes(rng, payloads[i]!) ?? mutateFields(rng, payloads[i]!);
      payloads[i] = { type: payloads[i]!.type, body: m.body };
      return finish(`payload ${i} (type ${payloads[i]!.type}): ${m.what}`);
    }
    case 'semantic': {
      const m = mutateSemantic(rng, payloads, minInsert);
      if (m) return { chain: joinChain(m.payloads).chain, firstType: m.payloads[0]?.type ?? PayloadType.NONE, what: m.what };
      const f = mutateFields(rng, p);
      payloads[t] = { type: p.type, body: f.body };
      return finish(`${label}: nothing semantic to change: ${f.what}`);
    }
    case 'fields': {
      const m = mutateFields(rng, p);
      payloads[t] = { type: p.type, body: m.body };
      return finish(`${label}: ${m.what}`);
    }
  }
}
