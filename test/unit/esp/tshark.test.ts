/**
 * Cross-check with a real decoder: ESP packets produced by `encapsulate`, wrapped in an outer IPv4 header
 * (protocol 50) and written to a pcap file, must be authenticated and decrypted by tshark's ESP dissector
 * (esp_sa UAT, see /work/shared/reference/wireshark.md), which must then find the inner ICMP / UDP packets.
 * Needs the `tshark` binary (Debian package tshark); no root.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ESP_HEADROOM, EspStatus } from '../../../src/esp/constants.js';
import { createPacketSpan, encapsulate } from '../../../src/esp/packet.js';
import type { EspSa } from '../../../src/esp/sa.js';
import { AuthAlgorithm, EspTransformId } from '../../../src/esp/transforms.js';
import { encodePcap, LinkType, type PcapRecord } from '../../helpers/pcap.js';
import { bufferWith, icmpEcho, ipv4Packet, saPair, udpIpv4, udpIpv6, type Combo } from './fixtures.js';

const OUTER_SRC = '198.51.100.1';
const OUTER_DST = '198.51.100.2';
const INNER_V6_SRC = Buffer.from('20010db8000000000000000000000001', 'hex');
const INNER_V6_DST = Buffer.from('20010db8000000000000000000000002', 'hex');

/** Our transforms under the names of Wireshark's ESP preferences. */
interface TsharkCase {
  readonly combo: Combo;
  readonly encryption: string;
  readonly authentication: string;
}

const CASES: readonly TsharkCase[] = [
  {
    combo: { transformId: EspTransformId.AES, keyBits: 128, auth: AuthAlgorithm.HMAC_SHA },
    encryption: 'AES-CBC [RFC3602]',
    authentication: 'HMAC-SHA-1-96 [RFC2404]',
  },
  {
    combo: { transformId: EspTransformId.AES, keyBits: 256, auth: AuthAlgorithm.HMAC_SHA2_256 },
    encryption: 'AES-CBC [RFC3602]',
    authentication: 'HMAC-SHA-256-128 [RFC4868]',
  },
  {
    combo: { transformId: EspTransformId['3DES'], keyBits: undefined, auth: AuthAlgorithm.HMAC_MD5 },
    encryption: 'TripleDES-CBC [RFC2451]',
    authentication: 'HMAC-MD5-96 [RFC2403]',
  },
  {
    combo: { transformId: EspTransformId.AES_GCM_16, keyBits: 128, auth: AuthAlgorithm.NONE },
    encryption: 'AES-GCM with 16 octet ICV [RFC4106]',
    authentication: 'NULL',
  },
  {
    combo: { transformId: EspTransformId.AES_GCM_16, keyBits: 256, auth: AuthAlgorithm.NONE },
    encryption: 'AES-GCM with 16 octet ICV [RFC4106]',
    authentication: 'NULL',
  },
];

/** One esp_sa UAT line; AES-GCM keys carry the salt at the end, as in KEYMAT. */
function uatLine(c: TsharkCase, sa: EspSa): string {
  const encKey = Buffer.concat([sa.keys.encryption, sa.keys.salt]).toString('hex');
  const authKey = sa.keys.integrity.length > 0 ? `0x${sa.keys.integrity.toString('hex')}` : '';
  const spi = `0x${sa.spi.toString(16).padStart(8, '0')}`;
  return [
    '"IPv4"',
    `"${OUTER_SRC}"`,
    `"${OUTER_DST}"`,
    `"${spi}"`,
    `"${c.encryption}"`,
    `"0x${encKey}"`,
    `"${c.authentication}"`,
    `"${authKey}"`,
  ].join(',');
}

/** Inner packets per SA: an ICMP echo, an IPv4 UDP datagram, an IPv6 UDP datagram (sizes vary padding). */
function innerPackets(index: number): Buffer[] {
  return [
    ipv4Packet('192.0.2.10', '203.0.113.5', 1, icmpEcho(0x4242, index + 1, Buffer.alloc(56 + index, 0x61))),
    udpIpv4('192.0.2.10', '203.0.113.53', 40000 + index, 5300 + index, Buffer.from(`hello ${index}`)),
    udpIpv6(INNER_V6_SRC, INNER_V6_DST, 41000 + index, 6300 + index, Buffer.alloc(13 + index, 0x62)),
  ];
}

function espRecord(sa: EspSa, inner: Buffer, id: number): PcapRecord {
  const buf = bufferWith(inner);
  const span = createPacketSpan();
  expect(encapsulate(sa, buf, ESP_HEADROOM, inner.length, span)).toBe(EspStatus.OK);
  const esp = buf.subarray(span.offset, span.offset + span.length);
  return { data: ipv4Packet(OUTER_SRC, OUTER_DST, 50, Buffer.from(esp), id) };
}

describe('tshark decrypts what encapsulate produces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'esp-tshark-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('authenticates and decodes every packet for AES-CBC+SHA1, AES-CBC+SHA256, 3DES+MD5 and AES-GCM', () => {
    const records: PcapRecord[] = [];
    const uat: string[] = [];
    const expected: string[] = [];
    CASES.forEach((c, i) => {
      const spi = 0x1000 + i;
      const { tx } = saPair(c.combo, spi, `tshark-${i}`);
      uat.push(uatLine(c, tx));
      innerPackets(i).forEach((inner, k) => {
        records.push(espRecord(tx, inner, records.length + 1));
        const kind = ['icmp', 'udp4', 'udp6'][k];
        const port = kind === 'udp4' ? 5300 + i : kind === 'udp6' ? 6300 + i : '';
        expected.push(`${spi}|${k + 1}|${kind === 'icmp' ? `8/${i + 1}` : ''}|${port}`);
      });
    });
    const pcap = join(dir, 'esp.pcap');
    writeFileSync(pcap, encodePcap(records, LinkType.RAW));
    writeFileSync(join(dir, 'esp_sa'), uat.join('\n') + '\n');

    const out = execFileSync(
      'tshark',
      [
        '-n',
        '-r', pcap,
        '-o', 'esp.enable_encryption_decode:TRUE',
        '-o', 'esp.enable_authentication_check:TRUE',
        '-T', 'fields',
        '-E', 'separator=|',
        '-e', 'esp.spi',
        '-e', 'esp.sequence',
        '-e', 'esp.icv_good',
        '-e', 'icmp.type',
        '-e', 'icmp.seq',
        '-e', 'udp.dstport',
        '-e', 'ipv6.dst',
      ],
      { encoding: 'utf8', env: { ...process.env, WIRESHARK_CONFIG_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(records.length);
    const seen = lines.map((line) => {
      const [spi, seq, icvGood, icmpType, icmpSeq, udpPort, v6dst] = line.split('|');
      expect(icvGood, line).toMatch(/^(1|True)$/);
      if (v6dst) expect(v6dst).toBe('2001:db8::2');
      return `${Number(spi)}|${seq}|${icmpType ? `${icmpType}/${icmpSeq}` : ''}|${udpPort}`;
    });
    expect(seen).toEqual(expected);
  });
});
