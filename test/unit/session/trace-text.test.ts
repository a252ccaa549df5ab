/**
 * The text the trace produces: one-line packet descriptions for the debug log (never throwing on garbage),
 * Wireshark's table lines for the keys file, the rebuilt outer headers, and the summary.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeIpv4Header } from '../../../src/io/index.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';
import { espSaLine, formatConfigFiles, formatOptionLines, ikev1DecryptionLine, wiresharkEncryptionName, wiresharkIntegrityName } from '../../../src/session/trace/keys-file.js';
import { encodeOuterHeaders, MAX_OUTER_HEADER_LENGTH } from '../../../src/session/trace/outer-headers.js';
import { describeEsp, describeIp, describeIsakmp, hexDump } from '../../../src/session/trace/packet-log.js';
import { formatSummary, TraceCounters } from '../../../src/session/trace/summary.js';
import { icmpEcho, ipv4Packet, saPair, udpIpv4 } from '../esp/fixtures.js';
import { AuthAlgorithm, EspTransformId } from '../../../src/esp/transforms.js';
import { copyCookie, spiFromNumber, type IkeCookie } from '../../../src/wire/sa-ids.js';

const am1 = Buffer.from(readFileSync(new URL('../../vectors/vpnc-am1.hex', import.meta.url), 'utf8').trim(), 'hex');

describe('packet descriptions', () => {
  it('an ISAKMP message in clear: header fields and the payload chain', () => {
    expect(describeIsakmp(am1, 0, am1.length)).toMatch(/^AGGRESSIVE\(4\) msgid 0x00000000 flags 0x00 cookies 0182665aef063836\/0000000000000000 \[SA KE NONCE ID VENDOR_ID( VENDOR_ID)*\]$/);
  });

  it('an encrypted ISAKMP message: only its length', () => {
    const m = Buffer.from(am1.subarray(0, 60));
    m[18] = 6;
    m[19] = 1;
    m.writeUInt32BE(0x1234, 20);
    expect(describeIsakmp(m, 0, m.length)).toBe('TRANSACTION(6) msgid 0x00001234 flags 0x01 cookies 0182665aef063836/0000000000000000 [encrypted, 32 bytes]');
  });

  it('short or malformed ISAKMP: said so, no exception', () => {
    expect(describeIsakmp(am1, 0, 27)).toBe('short ISAKMP datagram (27 bytes)');
    const bad = Buffer.from(am1.subarray(0, 40));
    bad.writeUInt16BE(2, 28 + 2); // first payload length 2
    expect(describeIsakmp(bad, 0, bad.length)).toMatch(/\[SA \.\.\.\]$/);
    const cut = am1.subarray(0, 30);
    expect(describeIsakmp(cut, 0, cut.length)).toMatch(/\[ \.\.\.\]$/);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const b = Buffer.from(bytes);
        for (const f of [describeIsakmp, describeEsp, describeIp, hexDump]) expect(typeof f(b, 0, b.length)).toBe('string');
      }),
    );
  });

  it('inner packets: ICMP echo, UDP ports, IPv6, not IP', () => {
    const ping = ipv4Packet('192.0.2.10', '203.0.113.2', 1, icmpEcho(5, 9, Buffer.alloc(8)));
    expect(describeIp(ping, 0, ping.length)).toBe('IPv4 ICMP 192.0.2.10 > 203.0.113.2, 36 bytes echo request id 5 seq 9');
    const udp = udpIpv4('192.0.2.10', '203.0.113.53', 5353, 53, Buffer.alloc(4));
    expect(describeIp(udp, 0, udp.length)).toBe('IPv4 UDP 192.0.2.10 > 203.0.113.53, 32 bytes ports 5353 > 53');
    expect(describeIp(Buffer.from([0x60, 0, 0, 0]), 0, 4)).toBe('IPv6, 4 bytes');
    expect(describeIp(Buffer.from([0x45, 0]), 0, 2)).toBe('not an IP packet (2 bytes)');
    expect(describeEsp(Buffer.from('0000123400000007aa', 'hex'), 0, 9)).toBe('SPI 0x00001234 seq 7, 9 bytes');
    expect(describeEsp(Buffer.alloc(7), 0, 7)).toBe('short ESP packet (7 bytes)');
  });

  it('hex dumps 16 bytes a line with offsets', () => {
    expect(hexDump(Buffer.from([...Array(18).keys()]), 0, 18)).toBe('  0000: 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n  0010: 10 11');
  });
});

describe('Wireshark key tables', () => {
  const combo = { transformId: EspTransformId.AES_GCM_16, keyBits: 128, auth: AuthAlgorithm.NONE };

  it('an ESP SA line: AES-GCM key with its salt, no integrity key', () => {
    const { tx } = saPair(combo, 0xabc);
    const line = espSaLine(tx, '198.51.100.2', '198.51.100.1');
    expect(line).toBe(`"IPv4","198.51.100.2","198.51.100.1","0x00000abc","AES-GCM with 16 octet ICV [RFC4106]","0x${tx.keys.encryption.toString('hex')}${tx.keys.salt.toString('hex')}","NULL",""`);
  });

  it('the IKEv1 line: cookie and key unquoted; a cookie of the wrong size is refused', () => {
    expect(ikev1DecryptionLine(copyCookie(Buffer.from('0102030405060708', 'hex')), Buffer.from('aabb', 'hex'))).toBe('0102030405060708,aabb');
    expect(() => ikev1DecryptionLine(Buffer.alloc(7) as IkeCookie, Buffer.alloc(16))).toThrow(/8 bytes/);
  });

  it('names every suite we negotiate, and refuses ones Wireshark cannot decrypt', () => {
    expect(wiresharkEncryptionName({ cipher: 'des-ede3-cbc', hash: 'md5', icvLength: 12, name: 'x' })).toBe('TripleDES-CBC [RFC2451]');
    expect(wiresharkIntegrityName({ cipher: 'aes-cbc', hash: 'sha256', icvLength: 16, name: 'x' })).toBe('HMAC-SHA-256-128 [RFC4868]');
    expect(() => wiresharkEncryptionName({ cipher: 'aes-gcm', hash: null, icvLength: 10, name: 'odd' })).toThrow(/odd/);
  });

  it('both file forms', () => {
    const t = { ikev1: ['01,02'], esp: ['"IPv4",...'] };
    expect(formatOptionLines(t).split('\n').filter((l) => !l.startsWith('#'))).toEqual(['esp.enable_encryption_decode:TRUE', 'uat:ikev1_decryption_table:01,02', 'uat:esp_sa:"IPv4",...', '']);
    expect(formatConfigFiles(t)).toMatchObject({ ikev1_decryption_table: '01,02\n', esp_sa: '"IPv4",...\n' });
    expect(formatConfigFiles({ ikev1: [], esp: [] }).esp_sa).toBe('');
  });
});

describe('outer headers', () => {
  it('IPv4 + UDP with the real addresses and ports, a valid IP checksum', () => {
    const out = Buffer.alloc(MAX_OUTER_HEADER_LENGTH);
    const n = encodeOuterHeaders(out, true, { address: parseIpv4('198.51.100.2'), port: 4500 }, { address: parseIpv4('198.51.100.1'), port: 4500 }, 100);
    expect(n).toBe(28);
    const h = decodeIpv4Header(Buffer.concat([out, Buffer.alloc(100)]), 0, 128);
    expect(h).toMatchObject({ protocol: 17, totalLength: 128 });
    expect(out.readUInt16BE(20)).toBe(4500);
    expect(out.readUInt16BE(24)).toBe(108);
  });

  it('IPv4 protocol 50 for raw ESP; refuses a packet over 65535 bytes', () => {
    const out = Buffer.alloc(MAX_OUTER_HEADER_LENGTH);
    expect(encodeOuterHeaders(out, false, { address: 1, port: 0 }, { address: 2, port: 0 }, 10)).toBe(20);
    expect(out[9]).toBe(50);
    expect(() => encodeOuterHeaders(out, true, { address: 1, port: 1 }, { address: 2, port: 2 }, 65_510)).toThrow(/exceeds 65535/);
  });
});

describe('summary', () => {
  it('per SA with drops by reason, and drops outside our SAs', () => {
    const c = new TraceCounters();
    const ours = spiFromNumber(0x10);
    const stranger = spiFromNumber(0x99);
    c.addSa(ours, 'in', 'AES-CBC-128/HMAC-SHA1-96');
    c.addSa(spiFromNumber(0x20), 'out', 'AES-CBC-128/HMAC-SHA1-96');
    c.passed(ours, 100);
    c.passed(ours, 50);
    c.passed(stranger, 1000); // not ours: ignored
    c.dropped('in', 'bad ICV', ours);
    c.dropped('in', 'bad ICV', ours);
    c.dropped('in', 'unknown SPI 0x00000099', stranger);
    c.ikeSent = 3;
    expect(formatSummary(c, 9)).toEqual([
      '9 packets written; IKE datagrams: 3 sent, 0 received',
      'ESP SA 0x00000010 inbound  (AES-CBC-128/HMAC-SHA1-96): 2 packets, 150 bytes; dropped: bad ICV 2',
      'ESP SA 0x00000020 outbound (AES-CBC-128/HMAC-SHA1-96): 0 packets, 0 bytes; no drops',
      'outside our SAs: dropped: in: unknown SPI 0x00000099 1',
    ]);
  });
});
