/**
 * What node:crypto's X509Certificate does not give, read from the certificate's DER with a minimal walk (X.690):
 * the subject as DER (the ID_DER_ASN1_DN identity of RFC 2407 4.6.2.1; X509Certificate gives it only as text) and
 * the signing bits of the keyUsage extension (X509Certificate.keyUsage is the extended key usage).
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
 * validity, subject, ... }, ... }. Throws DecodeError naming what is malformed.
 */
import { DecodeError } from '../wire/errors.js';

interface Tlv {
  readonly tag: number;
  /** Offset of the contents. */
  readonly start: number;
  /** Offset after the contents. */
  readonly end: number;
  /** Offset of the tag (the whole element is [at, end)). */
  readonly at: number;
}

const SEQUENCE = 0x30;
const CONTEXT_0 = 0xa0;

function tlv(der: Uint8Array, at: number, limit: number, what: string): Tlv {
  if (at + 2 > limit) throw new DecodeError(`certificate: ${what} runs past the end`);
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw new DecodeError(`certificate: ${what} has a multi-byte tag`);
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DecodeError(`certificate: ${what} has a length of ${n} bytes`);
    if (start + n > limit) throw new DecodeError(`certificate: ${what} runs past the end`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i]!;
    start += n;
  }
  const end = start + len;
  if (end > limit) throw new DecodeError(`certificate: ${what} runs past the end`);
  return { tag, start, end, at };
}

/** tbsCertificate's fields after the optional explicit version: where they start, where tbsCertificate ends. */
function tbsFields(certDer: Uint8Array): { at: number; end: number } {
  const cert = tlv(certDer, 0, certDer.length, 'Certificate');
  if (cert.tag !== SEQUENCE) throw new DecodeError('certificate: not a DER SEQUENCE');
  const tbs = tlv(certDer, cert.start, cert.end, 'tbsCertificate');
  if (tbs.tag !== SEQUENCE) throw new DecodeError('certificate: tbsCertificate is not a SEQUENCE');
  const version = tlv(certDer, tbs.start, tbs.end, 'version');
  return { at: version.tag === CONTEXT_0 ? version.end : tbs.start, end: tbs.end };
}

/** The DER encoding of the certificate's subject Name. */
export function subjectDer(certDer: Uint8Array): Buffer {
  const tbs = tbsFields(certDer);
  let at = tbs.at;
  // serialNumber, signature, issuer, validity: skipped; then subject.
  for (const what of ['serialNumber', 'signature', 'issuer', 'validity']) at = tlv(certDer, at, tbs.end, what).end;
  const field = tlv(certDer, at, tbs.end, 'subject');
  if (field.tag !== SEQUENCE) throw new DecodeError('certificate: subject is not a SEQUENCE');
  return Buffer.from(certDer.subarray(field.at, field.end));
}

/** What an X.509 keyUsage extension (2.5.29.15) allows for signing (RFC 5280 4.2.1.3: bits 0 and 1). */
export interface SigningUsage {
  readonly digitalSignature: boolean;
  readonly nonRepudiation: boolean;
}

const KEY_USAGE_OID = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0f]);
const CONTEXT_3 = 0xa3;
const OCTET_STRING = 0x04;
const BIT_STRING = 0x03;

/**
 * The signing bits of the certificate's keyUsage extension, or undefined when it has none (then any use is
 * allowed). tbsCertificate continues after the subject with subjectPublicKeyInfo, the optional unique IDs [1]
 * and [2], and extensions [3] EXPLICIT SEQUENCE OF Extension { extnID, critical DEFAULT FALSE, extnValue }.
 */
export function keyUsageOf(certDer: Uint8Array): SigningUsage | undefined {
  const tbs = tbsFields(certDer);
  let at = tbs.at;
  for (const what of ['serialNumber', 'signature', 'issuer', 'validity', 'subject', 'subjectPublicKeyInfo']) at = tlv(certDer, at, tbs.end, what).end;
  while (at < tbs.end) {
    const field = tlv(certDer, at, tbs.end, 'an optional field');
    at = field.end;
    if (field.tag !== CONTEXT_3) continue;
    const list = tlv(certDer, field.start, field.end, 'extensions');
    for (let e = list.start; e < list.end; ) {
      const ext = tlv(certDer, e, list.end, 'an extension');
      e = ext.end;
      const id = tlv(certDer, ext.start, ext.end, 'extnID');
      if (!Buffer.from(certDer.subarray(id.at, id.end)).equals(KEY_USAGE_OID)) continue;
      let next = tlv(certDer, id.end, ext.end, 'extnValue');
      if (next.tag !== OCTET_STRING) next = tlv(certDer, next.end, ext.end, 'extnValue'); // past `critical`
      const bits = tlv(certDer, next.start, next.end, 'keyUsage');
      if (next.tag !== OCTET_STRING || bits.tag !== BIT_STRING || bits.end - bits.start < 1) throw new DecodeError('certificate: keyUsage is not a BIT STRING');
      const first = bits.end - bits.start > 1 ? certDer[bits.start + 1]! : 0;
      return { digitalSignature: (first & 0x80) !== 0, nonRepudiation: (first & 0x40) !== 0 };
    }
  }
  return undefined;
}
