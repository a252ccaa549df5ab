/**
 * openresolv (Debian's 3.12, unpacked by scripts/test-all.sh, never installed) for one script-bed namespace. Its
 * resolvconf and libc subscriber hard-code /etc, /lib/resolvconf and /run/resolvconf; the copies made here have
 * those three set to the bed's folder (state under the bed's private /run), and nothing else changed. The
 * configuration writes the namespace's resolv.conf by its host path (/etc/netns/NAME/resolv.conf), so that
 * openresolv's backup of a foreign file lands beside it and never in the host's /etc; only the libc subscriber
 * runs (no dnsmasq, unbound or service restarts). `bin/resolvconf` in the bed runs it.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPrerequisites, unpackedPath } from '../prereq/check.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The three hard-coded folders of openresolv's scripts, in the form they are written there. */
const HARD_CODED = ['SYSCONFDIR=/etc', 'LIBEXECDIR=/lib/resolvconf', 'VARDIR=/run/resolvconf'] as const;

/** A copy of an openresolv script with its folders moved; throws when a line is missing (another version). */
function relocate(text: string, folders: { etc: string; lib: string }): string {
  let out = text;
  for (const line of HARD_CODED) {
    if (!out.includes(`\n${line}\n`)) throw new Error(`openresolv: the line ${line} is not where it was measured (another version?)`);
  }
  out = out.replace('\nSYSCONFDIR=/etc\n', `\nSYSCONFDIR=${folders.etc}\n`).replace('\nLIBEXECDIR=/lib/resolvconf\n', `\nLIBEXECDIR=${folders.lib}\n`);
  return out;
}

/**
 * Sets openresolv up in `binDir`'s bed: `base` is the bed's folder, `ns` its client namespace. Returns the
 * resolvconf command's path.
 */
export function installOpenresolv(base: string, binDir: string, ns: string): string {
  const table = loadPrerequisites(ROOT);
  const etc = join(base, 'openresolv', 'etc');
  const lib = join(base, 'openresolv', 'lib');
  const sbin = join(base, 'openresolv', 'sbin');
  for (const d of [etc, lib, sbin]) mkdirSync(d, { recursive: true });
  const folders = { etc, lib };
  const resolvconf = join(sbin, 'resolvconf');
  writeFileSync(resolvconf, relocate(readFileSync(unpackedPath(table, 'openresolv/sbin/resolvconf'), 'utf8'), folders));
  writeFileSync(join(lib, 'libc'), relocate(readFileSync(unpackedPath(table, 'openresolv/lib/resolvconf/libc'), 'utf8'), folders));
  chmodSync(resolvconf, 0o755);
  chmodSync(join(lib, 'libc'), 0o755);
  writeFileSync(
    join(etc, 'resolvconf.conf'),
    [
      '# the test bed: the namespace resolv.conf by its host path, resolvconf -l by its copy, no service restarts',
      `resolv_conf=/etc/netns/${ns}/resolv.conf`,
      `list_resolv="${resolvconf} -l"`,
      'libc_restart=true',
      '',
    ].join('\n'),
  );
  const command = join(binDir, 'resolvconf');
  mkdirSync(dirname(command), { recursive: true });
  writeFileSync(command, `#!/bin/sh\nexec ${resolvconf} "$@"\n`);
  chmodSync(command, 0o755);
  return command;
}
