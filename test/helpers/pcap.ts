/**
 * A tiny libpcap file writer (the classic format: 24-byte global header, 16-byte record headers), enough to
 * hand packets we built to tshark.
 */

/** Link-layer header types (tcpdump.org linktypes). */
export const LinkType = {
  ETHERNET: 1,
  /** Raw IP: each record starts with an IPv4 or IPv6 header. */
  RAW: 101,
} as const;
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

const PCAP_MAGIC = 0xa1b2c3d4;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const SNAPLEN = 65535;

/** One captured packet and its timestamp in microseconds since the epoch. */
export interface PcapRecord {
  readonly data: Buffer;
  readonly timestampUs?: number;
}

/** Encode packets as a pcap file (little-endian, microsecond timestamps). */
export function encodePcap(records: readonly PcapRecord[], linkType: LinkType = LinkType.RAW): Buffer {
  let size = GLOBAL_HEADER_LENGTH;
  for (const r of records) size += RECORD_HEADER_LENGTH + r.data.length;
  const out = Buffer.alloc(size);
  out.writeUInt32LE(PCAP_MAGIC, 0);
  out.writeUInt16LE(2, 4); // version 2.4
  out.writeUInt16LE(4, 6);
  out.writeInt32LE(0, 8); // thiszone
  out.writeUInt32LE(0, 12); // sigfigs
  out.writeUInt32LE(SNAPLEN, 16);
  out.writeUInt32LE(linkType, 20);
  let p = GLOBAL_HEADER_LENGTH;
  records.forEach((r, i) => {
    const ts = r.timestampUs ?? 1_700_000_000_000_000 + i * 1000;
    out.writeUInt32LE(Math.floor(ts / 1e6), p);
    out.writeUInt32LE(ts % 1e6, p + 4);
    out.writeUInt32LE(r.data.length, p + 8);
    out.writeUInt32LE(r.data.length, p + 12);
    r.data.copy(out, p + RECORD_HEADER_LENGTH);
    p += RECORD_HEADER_LENGTH + r.data.length;
  });
  return out;
}
