/**
 * Known-answer tests: RFC 3602 section 4 (AES-CBC ESP packets) and draft-mcgrew-gcm-test-01 section 4
 * (AES-GCM ESP packets). Both documents print complete ESP packets; we check both directions where our IV
 * policy allows it (CBC: injected IV; GCM: the cipher layer, since encapsulate derives the IV from the
 * sequence number).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OpenResult } from '../../../src/crypto/esp-suite.js';
import { ESP_HEADROOM, EspStatus } from '../../../src/esp/constants.js';
import { createPacketSpan, decapsulate, encapsulate } from '../../../src/esp/packet.js';
import { EspSa } from '../../../src/esp/sa.js';
import { AuthAlgorithm, EspTransformId, resolveEspSuite } from '../../../src/esp/transforms.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { bufferWith, FixedIvSource, hex, inetChecksum } from './fixtures.js';

interface CbcCase {
  name: string;
  mode: 'transport' | 'tunnel';
  key: string;
  spi: number;
  seq: number;
  iv: string;
  outerIpHeader: string;
  esp: string;
  payload: string;
  padLength: number;
  nextHeader: number;
}
interface GcmCase {
  name: string;
  keymat: string;
  spi: number;
  seq: number;
  esp: string;
  text: string;
}

function load<T>(file: string): T[] {
  const url = new URL(`../../vectors/${file}`, import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { cases: T[] }).cases;
}

const cbcCases = load<CbcCase>('esp-rfc3602.json');
const gcmCases = load<GcmCase>('esp-gcm-mcgrew.json');
const AES128_ONLY = resolveEspSuite(EspTransformId.AES, 128, AuthAlgorithm.NONE);

function cbcSa(c: CbcCase): EspSa {
  return new EspSa({
    spi: spiFromNumber(c.spi),
    suite: AES128_ONLY,
    keys: { encryption: hex(c.key), salt: Buffer.alloc(0), integrity: Buffer.alloc(0) },
    ivSource: new FixedIvSource(hex(c.iv)),
  });
}

describe('RFC 3602 section 4: AES-CBC ESP packets', () => {
  it('the vectors are consistent with themselves (outer IP header length and checksum)', () => {
    for (const c of cbcCases) {
      const ip = hex(c.outerIpHeader);
      expect(ip.readUInt16BE(2)).toBe(20 + hex(c.esp).length);
      expect(ip[9]).toBe(50);
      expect(inetChecksum(ip)).toBe(0);
    }
  });

  for (const c of cbcCases) {
    it(`${c.name}: decrypts to the printed payload with padding 1,2,3...`, () => {
      const esp = hex(c.esp);
      const buf = Buffer.from(esp);
      const sa = cbcSa(c);
      const span = createPacketSpan();
      const status = decapsulate(sa, buf, 0, buf.length, span);
      const textOff = 8 + 16;
      const payload = hex(c.payload);
      expect(buf.subarray(textOff, textOff + payload.length).equals(payload)).toBe(true);
      const padding = buf.subarray(textOff + payload.length, textOff + payload.length + c.padLength);
      expect([...padding]).toEqual(Array.from({ length: c.padLength }, (_, i) => i + 1));
      expect(buf[buf.length - 1]).toBe(c.nextHeader);
      if (c.mode === 'tunnel') {
        expect(status).toBe(EspStatus.OK);
        expect(span.offset).toBe(textOff);
        expect(span.length).toBe(payload.length);
        expect(sa.replay.highest).toBe(c.seq);
      } else {
        // Transport mode carries ICMP (next header 1): our tunnel-mode SA must refuse it after decrypting.
        expect(status).toBe(EspStatus.UNKNOWN_NEXT_HEADER);
        expect(sa.counters.drops.unknownNextHeader).toBe(1);
      }
    });
  }

  const tunnel = cbcCases.filter((c) => c.mode === 'tunnel');
  for (const c of tunnel) {
    it(`${c.name}: encapsulate with the printed IV and sequence number gives the printed packet`, () => {
      const sa = cbcSa(c);
      sa.nextSeq = c.seq;
      const payload = hex(c.payload);
      const buf = bufferWith(payload);
      const span = createPacketSpan();
      expect(encapsulate(sa, buf, ESP_HEADROOM, payload.length, span)).toBe(EspStatus.OK);
      expect(buf.subarray(span.offset, span.offset + span.length).toString('hex')).toBe(hex(c.esp).toString('hex'));
    });
  }

  for (const c of cbcCases.filter((x) => x.mode === 'transport')) {
    it(`${c.name}: the cipher layer seals the printed plaintext into the printed packet`, () => {
      const esp = hex(c.esp);
      const buf = Buffer.from(esp.subarray(0, 24)); // SPI, seq, IV
      const payload = hex(c.payload);
      const pad = Buffer.from(Array.from({ length: c.padLength }, (_, i) => i + 1));
      const packet = Buffer.concat([buf, payload, pad, Buffer.from([c.padLength, c.nextHeader])]);
      cbcSa(c).cipher.seal(packet, 0, packet.length - 24);
      expect(packet.toString('hex')).toBe(esp.toString('hex'));
    });
  }
});

describe('draft-mcgrew-gcm-test-01: AES-GCM ESP packets', () => {
  function gcmSa(c: GcmCase): EspSa {
    const keymat = hex(c.keymat);
    const suite = resolveEspSuite(EspTransformId.AES_GCM_16, (keymat.length - 4) * 8, AuthAlgorithm.NONE);
    return EspSa.fromKeymat(spiFromNumber(c.spi), suite, keymat);
  }

  for (const c of gcmCases) {
    it(`${c.name}: the ICV verifies and the text decrypts in place to the printed plaintext`, () => {
      const esp = hex(c.esp);
      expect(esp.readUInt32BE(0)).toBe(c.spi);
      expect(esp.readUInt32BE(4)).toBe(c.seq);
      const buf = Buffer.from(esp);
      const sa = gcmSa(c);
      const status = decapsulate(sa, buf, 0, buf.length, createPacketSpan());
      const text = hex(c.text);
      expect(buf.subarray(16, 16 + text.length).toString('hex')).toBe(text.toString('hex'));
      // These vectors end their trailer with next header 1, which a tunnel-mode SA refuses; what matters is
      // that the drop came after the ICV (not counted as bad ICV) with the plaintext in place.
      expect(text[text.length - 1]).toBe(1);
      expect(status).toBe(EspStatus.UNKNOWN_NEXT_HEADER);
      expect(sa.counters.drops.badIcv).toBe(0);
    });

    it(`${c.name}: sealing the printed plaintext gives the printed packet; one flipped bit fails`, () => {
      const esp = hex(c.esp);
      const text = hex(c.text);
      const packet = Buffer.concat([esp.subarray(0, 16), text, Buffer.alloc(16)]);
      const sa = gcmSa(c);
      sa.cipher.seal(packet, 0, text.length);
      expect(packet.toString('hex')).toBe(esp.toString('hex'));
      packet[20]! ^= 0x80;
      expect(sa.cipher.open(packet, 0, text.length)).toBe(OpenResult.BAD_ICV);
      packet[20]! ^= 0x80;
      expect(sa.cipher.open(packet, 0, text.length)).toBe(OpenResult.OK);
      expect(packet.subarray(16, 16 + text.length).equals(text)).toBe(true);
    });
  }
});
