/**
 * What a .pcf says about the client's certificate (AuthType 3), carried into the vpnc.conf as comments: the Cisco
 * client took the certificate from a store (CertStore: 1 its own, 2 Microsoft's) by name (CertName), possibly
 * from a folder (CertPath), and may have checked the gateway's subject (VerifyCertDN). None of it is a file we
 * can open, so nothing becomes a setting: the comments say which certificate to export and which keys name it
 * (`IPSec certificate`, `CA-File`). Debian's pcf2vpnc writes none of this; vpnc skips comment lines.
 */

/** The certificate keys of a .pcf (values as byte strings, as they were). */
export interface PcfCertificate {
  store?: string;
  name?: string;
  path?: string;
  subject?: string;
  verifyDn?: string;
}

/** .pcf key -> field. */
export const PCF_CERT_KEYS: ReadonlyMap<string, keyof PcfCertificate> = new Map([
  ['CertStore', 'store'],
  ['CertName', 'name'],
  ['CertPath', 'path'],
  ['CertSubjectName', 'subject'],
  ['VerifyCertDN', 'verifyDn'],
]);

const STORES: ReadonlyMap<string, string> = new Map([
  ['0', 'no certificate store'],
  ['1', "the Cisco client's certificate store"],
  ['2', "the Microsoft certificate store"],
]);

/** The comment block for `IKE Authmode cert` (it starts with an empty line; every line is a comment). */
export function certificateComments(cert: PcfCertificate): string {
  const store = cert.store === undefined ? 'a certificate store' : (STORES.get(cert.store.trim()) ?? `certificate store ${cert.store}`);
  const which = [cert.name === undefined ? undefined : `"${cert.name}"`, cert.subject === undefined ? undefined : `subject ${cert.subject}`].filter(Boolean).join(', ');
  const lines = [
    '',
    '## Certificate authentication (AuthType 3). The Cisco client took its certificate',
    `## ${which ? `${which} ` : ''}from ${store}${cert.path === undefined ? '' : ` (CertPath ${cert.path})`}.`,
    '## Export it with its private key (PKCS#12, or PEM files) and name the file(s):',
    '# IPSec certificate /etc/vpnc/client.p12',
    '## (with PEM files whose key is a file of its own, also:)',
    '# IPSec private key /etc/vpnc/client.key',
    "## and the CA that issued the gateway's certificate:",
    '# CA-File /etc/vpnc/ca.pem',
  ];
  if (cert.verifyDn !== undefined) lines.push(`## The Cisco client required the gateway's subject to match: ${cert.verifyDn}`);
  return `${lines.join('\n')}\n`;
}
