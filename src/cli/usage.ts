/** `--help`, `--long-help` and `--version` texts, laid out as vpnc prints them. */
import type { Command } from 'commander';
import { vpncCommand } from '../config/args.js';
import { defaultFor } from '../config/defaults.js';
import { OPTIONS } from '../config/options.js';
import { VERSION, VPNC_COMPAT_VERSION } from '../version.js';
import { join } from 'node:path';
import { bundledScript, defaultScript } from '../config/defaults.js';
import { sysconfdir } from '../config/load.js';

/** vpnc's help, as commander's help formatter: `--help`, or with `long` `--long-help`. */
export function usageText(long: boolean): string {
  return vpncCommand()
    .configureHelp({ formatHelp: (cmd) => formatVpncHelp(cmd, long) })
    .helpInformation();
}

/**
 * vpnc's layout, byte for byte: the OPTIONS rows in table order, config-file-only keys among them, each with
 * its help, default and config key (`--help` shows the rows marked short); then our commands.
 */
function formatVpncHelp(cmd: Command, long: boolean): string {
  let out = `Usage: ${cmd.name()} [--version] [--print-config] [--help] [--long-help] [options] [config files]\n\n`;
  out += 'Options:\n';
  for (const spec of OPTIONS) {
    if (!long && !spec.short) continue;
    const head = spec.option === null ? '(configfile only option)' : spec.option;
    const arg = spec.arg === null || spec.option === null ? '' : spec.arg;
    out += `  ${head} ${arg}\n`;
    for (const line of spec.help.split('\n')) out += `      ${line}\n`;
    const def = defaultFor(spec.id);
    if (def !== undefined) out += `    Default: ${def}\n`;
    out += `  conf-variable: ${spec.key}${spec.arg ?? ''}\n\n`;
  }
  if (long) {
    out += 'Commands of ours (not in vpnc 0.5.3):\n';
    out += '  --status [--json]\n      show the running tunnel of the profile (or of --pid-file): gateway, ESP path, SAs with\n      what is left of their lifetimes, traffic and drops, DPD; asks the client over its control\n      socket (<pidfile>.ctl, root only)\n\n';
  }
  if (!long) out += 'Use --long-help to see all options\n\n';
  out += 'Report bugs at the project\'s issue tracker\n';
  return out;
}

export function versionText(): string {
  return [
    `vpnc version ${VPNC_COMPAT_VERSION} (vpnc-ts ${VERSION}, a TypeScript work-alike)`,
    'vpnc-ts comes with NO WARRANTY, to the extent permitted by law.',
    'Built with certificate support.',
    '',
    'Supported DH-Groups: nopfs dh1 dh2 dh5 dh14 dh15 dh16 dh17 dh18 dh19 dh20 dh21',
    'Supported Hash-Methods: md5 sha1 sha256 sha384 sha512',
    'Supported Encryptions: null des 3des aes128 aes192 aes256 aes128-gcm aes256-gcm',
    'Supported Auth-Methods: psk psk+xauth hybrid(rsa)',
    '',
    `Default script: ${defaultScript()}${defaultScript() === bundledScript() ? '' : ` (Debian's; this package's own: ${bundledScript()})`}`,
    `Profiles: ${join(sysconfdir(), 'vpnc')}/NAME or NAME.conf; with none named, ${join(sysconfdir(), 'vpnc', 'default.conf')} and ${join(sysconfdir(), 'vpnc.conf')}`,
    '',
  ].join('\n');
}
