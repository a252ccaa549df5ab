/**
 * The subject of an X.509 certificate as DER (the ID_DER_ASN1_DN identity of RFC 2407 4.6.2.1), read with a
 * minimal DER walk (X.690): Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
 * serialNumber, signature, issuer, validity, subject, ... }, ... }. node:crypto's X509Certificate gives the
 * subject only as text. Throws DecodeError naming what is malformed.
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

/** The DER encoding of the certificate's subject Name. */
export function subjectDer(certDer: Uint8Array): Buffer {
  const cert = tlv(certDer, 0, certDer.length, 'Certificate');
  if (cert.tag !== SEQUENCE) throw new DecodeError('certificate: not a DER SEQUENCE');
  const tbs = tlv(certDer, cert.start, cert.end, 'tbsCertificate');
  if (tbs.tag !== SEQUENCE) throw new DecodeError('certificate: tbsCertificate is not a SEQUENCE');
  let at = tbs.start;
  let field = tlv(certDer, at, tbs.end, 'version');
  if (field.tag === CONTEXT_0) at = field.end; // explicit version
  // serialNumber, signature, issuer, validity: skipped; then subject.
  for (const what of ['serialNumber', 'signature', 'issuer', 'validity']) at = tlv(certDer, at, tbs.end, what).end;
  field = tlv(certDer, at, tbs.end, 'subject');
  if (field.tag !== SEQUENCE) throw new DecodeError('certificate: subject is not a SEQUENCE');
  return Buffer.from(certDer.subarray(field.at, field.end));
}
