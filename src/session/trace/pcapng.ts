/**
 * A pcapng writer (draft-ietf-opsawg-pcapng): one Section Header Block, the Interface Description Blocks
 * declared up front, then Enhanced Packet Blocks with an optional comment (opt_comment) and direction
 * (epb_flags). Little-endian, microsecond timestamps (if_tsresol 6). Pure: bytes are handed to a sink.
 *
 * Block layout (all blocks): type u32 | total length u32 | body | options | total length u32, padded to 4.
 * Options: code u16 | length u16 | value padded to 4, ended by opt_endofopt (0, 0).
 */

/** Link-layer header types (tcpdump.org linktypes) used by the trace. */
export const LinkType = {
  /** Raw IP: each packet starts with an IPv4 or IPv6 header. */
  RAW: 101,
  /** Raw IPv4 only. */
  IPV4: 228,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/** Block types. */
export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  ENHANCED_PACKET: 0x00000006,
} as const;

/** Option codes (opt_* shared by all blocks; shb_*, if_*, epb_* per block type). */
export const OptionCode = {
  END_OF_OPT: 0,
  COMMENT: 1,
  SHB_USERAPPL: 4,
  IF_NAME: 2,
  IF_DESCRIPTION: 3,
  IF_TSRESOL: 9,
  EPB_FLAGS: 2,
} as const;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Largest option value (its length is a u16). */
const MAX_OPTION_LENGTH = 0xffff;
/** Default and largest snapshot length we write. */
export const DEFAULT_SNAP_LENGTH = 262_144;

/** Direction of a packet as epb_flags bits 0-1 encode it. */
export type PacketDirection = 'in' | 'out';

/** One interface of the section. */
export interface InterfaceDescription {
  readonly linkType: LinkType;
  readonly name: string;
  readonly description?: string;
  /** Bytes kept of each packet; default {@link DEFAULT_SNAP_LENGTH}. */
  readonly snapLength?: number;
}

/** One packet: `head` (e.g. a synthesised IP/UDP header) then `data` make up the captured bytes. */
export interface EnhancedPacket {
  readonly interfaceId: number;
  /** Microseconds since the epoch. */
  readonly timestampUs: number;
  readonly data: Uint8Array;
  readonly head?: Uint8Array;
  readonly direction?: PacketDirection;
  readonly comment?: string;
}

const pad4 = (n: number): number => (n + 3) & ~3;

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

function textOption(code: number, text: string): Option {
  const value = Buffer.from(text, 'utf8');
  if (value.length > MAX_OPTION_LENGTH) throw new RangeError(`pcapng option ${code}: ${value.length} bytes is longer than ${MAX_OPTION_LENGTH}`);
  return { code, value };
}

function optionsLength(options: readonly Option[]): number {
  if (options.length === 0) return 0;
  let n = 4; // opt_endofopt
  for (const o of options) n += 4 + pad4(o.value.length);
  return n;
}

function writeOptions(out: Buffer, pos: number, options: readonly Option[]): number {
  if (options.length === 0) return pos;
  for (const o of options) {
    out.writeUInt16LE(o.code, pos);
    out.writeUInt16LE(o.value.length, pos + 2);
    out.set(o.value, pos + 4);
    pos += 4 + pad4(o.value.length);
  }
  out.writeUInt32LE(0, pos); // opt_endofopt
  return pos + 4;
}

/** Allocates a zeroed block of `bodyLength` + options, writes type and both lengths; returns it. */
function block(type: number, bodyLength: number, options: readonly Option[]): { out: Buffer; body: number; opts: number } {
  const total = 12 + pad4(bodyLength) + optionsLength(options);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(type, 0);
  out.writeUInt32LE(total, 4);
  out.writeUInt32LE(total, total - 4);
  return { out, body: 8, opts: 8 + pad4(bodyLength) };
}

/** A Section Header Block of unknown section length, naming the writing application. */
export function encodeSectionHeader(opts: { application?: string; comment?: string } = {}): Buffer {
  const options: Option[] = [];
  if (opts.comment !== undefined) options.push(textOption(OptionCode.COMMENT, opts.comment));
  if (opts.application !== undefined) options.push(textOption(OptionCode.SHB_USERAPPL, opts.application));
  const { out, body, opts: at } = block(BlockType.SECTION_HEADER, 16, options);
  out.writeUInt32LE(BYTE_ORDER_MAGIC, body);
  out.writeUInt16LE(1, body + 4); // major version
  out.writeUInt16LE(0, body + 6); // minor version
  out.writeBigInt64LE(-1n, body + 8); // section length: not given
  writeOptions(out, at, options);
  return out;
}

/** An Interface Description Block with if_name, if_description and if_tsresol (microseconds). */
export function encodeInterfaceDescription(i: InterfaceDescription): Buffer {
  const snap = i.snapLength ?? DEFAULT_SNAP_LENGTH;
  if (!Number.isInteger(snap) || snap < 0 || snap > 0xffffffff) throw new RangeError(`pcapng snap length ${snap} out of range`);
  const options: Option[] = [textOption(OptionCode.IF_NAME, i.name)];
  if (i.description !== undefined) options.push(textOption(OptionCode.IF_DESCRIPTION, i.description));
  options.push({ code: OptionCode.IF_TSRESOL, value: Uint8Array.of(6) });
  const { out, body, opts: at } = block(BlockType.INTERFACE_DESCRIPTION, 8, options);
  out.writeUInt16LE(i.linkType, body);
  out.writeUInt32LE(snap, body + 4);
  writeOptions(out, at, options);
  return out;
}

const DIRECTION_FLAGS: Readonly<Record<PacketDirection, number>> = { in: 1, out: 2 };

/**
 * An Enhanced Packet Block. The captured bytes are `head` then `data`, cut to `snapLength`; the original
 * length is the full one. Throws RangeError on a negative or fractional timestamp or interface id.
 */
export function encodeEnhancedPacket(p: EnhancedPacket, snapLength = DEFAULT_SNAP_LENGTH): Buffer {
  if (!Number.isInteger(p.interfaceId) || p.interfaceId < 0 || p.interfaceId > 0xffffffff) throw new RangeError(`pcapng interface id ${p.interfaceId} out of range`);
  if (!Number.isSafeInteger(p.timestampUs) || p.timestampUs < 0) throw new RangeError(`pcapng timestamp ${p.timestampUs} must be a non-negative integer`);
  const headLength = p.head?.length ?? 0;
  const original = headLength + p.data.length;
  const captured = Math.min(original, snapLength);
  const options: Option[] = [];
  if (p.comment !== undefined) options.push(textOption(OptionCode.COMMENT, p.comment));
  if (p.direction !== undefined) {
    const flags = Buffer.alloc(4);
    flags.writeUInt32LE(DIRECTION_FLAGS[p.direction]);
    options.push({ code: OptionCode.EPB_FLAGS, value: flags });
  }
  const { out, body, opts: at } = block(BlockType.ENHANCED_PACKET, 20 + captured, options);
  out.writeUInt32LE(p.interfaceId, body);
  out.writeUInt32LE(Math.floor(p.timestampUs / 0x1_0000_0000), body + 4);
  out.writeUInt32LE(p.timestampUs % 0x1_0000_0000, body + 8);
  out.writeUInt32LE(captured, body + 12);
  out.writeUInt32LE(original, body + 16);
  const dataAt = body + 20;
  if (p.head) out.set(p.head.subarray(0, captured), dataAt);
  if (captured > headLength) out.set(p.data.subarray(0, captured - headLength), dataAt + headLength);
  writeOptions(out, at, options);
  return out;
}

/**
 * Writes one section: the header and interfaces at construction, then packets. Blocks are collected and
 * handed to `sink` on flush() (or once `flushBytes` are pending), so a caller can write them synchronously
 * to a file without one system call per packet.
 */
export class PcapngWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly snap: readonly number[];

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    readonly interfaces: readonly InterfaceDescription[],
    section: { application?: string; comment?: string } = {},
    private readonly flushBytes = 256 * 1024,
  ) {
    if (interfaces.length === 0) throw new RangeError('pcapng: a section needs at least one interface');
    this.snap = interfaces.map((i) => i.snapLength ?? DEFAULT_SNAP_LENGTH);
    this.push(encodeSectionHeader(section));
    for (const i of interfaces) this.push(encodeInterfaceDescription(i));
  }

  /** Adds a packet on a declared interface; throws RangeError for an undeclared one. */
  packet(p: EnhancedPacket): void {
    const snap = this.snap[p.interfaceId];
    if (snap === undefined) throw new RangeError(`pcapng: interface ${p.interfaceId} not declared (have ${this.snap.length})`);
    this.push(encodeEnhancedPacket(p, snap));
  }

  /** Hands every pending block to the sink. */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.sink(chunk);
  }

  private push(b: Buffer): void {
    this.pending.push(b);
    this.pendingBytes += b.length;
    if (this.pendingBytes >= this.flushBytes) this.flush();
  }
}
