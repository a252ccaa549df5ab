/**
 * `vpnc [options] [profiles]`: reads the configuration exactly as vpnc 0.5.3 does, prompts for what is
 * missing, then connects. Exit codes: 0 normal end, 1 failure, 2 authentication failure.
 */
import { writeSync } from 'node:fs';
import { parseArgs } from '../config/args.js';
import { OPTIONS } from '../config/options.js';
import { FdLineInput } from '../config/line-input.js';
import { loadProfiles } from '../config/load.js';
import { applyObfuscated } from '../config/obfuscated.js';
import { formatConfig } from '../config/print.js';
import { requireCredentials, validateSettings, type VpncConfig } from '../config/validate.js';
import { UsageError } from '../errors.js';
import { describeError, exitCodeFor, ExitCode } from './exit-codes.js';
import { runConnection } from './connect.js';
import { runStatus } from './status.js';
import { runProbe } from './probe.js';
import { DAEMON_ENV, runDaemon, startDaemon } from './daemon.js';
import { promptMissing, stdioPromptIo } from './prompt.js';
import { usageText, versionText } from './usage.js';

const out = (text: string) => writeSync(1, text);
const err = (text: string) => writeSync(2, text);

/** Options whose values must not show in `ps` (vpnc overwrites them in argv; we retitle the process). */
const SECRET_OPTIONS = OPTIONS.filter((o) => o.secret && o.option).map((o) => o.option!);

/** The command line with secret values masked, as `ps` and /proc/PID/cmdline show it from now on. */
export function maskedCommandLine(argv: readonly string[]): string {
  const out = ['vpnc'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    if (eq > 0 && SECRET_OPTIONS.includes(a.slice(0, eq))) out.push(`${a.slice(0, eq)}=********`);
    else if (SECRET_OPTIONS.includes(a) && i + 1 < argv.length) out.push(a, '********'), i++;
    else out.push(a);
  }
  return out.join(' ');
}

function hideSecrets(argv: readonly string[]): void {
  if (argv.some((a) => SECRET_OPTIONS.some((o) => a === o || a.startsWith(`${o}=`)))) process.title = maskedCommandLine(argv);
}

/** What runs once the configuration is complete; replaced by the session layer. */
export type Connector = (config: VpncConfig) => Promise<number>;

export async function main(argv: string[], connect?: Connector): Promise<number> {
  if (process.env[DAEMON_ENV] === '1') {
    delete process.env[DAEMON_ENV];
    return runDaemon();
  }
  try {
    const args = parseArgs(argv);
    hideSecrets(argv);
    switch (args.action) {
      case 'version':
        out(versionText());
        return ExitCode.ok;
      case 'help':
      case 'long-help':
        out(usageText(args.action === 'long-help'));
        return ExitCode.ok;
      case 'status':
        return await runStatus(args, out, err);
      case 'run':
      case 'probe':
        break;
    }
    const stdin = new FdLineInput(0);
    const warn = (message: string) => err(`vpnc: ${message}\n`);
    const loaded = loadProfiles(args.settings, args.profiles, { stdin });
    loaded.warnings.forEach(warn);
    applyObfuscated(loaded.settings, warn);
    // Check values before asking for passwords, so that a typo does not cost a prompt.
    validateSettings(loaded.settings, () => {});
    promptMissing(loaded.settings, stdioPromptIo(stdin), args.action === 'probe' ? 'group' : 'all');
    if (args.printConfig) {
      err('vpnc.conf:\n\n');
      out(formatConfig(loaded.settings));
      return ExitCode.ok;
    }
    const config = validateSettings(loaded.settings, warn);
    if (args.action === 'probe') return await runProbe(config, out, err);
    requireCredentials(config);
    if (config.debug >= 99) {
      const w = 'WARNING! active debug level is >= 99, output includes username and password (hex encoded)\n';
      out(w);
      err(w);
    }
    if (connect) return await connect(config);
    if (!config.noDetach) return await startDaemon(config, stdioPromptIo(stdin), err, out);
    return await runConnection(config, {
      prompt: stdioPromptIo(stdin),
      logSink: (line) => err(`vpnc: ${line}\n`),
      print: out,
      onUp: () => out('VPNC started in foreground...\n'),
    });
  } catch (e) {
    err(`vpnc: ${describeError(e)}\n`);
    if (e instanceof UsageError) err('Try `vpnc --long-help` for the list of options.\n');
    return exitCodeFor(e);
  }
}
