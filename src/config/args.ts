/**
 * vpnc's command line, read by commander with one option per OPTIONS row: `--opt value` or `--opt=value` for
 * options with an argument, `--flag` for flags, anything else (and `-`, stdin) a profile to read. Options are
 * matched exactly, as vpnc does; a mistyped one gets commander's suggestion. Command-line values override
 * profiles whatever their position, and the last occurrence wins.
 */
import { Command, Option } from 'commander';
import { didYouMean, parseCommandLine, type Complaint } from '../command-line.js';
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

/** The flags that are no setting: vpnc's own, then ours. */
const COMMAND_FLAGS = {
  '--version': 'print the version and what it supports',
  '--help': 'the common options',
  '--long-help': 'every option',
  '--print-config': 'print the settings in profile syntax instead of connecting',
  '--status': 'show the running tunnel',
  '--json': 'with --status: as JSON',
  '--probe': 'ask the gateway what it accepts, without connecting',
} as const;
type CommandFlag = keyof typeof COMMAND_FLAGS;

/** The commander command for vpnc (no actions; `--help` and `--long-help` are flags of ours, see cli/usage.ts). */
export function vpncCommand(): Command {
  const cmd = new Command('vpnc').helpOption(false).argument('[config files...]', 'profiles to read, - for stdin');
  for (const spec of OPTIONS) {
    if (spec.option !== null) cmd.addOption(new Option(isFlag(spec) ? spec.option : `${spec.option} ${spec.arg}`, spec.help));
  }
  for (const [flag, help] of Object.entries(COMMAND_FLAGS)) cmd.option(flag, help);
  return cmd;
}

function word(complaint: Complaint): string {
  if (complaint.kind === 'missing-value') {
    const spec = OPTIONS.find((o) => o.option === complaint.flag);
    return `option ${complaint.flag} requires a value ${spec?.arg ?? ''}`.trim();
  }
  // vpnc ignores a value given to a flag (`--no-detach=no` detaches not); commander refuses it, and so do we.
  const eq = complaint.flag.indexOf('=');
  const name = complaint.flag.slice(0, eq);
  if (eq > 0 && (name in COMMAND_FLAGS || OPTIONS.some((o) => o.option === name && isFlag(o)))) return `option ${name} takes no value, got ${JSON.stringify(complaint.flag)}`;
  const hint = complaint.suggestion === undefined ? 'vpnc --long-help lists the options' : didYouMean(complaint.suggestion);
  return `unknown option ${JSON.stringify(complaint.flag)} (${hint})`;
}

/** The flags that answer at once: they win over the rest of the command line, errors in it included. */
const STOPS: Partial<Record<CommandFlag, 'version' | 'help' | 'long-help'>> = { '--version': 'version', '--help': 'help', '--long-help': 'long-help' };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const cmd = vpncCommand();
  const settings: Settings = new Map();
  for (const spec of OPTIONS) {
    const option = spec.option;
    if (option === null) continue;
    // commander's event for an option: its argument, or nothing for a flag (which records its own name).
    cmd.on(`option:${option.slice(2)}`, (value?: string) => settings.set(spec.id, { value: value ?? option, origin: { kind: 'option', option } }));
  }
  const given = new Set<CommandFlag>();
  let stop: ParsedArgs['action'] | undefined;
  for (const flag of Object.keys(COMMAND_FLAGS) as CommandFlag[]) {
    cmd.on(`option:${flag.slice(2)}`, () => {
      given.add(flag);
      stop ??= STOPS[flag];
    });
  }
  try {
    parseCommandLine(cmd, argv, word);
  } catch (e) {
    if (stop === undefined) throw e;
  }
  const printConfig = given.has('--print-config');
  const json = given.has('--json');
  const profiles = [...cmd.args];
  if (stop !== undefined) return { action: stop, printConfig, json, settings, profiles };
  // An empty argument names no profile (vpnc calls it an unknown option).
  if (profiles.includes('')) throw new UsageError(word({ kind: 'unknown-option', flag: '', suggestion: undefined }));
  const status = given.has('--status');
  const probe = given.has('--probe');
  if (json && !status) throw new UsageError('option --json goes with --status');
  if (status && probe) throw new UsageError('--status and --probe are two commands: give one');
  return { action: status ? 'status' : probe ? 'probe' : 'run', printConfig, json, settings, profiles };
}
