/**
 * ISAKMP structures as the hostile mode handles them: raw, so that anything can be made of them, including
 * what no codec would write. A payload chain is a list of (type, body); attribute lists are (type, TV?, value);
 * an SA payload is DOI, situation and proposals of transforms. Splitting refuses what does not parse
 * (undefined); joining always writes consistent lengths (the mutations break them on purpose afterwards).
 */
import { PayloadType } from '../../ike/constants.js';

export interface RawPayload {
  readonly type: number;
  readonly body: Buffer;
}

/** The payloads of a plaintext chain (the padding after the last one is ignored); undefined when malformed. */
export function splitChain(firstType: number, plain: Buffer): RawPayload[] | undefined {
  const out: RawPayload[] = [];
  let off = 0;
  for (let type = firstType; type !== PayloadType.NONE; ) {
    if (off + 4 > plain.length) return undefined;
    const next = plain[off]!;
    const len = plain.readUInt16BE(off + 2);
    if (len < 4 || off + len > plain.length) return undefined;
    out.push({ type, body: Buffer.from(plain.subarray(off + 4, off + len)) });
    off += len;
    type = next;
  }
  return out;
}

/** The chain's bytes and where each payload's generic header starts. */
export function joinChain(payloads: readonly RawPayload[]): { chain: Buffer; offsets: number[] } {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let off = 0;
  payloads.forEach((p, i) => {
    const h = Buffer.alloc(4);
    h[0] = payloads[i + 1]?.type ?? PayloadType.NONE;
    h.writeUInt16BE(Math.min(0xffff, p.body.length + 4), 2);
    offsets.push(off);
    parts.push(h, p.body);
    off += 4 + p.body.length;
  });
  return { chain: Buffer.concat(parts), offsets };
}

export interface RawAttribute {
  readonly type: number;
  /** TV form (AF bit set): a 2-byte value in the header. */
  readonly tv: boolean;
  readonly value: Buffer;
}

/** A data attribute list (RFC 2408 3.3, mode config alike); undefined when malformed. */
export function splitAttributes(buf: Buffer): RawAttribute[] | undefined {
  const out: RawAttribute[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) return undefined;
    const t = buf.readUInt16BE(off);
    if (t & 0x8000) {
      out.push({ type: t & 0x7fff, tv: true, value: Buffer.from(buf.subarray(off + 2, off + 4)) });
      off += 4;
    } else {
      const len = buf.readUInt16BE(off + 2);
      if (off + 4 + len > buf.length) return undefined;
      out.push({ type: t, tv: false, value: Buffer.from(buf.subarray(off + 4, off + 4 + len)) });
      off += 4 + len;
    }
  }
  return out;
}

/** Encodes attributes; a TV attribute writes exactly two value bytes (padded or cut). */
export function joinAttributes(attrs: readonly RawAttribute[]): Buffer {
  return Buffer.concat(
    attrs.map((a) => {
      const h = Buffer.alloc(4);
      if (a.tv) {
        h.writeUInt16BE(0x8000 | (a.type & 0x7fff), 0);
        Buffer.concat([a.value, Buffer.alloc(2)]).copy(h, 2, 0, 2);
        return h;
      }
      h.writeUInt16BE(a.type & 0x7fff, 0);
      h.writeUInt16BE(Math.min(0xffff, a.value.length), 2);
      return Buffer.concat([h, a.value]);
    }),
  );
}

export interface RawTransform {
  readonly num: number;
  readonly id: number;
  readonly attrs: Buffer;
}

export interface RawProposal {
  readonly num: number;
  readonly protocol: number;
  readonly spi: Buffer;
  readonly transforms: RawTransform[];
}

export interface RawSa {
  /** DOI and situation, 8 bytes as sent. */
  readonly head: Buffer;
  readonly proposals: RawProposal[];
}

function splitGeneric(buf: Buffer, min: number): Buffer[] | undefined {
  const out: Buffer[] = [];
  let off = 0;
  for (;;) {
    if (off + 4 > buf.length) return undefined;
    const next = buf[off]!;
    const len = buf.readUInt16BE(off + 2);
    if (len < min || off + len > buf.length) return undefined;
    out.push(buf.subarray(off, off + len));
    off += len;
    if (next === PayloadType.NONE) return off === buf.length ? out : undefined;
  }
}

/** An SA payload body; undefined when it is not a well-formed one. */
export function splitSa(body: Buffer): RawSa | undefined {
  if (body.length < 8 + 8) return undefined;
  const proposals = splitGeneric(body.subarray(8), 8);
  if (!proposals) return undefined;
  const out: RawProposal[] = [];
  for (const p of proposals) {
    const spiSize = p[6]!;
    if (8 + spiSize > p.length) return undefined;
    const transforms = splitGeneric(p.subarray(8 + spiSize), 8);
    if (!transforms) return undefined;
    out.push({
      num: p[4]!,
      protocol: p[5]!,
      spi: Buffer.from(p.subarray(8, 8 + spiSize)),
      transforms: transforms.map((t) => ({ num: t[4]!, id: t[5]!, attrs: Buffer.from(t.subarray(8)) })),
    });
  }
  return { head: Buffer.from(body.subarray(0, 8)), proposals: out };
}

/** Encodes an SA body with consistent lengths and counts. */
export function joinSa(sa: RawSa): Buffer {
  const proposals = sa.proposals.map((p, i) => {
    const transforms = p.transforms.map((t, j) => {
      const h = Buffer.from([j + 1 < p.transforms.length ? PayloadType.TRANSFORM : 0, 0, 0, 0, t.num, t.id, 0, 0]);
      h.writeUInt16BE(Math.min(0xffff, 8 + t.attrs.length), 2);
      return Buffer.concat([h, t.attrs]);
    });
    const body = Buffer.concat([p.spi, ...transforms]);
    const h = Buffer.from([i + 1 < sa.proposals.length ? PayloadType.PROPOSAL : 0, 0, 0, 0, p.num, p.protocol, p.spi.length, p.transforms.length]);
    h.writeUInt16BE(Math.min(0xffff, 8 + body.length), 2);
    return Buffer.concat([h, body]);
  });
  return Buffer.concat([sa.head, ...proposals]);
}
