/**
 * A small X.509 PKI made with the `openssl` command line in a temp dir, for hybrid authentication tests:
 * a root CA, an intermediate CA under it, a gateway certificate under the intermediate (SAN IP = the bed's
 * gateway address), a gateway certificate straight under the root, and an unrelated CA with its own gateway
 * certificate. RSA 2048, SHA-256, valid from now for ten years (roots: ten days less, so that a date exists at
 * which a root has expired and the certificates under it have not).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One certificate with its key, as files and as bytes. */
export interface Issued {
  readonly certPath: string;
  readonly keyPath: string;
  /** PEM text of the certificate and of its private key (PKCS#8). */
  readonly certPem: string;
  readonly keyPem: string;
  /** The certificate in DER, as a CERT payload carries it. */
  readonly der: Buffer;
  readonly subject: string;
}

/** The test PKI. */
export interface Pki {
  readonly dir: string;
  readonly root: Issued;
  readonly intermediate: Issued;
  /** Gateway certificate issued by the intermediate. */
  readonly gateway: Issued;
  /** Gateway certificate issued by the root directly. */
  readonly gatewayByRoot: Issued;
  /** An unrelated self-signed CA and a gateway certificate it issued. */
  readonly otherRoot: Issued;
  readonly gatewayByOther: Issued;
  /** Removes the temp dir. */
  remove(): void;
}

const CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[v3_client]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
[ca]
default_ca = testca
[testca]
database = index.txt
new_certs_dir = .
serial = serial.txt
default_md = sha256
policy = anything
copy_extensions = none
[anything]
commonName = supplied
organizationName = optional
[v3_gateway]
basicConstraints = CA:FALSE
keyUsage = digitalSignature,keyEncipherment
subjectAltName = IP:198.51.100.1,DNS:gw.example.test
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function issued(dir: string, name: string, subject: string): Issued {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  const certPem = readFileSync(certPath, 'utf8');
  const der = Buffer.from(certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return { certPath, keyPath, certPem, keyPem: readFileSync(keyPath, 'utf8'), der, subject };
}

/** A self-signed CA certificate. */
function makeRoot(dir: string, name: string, subject: string): Issued {
  openssl(dir, ['req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-keyout', `${name}.key`, '-out', `${name}.pem`,
    '-days', '3640', '-subj', subject, '-config', 'pki.cnf', '-extensions', 'v3_ca']);
  return issued(dir, name, subject);
}

/** A certificate signed by `issuer` with the extensions section `ext` (v3_ca or v3_gateway). */
function makeIssued(dir: string, name: string, subject: string, issuer: Issued, ext: 'v3_ca' | 'v3_gateway', serial: number): Issued {
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-config', 'pki.cnf']);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(serial),
    '-sha256', '-days', '3650', '-out', `${name}.pem`, '-extfile', 'pki.cnf', '-extensions', ext]);
  return issued(dir, name, subject);
}

/** Builds the PKI (a few seconds: six RSA keys). */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'vpnc-ts-pki-'));
  writeFileSync(join(dir, 'pki.cnf'), CONFIG);
  const root = makeRoot(dir, 'root', '/O=vpnc-ts test/CN=Test Root CA');
  const intermediate = makeIssued(dir, 'intermediate', '/O=vpnc-ts test/CN=Test Intermediate CA', root, 'v3_ca', 2);
  const gateway = makeIssued(dir, 'gateway', '/O=vpnc-ts test/CN=gw.example.test', intermediate, 'v3_gateway', 3);
  const gatewayByRoot = makeIssued(dir, 'gateway-root', '/O=vpnc-ts test/CN=gw-direct.example.test', root, 'v3_gateway', 4);
  const otherRoot = makeRoot(dir, 'other-root', '/O=Someone Else/CN=Other Root CA');
  const gatewayByOther = makeIssued(dir, 'gateway-other', '/O=Someone Else/CN=gw.other.test', otherRoot, 'v3_gateway', 5);
  return { dir, root, intermediate, gateway, gatewayByRoot, otherRoot, gatewayByOther, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A client certificate (digitalSignature, clientAuth) for `subject` issued by `issuer`, in `pki.dir` as NAME.pem
 * and NAME.key; `expired` makes one valid for a day in 2020 (through `openssl ca`, which can set past dates).
 */
export function issueClientCert(pki: Pki, name: string, subject: string, issuer: Issued, o: { expired?: boolean; extensions?: string } = {}): Issued {
  const dir = pki.dir;
  // Other extensions than v3_client's (e.g. "keyUsage = keyEncipherment"): a section of their own.
  const ext = o.extensions === undefined ? ['-extfile', 'pki.cnf', '-extensions', 'v3_client'] : ['-extfile', `${name}.ext`, '-extensions', 'v3_other'];
  if (o.extensions !== undefined) writeFileSync(join(dir, `${name}.ext`), `[v3_other]\n${o.extensions}\n`);
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject, '-config', 'pki.cnf']);
  if (o.expired) {
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial.txt'), '1000\n');
    openssl(dir, ['ca', '-batch', '-config', 'pki.cnf', '-cert', issuer.certPath, '-keyfile', issuer.keyPath, '-in', `${name}.csr`, '-out', `${name}.pem`,
      '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', ...ext, '-notext']);
  } else {
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(1000 + Math.floor(Math.random() * 1_000_000)),
      '-sha256', '-days', '3650', '-out', `${name}.pem`, ...ext]);
  }
  return issued(dir, name, subject);
}

/** The OpenSSL subject hash of a certificate (`openssl x509 -subject_hash`), for hashed-name CA directories. */
export function subjectHash(certPath: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-subject_hash', '-in', certPath], { encoding: 'utf8' }).trim();
}
