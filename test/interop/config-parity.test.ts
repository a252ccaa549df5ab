/**
 * Our `vpnc --print-config` against Debian's on the same profiles and command lines, one test per case: the
 * same settings come out (stdout, byte for byte, including vpnc's prompt texts), the same warnings on stderr
 * (with vpnc's program name as the prefix) and the same exit code. Where our stderr differs on purpose, the
 * case says what ours prints and why (README: "Differences from vpnc").
 * Runs as root: each command sees a private /etc (test/helpers/isolated-etc.ts).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { obfuscate } from '../../src/config/obfuscation.js';
import { runWithEtc, type EtcFile } from '../helpers/isolated-etc.js';
import { requireRoot } from '../helpers/netns.js';

const DEBIAN_VPNC = '/usr/sbin/vpnc';
const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];

interface Case {
  name: string;
  args: string[];
  files?: Record<string, EtcFile | string>;
  stdin?: string;
  cwd?: string;
  /** Our stderr where it differs from vpnc's on purpose. */
  ourStderr?: string;
}

const CREDS = 'IPSec gateway 198.51.100.1\nIPSec ID grp\nIPSec secret gs\nXauth username alice\nXauth password pw\n';
const obfSecret = obfuscate('obf-group-secret');
const obfPassword = obfuscate('obf user password!');

const CASES: Case[] = [
  { name: 'profile by name: /etc/vpnc/NAME', args: ['work'], files: { 'vpnc/work': CREDS } },
  { name: 'profile by name: NAME.conf fallback', args: ['work'], files: { 'vpnc/work.conf': CREDS } },
  {
    name: 'NAME wins over NAME.conf',
    args: ['work'],
    files: { 'vpnc/work': CREDS, 'vpnc/work.conf': CREDS.replace('grp', 'other') },
  },
  { name: 'absolute path, .conf fallback', args: ['/etc/profiles/x'], files: { 'profiles/x.conf': CREDS } },
  { name: 'relative path with a slash', args: ['profiles/y'], files: { 'profiles/y': CREDS }, cwd: '' },
  {
    name: 'several files: the first value wins',
    args: ['a', 'b', '--non-inter'],
    files: { 'vpnc/a.conf': 'IPSec ID first\nDebug 1\n', 'vpnc/b.conf': 'IPSec ID second\nIPSec gateway 198.51.100.9\nDebug 3\n' },
  },
  {
    name: 'command line wins over files before and after it',
    args: ['--id', 'cli-id', 'a', '--gateway=203.0.113.7', '--non-inter'],
    files: { 'vpnc/a.conf': 'IPSec ID file-id\nIPSec gateway 198.51.100.1\nLocal Port 0\n' },
  },
  {
    name: 'the last command-line occurrence wins',
    args: ['--dh', 'dh5', '--dh', 'dh14', '--non-inter'],
    files: {},
  },
  {
    name: 'no file: default.conf then /etc/vpnc.conf',
    args: ['--non-inter'],
    files: { 'vpnc/default.conf': 'IPSec ID from-default\nDebug 2\n', 'vpnc.conf': 'IPSec ID from-etc\nIPSec gateway 198.51.100.3\n' },
  },
  { name: 'no file: only /etc/vpnc.conf', args: ['--non-inter'], files: { 'vpnc.conf': CREDS } },
  {
    name: 'a named file suppresses the default files',
    args: ['a', '--non-inter'],
    files: { 'vpnc/a.conf': 'IPSec ID a\n', 'vpnc/default.conf': 'IPSec gateway 198.51.100.1\n' },
  },
  {
    name: 'keys are case-insensitive',
    args: ['k', '--non-inter'],
    files: { 'vpnc/k.conf': 'ipsec GATEWAY 198.51.100.1\nIPSEC id grp\nxauth USERNAME bob\nno detach\nnat traversal mode force-natt\n' },
  },
  {
    name: 'keys must start in column 0; unknown lines are skipped',
    args: ['k', '--non-inter'],
    files: { 'vpnc/k.conf': ' IPSec gateway 198.51.100.1\n\tIPSec ID x\nIPSec ID grp\nFoo bar\nDebugging 3\n' },
  },
  {
    name: 'quotes: one surrounding pair removed, inner quotes kept',
    args: ['q', '--non-inter'],
    files: { 'vpnc/q.conf': 'IPSec ID "my group"\nXauth username "a"b"\nDomain "\nIPSec secret ""quoted""\nXauth password "  spaced  "\n' },
  },
  {
    name: 'CRLF line ends',
    args: ['w', '--non-inter'],
    files: { 'vpnc/w.conf': CREDS.replace(/\n/g, '\r\n') + 'Vendor netscreen\r\n' },
  },
  {
    name: 'tabs and trailing blanks',
    args: ['t', '--non-inter'],
    files: { 'vpnc/t.conf': 'IPSec gateway\t198.51.100.1  \t\nIPSec ID \t grp\t\nXauth username   bob   \n' },
  },
  {
    name: 'comments, blank lines and a missing final newline',
    args: ['c', '--non-inter'],
    files: { 'vpnc/c.conf': '# comment\n\n#IPSec ID no\nIPSec ID yes\n\n\nIPSec gateway 198.51.100.1' },
  },
  {
    name: 'every flag key in a file',
    args: ['f', '--non-inter'],
    files: {
      'vpnc/f.conf':
        'Xauth interactive\nEnable Single DES\nEnable no encryption\nEnable weak authentication\nNo Detach\nNoninteractive\n',
    },
  },
  { name: 'Enable weak encryption also prints its deprecated alias', args: ['f', '--non-inter'], files: { 'vpnc/f.conf': 'Enable weak encryption\n' } },
  {
    name: 'flags match as prefixes (No Detachment)',
    args: ['f', '--non-inter'],
    files: { 'vpnc/f.conf': 'No Detachment\nEnable weak authentication please\n' },
  },
  {
    name: 'every valued key in a file',
    args: ['all', '--non-inter'],
    files: {
      'vpnc/all.conf': [
        CREDS.trimEnd(),
        'Domain CORP',
        'Vendor fortigate',
        'NAT Traversal Mode cisco-udp',
        'Script /usr/local/sbin/my-vpnc-script --flag',
        'IKE DH Group dh14',
        'Perfect Forward Secrecy dh5',
        'Application version My Client 1.0',
        'Interface name vpn0',
        'Interface mode tap',
        'Interface MTU 1380',
        'Debug 2',
        'Pidfile /run/vpnc-work.pid',
        'Local Addr 198.51.100.2',
        'Local Port 0',
        'Cisco UDP Encapsulation Port 10001',
        'DPD idle timeout (our side) 120',
        'IKE Authmode hybrid',
        'CA-File /etc/ssl/certs/ca.pem',
        'CA-Dir /etc/ssl/other',
        'IPSEC target network 203.0.113.0/255.255.255.0',
        'Password helper /usr/bin/true',
        '',
      ].join('\n'),
    },
  },
  {
    name: 'every option on the command line, both forms',
    args: [
      '--gateway', 'gw.example.com', '--id=grp', '--secret', 's3', '--username=u', '--password', 'p',
      '--domain', 'D', '--xauth-inter', '--vendor=netscreen', '--natt-mode', 'none', '--script=/bin/true',
      '--dh', 'dh5', '--pfs=nopfs', '--enable-1des', '--enable-no-encryption', '--enable-weak-authentication',
      '--application-version', 'X 1', '--ifname=tun7', '--ifmode', 'tun', '--ifmtu=1400', '--debug', '1',
      '--no-detach', '--pid-file=', '--local-addr', '0.0.0.0', '--local-port=4500', '--udp-port', '0',
      '--dpd-idle=0', '--non-inter', '--auth-mode', 'psk', '--ca-file=/x.pem', '--ca-dir', '/d',
      '--target-network=198.51.100.0/24', '--password-helper', '/bin/echo',
    ],
    files: {},
  },
  {
    name: 'obfuscated secret and password are printed in clear',
    args: ['o', '--non-inter'],
    files: {
      'vpnc/o.conf': `IPSec gateway 198.51.100.1\nIPSec ID grp\nIPSec obfuscated secret ${obfSecret}\nXauth username u\nXauth obfuscated password ${obfPassword}\n`,
    },
  },
  {
    name: 'a clear secret wins over an obfuscated one',
    args: ['o', '--non-inter'],
    files: { 'vpnc/o.conf': `IPSec obfuscated secret ${obfSecret}\nIPSec secret clear\n` },
  },
  {
    name: 'values with edge blanks or wrapping quotes are quoted on output',
    args: ['--id', ' lead', '--domain', 'trail\t', '--username', '"wrapped"', '--application-version', 'in"side', '--non-inter'],
    files: {},
  },
  {
    name: 'stdin profile ended by Ctrl-D, then answers to the prompts (NetworkManager-vpnc)',
    args: ['--no-detach', '-'],
    stdin: 'IPSec gateway 198.51.100.1\nIPSec ID grp\nXauth username bob\n\x04\ngroup-secret\nuser-pass\n',
  },
  {
    name: 'stdin profile ended by EOF with everything set',
    args: ['-'],
    stdin: CREDS + 'Debug 1\n',
  },
  {
    name: 'all five values prompted, in order',
    args: [],
    files: {},
    stdin: '198.51.100.1\nmygroup\nmysecret\nme\nmypass\n',
  },
  {
    name: 'Xauth interactive skips the password prompt',
    args: ['--xauth-inter'],
    files: { 'vpnc/default.conf': 'IPSec gateway 198.51.100.1\nIPSec ID g\nIPSec secret s\n' },
    stdin: 'bob\n',
  },
  {
    name: 'the password helper answers the secret prompts',
    args: ['--password-helper', '/etc/helper.sh', 'h'],
    files: {
      'vpnc/h.conf': 'IPSec gateway 198.51.100.1\nIPSec ID g\nXauth username u\n',
      'helper.sh': { content: '#!/bin/sh\necho "answer-for:$1"\necho second line\n', mode: 0o755 },
    },
  },
  {
    name: 'a Ctrl-D line ends a profile file',
    args: ['d', '--non-inter'],
    files: { 'vpnc/d.conf': 'IPSec ID before\n\x04 rest\nIPSec gateway 198.51.100.1\n' },
  },
  {
    name: 'a key without a value is ignored and a later line sets it',
    args: ['v', '--non-inter'],
    files: { 'vpnc/v.conf': 'IPSec ID\nIPSec ID later\n' },
    // vpnc prints two lines without the line number (and calls the line unknown); ours names file and line once.
    ourStderr: "vpnc: warning: /etc/vpnc/v.conf:1: option 'IPSec ID' requires a value\nvpnc.conf:\n\n",
  },
  {
    name: 'an empty command-line value is not printed',
    args: ['--domain=', '--pid-file', '', '--non-inter'],
    files: {},
  },
];

describe(`vpnc --print-config parity with Debian vpnc (${CASES.length} cases)`, () => {
  for (const c of CASES) {
    it(c.name, () => {
      requireRoot();
      const argv = ['--print-config', ...c.args];
      const opts = { ...(c.stdin !== undefined ? { stdin: c.stdin } : {}), ...(c.cwd !== undefined ? { cwd: c.cwd } : {}) };
      const theirs = runWithEtc([DEBIAN_VPNC, ...argv], c.files ?? {}, opts);
      const ours = runWithEtc([...OURS, ...argv], c.files ?? {}, opts);
      expect(theirs.status, `Debian vpnc failed: ${theirs.stderr}`).toBe(0);
      expect(ours.stdout).toBe(theirs.stdout);
      // vpnc prefixes its messages with argv[0]; ours always says "vpnc".
      const theirStderr = theirs.stderr.replaceAll(`${DEBIAN_VPNC}: `, 'vpnc: ');
      if (c.ourStderr === undefined) expect(ours.stderr).toBe(theirStderr);
      else {
        expect(ours.stderr).toBe(c.ourStderr);
        expect(theirStderr, 'vpnc no longer differs here: drop ourStderr').not.toBe(c.ourStderr);
      }
      expect(ours.status).toBe(theirs.status);
    });
  }
});
