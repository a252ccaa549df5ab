/**
 * vpnc's command line: `--opt value` or `--opt=value` for options with an argument, `--flag` for flags,
 * anything not starting with `-` (and `-` itself) is a profile to read. Options are matched exactly, as vpnc
 * does. Command-line values override profiles whatever their position.
 */
import { UsageError } from '../errors.js';
import { OPTIONS, isFlag } from './options.js';
import type { Settings } from './profile-file.js';

export type Action = 'run' | 'version' | 'help' | 'long-help' | 'status' | 'probe';

export interface ParsedArgs {
  action: Action;
  printConfig: boolean;
  /** --json (with --status): the status as JSON. */
  json: boolean;
  /** Settings given on the command line (the last occurrence of an option wins). */
  settings: Settings;
  /** Profile names, paths or `-`, in command-line order. */
  profiles: string[];
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const settings: Settings = new Map();
  const profiles: string[] = [];
  let printConfig = false;
  let status = false;
  let probe = false;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== '' && (!arg.startsWith('-') || arg === '-')) {
      profiles.push(arg);
      continue;
    }
    switch (arg) {
      case '--version':
        return { action: 'version', printConfig, json, settings, profiles };
      case '--help':
        return { action: 'help', printConfig, json, settings, profiles };
      case '--long-help':
        return { action: 'long-help', printConfig, json, settings, profiles };
      case '--print-config':
        printConfig = true;
        continue;
      case '--status':
        status = true;
        continue;
      case '--probe':
        probe = true;
        continue;
      case '--json':
        json = true;
        continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = OPTIONS.find((o) => o.option === name);
    if (!spec) throw new UsageError(`unknown option ${JSON.stringify(arg)} (vpnc --long-help lists the options)`);
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else if (isFlag(spec)) {
      value = arg;
    } else {
      if (i + 1 >= argv.length) throw new UsageError(`option ${name} requires a value ${spec.arg ?? ''}`.trim());
      value = argv[++i]!;
    }
    settings.set(spec.id, { value, origin: { kind: 'option', option: name } });
  }
  if (json && !status) throw new UsageError('option --json goes with --status');
  if (status && probe) throw new UsageError('--status and --probe are two commands: give one');
  return { action: status ? 'status' : probe ? 'probe' : 'run', printConfig, json, settings, profiles };
}
