/**
 * What the four commands share about commander: each builds its own `Command`, and `parseCommandLine` runs it
 * without letting commander print or exit. Its complaints come back as a UsageError in the command's own
 * words, with the suggestion commander makes for a mistyped long option ("did you mean --gateway?").
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from './errors.js';

/** What commander found wrong with a command line, for the command to put into words. */
export type Complaint =
  | { readonly kind: 'unknown-option'; readonly flag: string; readonly suggestion: string | undefined }
  | { readonly kind: 'missing-value'; readonly flag: string };

/** How parsing ended: the command line was read, or commander's own `--help` or `--version` was given. */
export type Outcome = 'parsed' | 'help' | 'version';

// commander's wording: "error: unknown option 'FLAG'", then "\n(Did you mean --x?)" or
// "\n(Did you mean one of --x, --y?)" when it has a suggestion. Option names hold no quote or newline.
const UNKNOWN_OPTION = /^error: unknown option '([^]*)'(?:\n\(Did you mean (.+)\?\))?$/;

function complaintOf(e: CommanderError, argv: readonly string[]): Complaint | undefined {
  if (e.code === 'commander.unknownOption') {
    const m = UNKNOWN_OPTION.exec(e.message);
    if (m) return { kind: 'unknown-option', flag: m[1]!, suggestion: m[2] };
  }
  // commander reports a missing value only for an option that ends the command line.
  if (e.code === 'commander.optionMissingArgument' && argv.length > 0) return { kind: 'missing-value', flag: argv[argv.length - 1]! };
  return undefined;
}

/** Commander's suggestion as a clause: `did you mean --gateway?`. */
export function didYouMean(suggestion: string): string {
  return `did you mean ${suggestion}?`;
}

/**
 * Parses argv (without node and the script) with `cmd`, which must not be used again. Throws UsageError
 * with `word(complaint)` as its message, or commander's own message for anything else it refuses.
 */
export function parseCommandLine(cmd: Command, argv: readonly string[], word: (complaint: Complaint) => string): Outcome {
  const silent = () => {};
  cmd.exitOverride().configureOutput({ writeOut: silent, writeErr: silent, outputError: silent });
  try {
    cmd.parse(argv, { from: 'user' });
    return 'parsed';
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.code === 'commander.helpDisplayed') return 'help';
    if (e.code === 'commander.version') return 'version';
    const complaint = complaintOf(e, argv);
    throw new UsageError(complaint ? word(complaint) : e.message.replace(/^error: /, ''));
  }
}

/**
 * A small command (vpnc-disconnect, pcf2vpnc, vpnc-gateway): commander's `-h, --help`, the usage line given,
 * and arguments beyond those declared left to the command (Debian's pcf2vpnc ignores them).
 */
export function smallCommand(name: string, usage: string, description: string): Command {
  return new Command(name).usage(usage).description(description).helpOption('-h, --help', 'show this help').allowExcessArguments();
}

/** The small commands' wording: `unknown option --x (did you mean --y?)`, `option --y needs a value`. */
export function plainWording(complaint: Complaint): string {
  if (complaint.kind === 'missing-value') return `option ${complaint.flag} needs a value`;
  return `unknown option ${complaint.flag}${complaint.suggestion === undefined ? '' : ` (${didYouMean(complaint.suggestion)})`}`;
}

/** A small command's usage error for stderr: `NAME: MESSAGE`, then `Usage: NAME USAGE`. */
export function usageErrorText(cmd: Command, e: UsageError): string {
  return `${cmd.name()}: ${e.message}\nUsage: ${cmd.name()} ${cmd.usage()}\n`;
}
