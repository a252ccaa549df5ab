/**
 * The vpnc command's error paths, end to end: message (one line, naming what is wrong and where) and exit
 * code. Profiles live in a temporary directory that VPNC_SYSCONFDIR points to, so no root is needed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'vpnc.js');
let etc: string;

function vpnc(args: string[], stdin = '') {
  const r = spawnSync('node', [BIN, ...args], { input: stdin, encoding: 'utf8', env: { ...process.env, VPNC_SYSCONFDIR: etc } });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function profile(name: string, text: string, mode = 0o600): string {
  const path = join(etc, 'vpnc', name);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

const CREDS = ['--gateway', '198.51.100.1', '--id', 'g', '--secret', 's', '--username', 'u', '--password', 'p'];

beforeAll(() => {
  etc = mkdtempSync(join(tmpdir(), 'vpnc-cli-'));
  mkdirSync(join(etc, 'vpnc'));
});
afterAll(() => rmSync(etc, { recursive: true, force: true }));

describe('vpnc: bad values exit 1 with one line naming the option and the accepted values', () => {
  const cases: Array<[string[], string]> = [
    [['--natt-mode', 'foo'], 'vpnc: --natt-mode: invalid value "foo" (accepted: natt, none, force-natt, cisco-udp)\n'],
    [['--dh', 'dh3'], 'vpnc: --dh: invalid value "dh3" (accepted: dh1, dh2, dh5, dh14, dh15, dh16, dh17, dh18, dh19, dh20, dh21)\n'],
    [['--ifmtu', '70000'], 'vpnc: --ifmtu: invalid value "70000" (accepted: 0-65535 (0 = automatic))\n'],
    // Regression: a name longer than IFNAMSIZ reached the TUN layer and ended in "internal error: RangeError".
    [['--ifname', 'a'.repeat(16)], `vpnc: --ifname: invalid value "${'a'.repeat(16)}" (accepted: a device name of at most 15 bytes, without blanks or slashes (%d for a number))\n`],
    [['--ifname', 'tun/0'], 'vpnc: --ifname: invalid value "tun/0" (accepted: a device name of at most 15 bytes, without blanks or slashes (%d for a number))\n'],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), () => {
      const r = vpnc([...CREDS, '--non-inter', ...args]);
      expect(r.stderr).toBe(message);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
    });
  }

  it('a bad value in a profile names the file and line, before any prompt', () => {
    const path = profile('bad.conf', 'IPSec gateway 198.51.100.1\nIKE DH Group dh3\n');
    const r = vpnc(['bad']);
    expect(r.stderr).toBe(`vpnc: ${path}:2: IKE DH Group: invalid value "dh3" (accepted: dh1, dh2, dh5, dh14, dh15, dh16, dh17, dh18, dh19, dh20, dh21)\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  });
});

describe('vpnc: profiles', () => {
  it('a missing profile exits 1 naming the paths tried', () => {
    const r = vpnc(['nosuch']);
    expect(r.stderr).toBe(`vpnc: couldn't open profile 'nosuch': no such file (tried ${etc}/vpnc/nosuch or ${etc}/vpnc/nosuch.conf)\n`);
    expect(r.status).toBe(1);
  });

  it('an unknown key warns with file and line and is otherwise ignored', () => {
    const path = profile('unk.conf', 'IPSec ID g\nIPSec gatway 198.51.100.1\n');
    const r = vpnc(['--print-config', '--non-inter', 'unk']);
    expect(r.stderr).toBe(`vpnc: warning: unknown configuration directive in ${path} at line 2\nvpnc.conf:\n\n`);
    expect(r.stdout).toBe('IPSec ID g\nNoninteractive\n');
    expect(r.status).toBe(0);
  });

  it('a profile holding secrets that others can read gets a warning', () => {
    const path = profile('open.conf', 'IPSec secret s\nXauth password p\n', 0o644);
    const r = vpnc(['--print-config', '--non-inter', 'open']);
    expect(r.stderr).toContain(`vpnc: warning: ${path} holds secrets (IPSec secret, Xauth password) but is readable by others (mode 0644); run chmod 600 ${path}\n`);
    expect(r.status).toBe(0);
    profile('closed.conf', 'IPSec secret s\n', 0o600);
    expect(vpnc(['--print-config', '--non-inter', 'closed']).stderr).toBe('vpnc.conf:\n\n');
  });

  it('an obfuscated secret that is not hex exits 1 naming the file and line', () => {
    const path = profile('obf.conf', 'IPSec ID g\nIPSec obfuscated secret zz12\n');
    const r = vpnc(['--non-inter', 'obf']);
    expect(r.stderr).toMatch(new RegExp(`^vpnc: ${path}:2: IPSec obfuscated secret: .*hex.*\\n$`));
    expect(r.status).toBe(1);
  });

  it('an obfuscated secret that is hex but corrupt, too short or of odd length exits 1 naming the file and line', () => {
    const cases: Array<[string, RegExp]> = [
      ['ab'.repeat(56), /obfuscated password is corrupt: integrity check \(SHA-1\) failed$/],
      ['00112233', /obfuscated password is too short: 4 bytes, at least 48 needed$/],
      [`${'ab'.repeat(55)}f`, /obfuscated password has an odd number of hex digits \(111\)$/],
    ];
    for (const [value, message] of cases) {
      const path = profile('obf-bad.conf', `IPSec ID g\nIPSec obfuscated secret ${value}\n`);
      const r = vpnc(['--print-config', '--non-inter', 'obf-bad']);
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr.trimEnd()).toMatch(new RegExp(`^vpnc: ${path}:2: IPSec obfuscated secret: ${message.source}`));
      expect(r.status).toBe(1);
    }
  });

  it('a profile that is a directory exits 1 saying so', () => {
    mkdirSync(join(etc, 'vpnc', 'adir.conf'));
    const r = vpnc(['--non-inter', 'adir']);
    expect(r.stderr).toBe(`vpnc: couldn't open profile 'adir': ${etc}/vpnc/adir or ${etc}/vpnc/adir.conf is a directory\n`);
    expect(r.status).toBe(1);
    rmSync(join(etc, 'vpnc', 'adir.conf'), { recursive: true });
  });

  it('reads default.conf when no profile is named', () => {
    profile('default.conf', 'IPSec ID from-default\n');
    const r = vpnc(['--print-config', '--non-inter']);
    expect(r.stdout).toBe('IPSec ID from-default\nNoninteractive\n');
    rmSync(join(etc, 'vpnc', 'default.conf'));
  });
});

describe('vpnc: command line', () => {
  it('an unknown option exits 1 with a hint', () => {
    const r = vpnc(['--natt', 'none']);
    expect(r.stderr).toBe('vpnc: unknown option "--natt" (vpnc --long-help lists the options)\nTry `vpnc --long-help` for the list of options.\n');
    expect(r.status).toBe(1);
  });

  it('an option without its value exits 1', () => {
    const r = vpnc(['--gateway']);
    expect(r.stderr.split('\n')[0]).toBe('vpnc: option --gateway requires a value <ip/hostname>');
    expect(r.status).toBe(1);
  });

  it('--non-inter with a missing credential exits 1 with vpnc\'s message', () => {
    const r = vpnc(['--non-inter', '--gateway', '198.51.100.1']);
    expect(r.stderr).toBe('vpnc: missing IPSec ID (--id, or "IPSec ID" in a profile)\n');
    expect(r.status).toBe(1);
  });

  it('a failing password helper exits 1', () => {
    const r = vpnc(['--gateway', '198.51.100.1', '--id', 'g', '--username', 'u', '--password', 'p', '--password-helper', '/bin/false']);
    expect(r.stderr).toBe('vpnc: can\'t run password helper program "/bin/false": exited with status 1\n');
    expect(r.status).toBe(1);
  });

  it('a password helper that does not exist, or fails saying why, exits 1 in one line of ours', () => {
    const missing = vpnc(['--gateway', '198.51.100.1', '--id', 'g', '--username', 'u', '--password', 'p', '--password-helper', '/nonexistent/helper']);
    expect(missing.stderr).toBe('vpnc: can\'t run password helper program "/nonexistent/helper": not found\n');
    expect(missing.status).toBe(1);
    const helper = join(etc, 'helper.sh');
    writeFileSync(helper, '#!/bin/sh\necho "helper: no keyring" >&2\nexit 3\n', { mode: 0o755 });
    const failing = vpnc(['--gateway', '198.51.100.1', '--id', 'g', '--username', 'u', '--password', 'p', '--password-helper', helper]);
    expect(failing.stderr).toBe(`helper: no keyring\nvpnc: can't run password helper program "${helper}": exited with status 3\n`);
    expect(failing.status).toBe(1);
  });

  it('--auth-mode cert without --cert exits 1 naming what is missing, before any network', () => {
    const r = vpnc([...CREDS, '--auth-mode', 'cert']);
    expect(r.stderr).toBe('vpnc: IKE Authmode cert needs our certificate (--cert FILE, or "IPSec certificate" in a profile)\n');
    expect(r.status).toBe(1);
  });

  it('--auth-mode cert with a certificate file that cannot be read exits 1 naming it', () => {
    const r = vpnc([...CREDS, '--auth-mode', 'cert', '--cert', '/nonexistent/me.pem', '--gateway', '127.0.0.1']);
    expect(r.stderr).toContain('vpnc: cannot read certificate file /nonexistent/me.pem: ENOENT\n');
    expect(r.status).toBe(1);
  });

  it('--local-addr with something that is neither an address nor a host name exits 1 naming the option', () => {
    const r = vpnc([...CREDS, '--local-addr', 'not a host!']);
    expect(r.stderr).toBe('vpnc: --local-addr: invalid value "not a host!" (accepted: an IPv4 address or a host name)\n');
    expect(r.status).toBe(1);
  });

  it('prompts with vpnc\'s texts and reads answers from stdin', () => {
    const r = vpnc(['--print-config'], '198.51.100.1\ngrp\nsecret\nbob\npass\n');
    expect(r.stdout).toBe(
      'Enter IPSec gateway address: Enter IPSec ID for 198.51.100.1: Enter IPSec secret for grp@198.51.100.1: \n' +
        'Enter username for 198.51.100.1: Enter password for bob@198.51.100.1: \n' +
        'IPSec gateway 198.51.100.1\nIPSec ID grp\nIPSec secret secret\nXauth username bob\nXauth password pass\n',
    );
    expect(r.status).toBe(0);
  });

  it('--version, --help and --long-help exit 0', () => {
    expect(vpnc(['--version']).stdout).toMatch(/^vpnc version 0\.5\.3 /);
    const help = vpnc(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('  --gateway <ip/hostname>\n      IP/name of your IPSec gateway\n  conf-variable: IPSec gateway<ip/hostname>\n');
    expect(help.stdout).not.toContain('--natt-mode');
    const long = vpnc(['--long-help']);
    expect(long.stdout).toContain('  --natt-mode <natt/none/force-natt/cisco-udp>\n');
    expect(long.stdout).toContain('    Default: natt\n');
  });
});

describe('vpnc: secrets on the command line', () => {
  it('hides --secret and --password values from ps (/proc/PID/cmdline) while running', async () => {
    const { spawn } = await import('node:child_process');
    const { readFileSync } = await import('node:fs');
    // No username: vpnc waits at its prompt, long enough to look at its command line.
    const child = spawn('node', [BIN, '--gateway', '198.51.100.1', '--id', 'g', '--secret', 'top-secret-value', '--password=pw-value-123'], {
      env: { ...process.env, VPNC_SYSCONFDIR: etc },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      for (let i = 0; i < 100 && !out.includes('Enter username'); i++) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('Enter username for 198.51.100.1: ');
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replace(/\0+/g, ' ');
      expect(cmdline).toContain('--secret ******** --password=********');
      expect(cmdline).not.toContain('top-secret-value');
      expect(cmdline).not.toContain('pw-value-123');
    } finally {
      child.kill();
    }
  });
});
