/**
 * Runs Debian's /usr/bin/pcf2vpnc (Perl, calling /usr/bin/cisco-decrypt) and ours on the same .pcf files and
 * compares stdout, stderr, exit codes and written files. Debian's script prints settings in Perl hash order,
 * which is random per run, so its setting lines are put in our fixed order before comparing; everything
 * else is compared byte for byte. Needs no root and no network, only Debian's `vpnc` package.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Pcf2VpncIo } from '../../src/cli/pcf2vpnc.js';
import { deobfuscateBytes, obfuscateBytes } from '../../src/config/obfuscation.js';
import { convertPcf, VPNC_CONF_HEADER, VPNC_KEYS, XAUTH_HINT } from '../../src/config/pcf.js';
import { certificateComments } from '../../src/config/pcf-certificate.js';

const DEBIAN_PCF2VPNC = '/usr/bin/pcf2vpnc';
const CISCO_DECRYPT = '/usr/bin/cisco-decrypt';
const VECTORS = resolve(import.meta.dirname, '../vectors/pcf');
const LAUNCHER = resolve(import.meta.dirname, '../../bin/pcf2vpnc.js');
const BUILT_CLI = resolve(import.meta.dirname, '../../dist/cli/pcf2vpnc.js');

/** Files both tools must convert identically. */
const SAME_OUTPUT = [
  'plain-psk.pcf', // plain GroupPwd/UserPassword, ! locked fields, AuthType 1, many unknown keys
  'enc-group-crlf.pcf', // enc_GroupPwd, CRLF line ends, DHGroup 5, no Xauth keys (hint)
  'enc-user.pcf', // enc_UserPassword with ISO-8859-1 bytes, shell metacharacters, DHGroup 14
  'hybrid-spaces.pcf', // AuthType 5, spaces kept or stripped, '!!', '=' in a value, no final newline
  'host-only.pcf', // missing keys
  'overrides.pcf', // repeated keys, case-sensitive keys, sections, empty obfuscated password
  'empty.pcf',
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

let work: string;

/** The comment block ours adds for the certificate keys of an AuthType 3 file. */
function certCommentsOf(name: string): string {
  return certificateComments(convertPcf(readFileSync(vector(name), 'latin1')).certificate);
}

function runDebian(args: string[], input?: Buffer): Run {
  const r = spawnSync(DEBIAN_PCF2VPNC, args, { input, env: { ...process.env, PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}

async function runOurs(args: string[], input = Buffer.alloc(0)): Promise<Run> {
  const out: Buffer[] = [];
  let stderr = '';
  const io: Pcf2VpncIo = {
    programName: 'pcf2vpnc',
    readStdin: async () => input,
    writeStdout: async (data) => void out.push(Buffer.from(data)),
    writeStderr: async (text) => void (stderr += text),
  };
  const status = await main(args, io);
  return { status, stdout: Buffer.concat(out).toString('latin1'), stderr };
}

/** Puts the setting lines of a vpnc.conf written by Debian's script in our order (see the file comment). */
function inOurOrder(conf: string): string {
  expect(conf.startsWith(VPNC_CONF_HEADER)).toBe(true);
  const hint = conf.endsWith(XAUTH_HINT) ? XAUTH_HINT : '';
  const body = conf.slice(VPNC_CONF_HEADER.length, conf.length - hint.length);
  // A setting is one line, plus the empty line that follows a value printed by cisco-decrypt.
  const chunks = body.match(/[^\n]*\n\n?/g) ?? [];
  expect(chunks.join('')).toBe(body);
  const rank = (chunk: string): number => {
    const index = VPNC_KEYS.findIndex((key) => chunk.startsWith(`${key} `));
    if (index === -1) throw new Error(`unexpected line in Debian's output: ${JSON.stringify(chunk)}`);
    return index;
  };
  return VPNC_CONF_HEADER + [...chunks].sort((a, b) => rank(a) - rank(b)).join('') + hint;
}

const vector = (name: string): string => join(VECTORS, name);

beforeAll(() => {
  for (const tool of [DEBIAN_PCF2VPNC, CISCO_DECRYPT]) {
    if (!existsSync(tool)) {
      throw new Error(`${tool} is missing: this test compares against Debian's tools (apt-get install -y vpnc)`);
    }
  }
  work = mkdtempSync(join(tmpdir(), 'pcf2vpnc-'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('pcf2vpnc against Debian', () => {
  it.each(SAME_OUTPUT)('converts %s identically', async (name) => {
    const theirs = runDebian([vector(name)]);
    const ours = await runOurs([vector(name)]);
    expect(ours.stdout).toBe(inOurOrder(theirs.stdout));
    expect(ours.stderr).toBe(theirs.stderr);
    expect(ours.status).toBe(theirs.status);
    expect(ours.status).toBe(0);
  });

  it('converts BackupServer (EnableBackup=1) where Debian drops it: the same output plus one "Backup servers" line', async () => {
    const theirs = runDebian([vector('backup-servers.pcf')]);
    const ours = await runOurs([vector('backup-servers.pcf')]);
    expect(theirs.stdout).not.toContain('Backup');
    const line = 'Backup servers vpn2.example.com,192.0.2.7\n';
    expect(ours.stdout).toContain(line);
    expect(ours.stdout.replace(line, '')).toBe(inOurOrder(theirs.stdout));
    expect([ours.stderr, ours.status]).toEqual([theirs.stderr, theirs.status]);
  });

  it('converts cert.pcf (AuthType 3) as Debian does, plus comments on the certificate it names (ours only)', async () => {
    const theirs = runDebian([vector('cert.pcf')]);
    const ours = await runOurs([vector('cert.pcf')]);
    const comments = certCommentsOf('cert.pcf');
    expect(comments).toContain('## "alice@example.org", subject CN=alice from the Cisco client\'s certificate store.\n');
    expect(ours.stdout.endsWith(comments)).toBe(true);
    expect(ours.stdout.slice(0, -comments.length)).toBe(inOurOrder(theirs.stdout));
    expect([ours.stderr, ours.status]).toEqual([theirs.stderr, theirs.status]);
    expect(ours.stderr).toContain("Don't forget to copy the needed certificate(s).");
  });

  it('reads standard input for -', async () => {
    const input = readFileSync(vector('enc-user.pcf'));
    const theirs = runDebian(['-'], input);
    const ours = await runOurs(['-'], input);
    expect(ours.stdout).toBe(inOurOrder(theirs.stdout));
    expect(ours.stdout).toContain('Xauth password p\u00e4sswort\n\n');
    expect([ours.stderr, ours.status]).toEqual([theirs.stderr, theirs.status]);
  });

  it('prints the same usage and exits 0 without arguments', async () => {
    const theirs = runDebian([]);
    const ours = await runOurs([]);
    expect(ours.stderr).toBe(theirs.stderr.replaceAll(DEBIAN_PCF2VPNC, 'pcf2vpnc'));
    expect(ours.stderr).toBe(
      'pcf2vpnc converts VPN-config files from pcf to vpnc-format.\nUsage: pcf2vpnc <pcf file> [vpnc file]\n',
    );
    expect([ours.stdout, ours.status]).toEqual(['', 0]);
    expect([theirs.stdout, theirs.status]).toEqual(['', 0]);
  });

  it('exits with errno 2 for a missing input file, with the same message', async () => {
    const missing = join(work, 'missing.pcf');
    const theirs = runDebian([missing]);
    const ours = await runOurs([missing]);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({ status: 2, stdout: '', stderr: `Unable to open file ${missing}\n` });
  });

  it('exits with errno 2 when the output cannot be opened, with the same message', async () => {
    const out = join(work, 'no-such-dir', 'x.conf');
    const theirs = runDebian([vector('plain-psk.pcf'), out]);
    const ours = await runOurs([vector('plain-psk.pcf'), out]);
    expect(ours).toEqual(theirs);
    expect(ours).toEqual({ status: 2, stdout: '', stderr: `Unable to open file ${out}\n` });
  });

  it('exits with EISDIR (21) for a directory, but prints no empty config (Debian fails at close)', async () => {
    const theirs = runDebian([work]);
    const ours = await runOurs([work]);
    expect(ours.status).toBe(theirs.status);
    expect(ours).toEqual({ status: 21, stdout: '', stderr: `Unable to open file ${work}\n` });
    expect(theirs.stderr).toBe(`Unable to close file ${work}\n`);
  });

  it('writes a file without secrets like Debian (0666 less umask)', async () => {
    const [theirsPath, oursPath] = [join(work, 'cert-debian.conf'), join(work, 'cert-ours.conf')];
    const theirs = runDebian([vector('cert.pcf'), theirsPath]);
    const ours = await runOurs([vector('cert.pcf'), oursPath]);
    expect(readFileSync(oursPath, 'latin1')).toBe(inOurOrder(readFileSync(theirsPath, 'latin1')) + certCommentsOf('cert.pcf'));
    expect(statSync(oursPath).mode).toBe(statSync(theirsPath).mode);
    expect(ours.stderr).toBe(theirs.stderr.replaceAll(theirsPath, oursPath));
    expect(ours.stderr).toMatch(/^vpnc config written to '.*' with permissions '10\d{4}'\.\nPlease take care of permissions\.\n\nDon't forget/);
    expect([ours.stdout, ours.status]).toEqual(['', 0]);
  });

  it('creates a file holding secrets with mode 0600 (Debian: 0666 less umask)', async () => {
    const [theirsPath, oursPath] = [join(work, 'psk-debian.conf'), join(work, 'psk-ours.conf')];
    const theirs = runDebian([vector('enc-group-crlf.pcf'), theirsPath]);
    const ours = await runOurs([vector('enc-group-crlf.pcf'), oursPath]);
    expect(readFileSync(oursPath, 'latin1')).toBe(inOurOrder(readFileSync(theirsPath, 'latin1')));
    expect(statSync(oursPath).mode & 0o7777).toBe(0o600);
    const theirsMode = (statSync(theirsPath).mode & 0o7777).toString(8);
    expect(ours.stderr).toBe(
      theirs.stderr.replaceAll(theirsPath, oursPath).replace(`'100${theirsMode}'`, "'100600'"),
    );
    expect(ours.status).toBe(theirs.status);
  });

  it('takes group and other access away from an existing file it writes secrets to', async () => {
    const path = join(work, 'existing.conf');
    writeFileSync(path, 'old contents that are longer than the new ones '.repeat(20));
    chmodSync(path, 0o644);
    const ours = await runOurs([vector('plain-psk.pcf'), path]);
    expect(statSync(path).mode & 0o7777).toBe(0o600);
    expect(ours.stderr).toBe(`vpnc config written to '${path}' with permissions '100600'.\nPlease take care of permissions.\n`);
    expect(readFileSync(path, 'latin1')).toBe((await runOurs([vector('plain-psk.pcf')])).stdout);
  });
});

describe('where Debian misbehaves, ours differs on purpose', () => {
  it('a corrupt enc_GroupPwd: Debian writes an empty secret, ours warns and leaves it out', async () => {
    const theirs = runDebian([vector('bad-enc.pcf')]);
    const ours = await runOurs([vector('bad-enc.pcf')]);
    expect(theirs.stdout).toContain('IPSec secret \n');
    expect(theirs.stderr).toMatch(/^decrypting input: /);
    expect(ours.stderr).toBe(
      'pcf2vpnc: cannot decrypt enc_GroupPwd on line 4: obfuscated password is corrupt: integrity check (SHA-1) failed\n',
    );
    expect(ours.stdout).toBe(inOurOrder(theirs.stdout.replace('IPSec secret \n', '')));
    expect(ours.status).toBe(0);
  });

  it('an unknown AuthType: Debian writes an empty Authmode, ours warns and leaves it out', async () => {
    const theirs = runDebian([vector('unknown-authtype.pcf')]);
    const ours = await runOurs([vector('unknown-authtype.pcf')]);
    expect(theirs.stdout).toContain('IKE Authmode \n');
    expect(theirs.stderr).toContain('Use of uninitialized value');
    expect(ours.stderr).toBe('pcf2vpnc: unknown AuthType "4" on line 3 ignored (1 = psk, 3 = cert, 5 = hybrid)\n');
    expect(ours.stdout).toBe(inOurOrder(theirs.stdout.replace('IKE Authmode \n', '')));
  });

  it('a decrypted password with a line break: Debian writes an extra directive, ours refuses', async () => {
    const theirs = runDebian([vector('enc-newline.pcf')]);
    const ours = await runOurs([vector('enc-newline.pcf')]);
    expect(theirs.stdout).toMatch(/^Script \/tmp\/evil$/m);
    expect(ours.stdout).not.toContain('Script');
    expect(ours.stdout).not.toContain('IPSec secret');
    expect(ours.stderr).toBe('pcf2vpnc: cannot decrypt enc_GroupPwd on line 4: the password contains a line break\n');
  });
});

describe('deobfuscation against cisco-decrypt', () => {
  it('agrees on random passwords, bytes and salts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), (plain, salt) => {
        const hex = obfuscateBytes(plain, () => salt);
        const r = spawnSync(CISCO_DECRYPT, [hex]);
        expect(r.status).toBe(0);
        expect(r.stdout.equals(Buffer.concat([deobfuscateBytes(hex), Buffer.from('\n')]))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe('the installed launcher', () => {
  it('runs the built CLI with the same result as in-process', async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` first`);
    const r = spawnSync(process.execPath, [LAUNCHER, vector('hybrid-spaces.pcf')]);
    const ours = await runOurs([vector('hybrid-spaces.pcf')]);
    expect(r.stdout.toString('latin1')).toBe(ours.stdout);
    expect(r.stderr.toString('latin1')).toBe(ours.stderr);
    expect(r.status).toBe(0);
    const usage = spawnSync(process.execPath, [LAUNCHER]);
    expect([usage.status, usage.stderr.toString()]).toEqual([0, (await runOurs([])).stderr]);
    const missing = spawnSync(process.execPath, [LAUNCHER, join(work, 'nope.pcf')]);
    expect(missing.status).toBe(2);
  });
});
