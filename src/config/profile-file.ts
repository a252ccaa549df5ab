/**
 * Parser for vpnc profile text (`/etc/vpnc/NAME.conf`), pure: text in, settings and warnings out.
 *
 * The rules are vpnc 0.5.3's:
 * - one `Key value` per line; the key is matched case-insensitively as a prefix of the line, starting in
 *   column 0, against the keys in table order (the first match wins);
 * - a key that takes a value must be followed by a space or a tab; the value is the rest of the line with
 *   blanks trimmed on both sides and one pair of surrounding double quotes removed;
 * - flags (`No Detach`, `Enable weak encryption`, ...) are on when the key is present;
 * - `#` in column 0 starts a comment; blank lines are ignored; CR ends a line as LF does; a Ctrl-D (0x04) at
 *   the start of a line ends the input (NetworkManager-vpnc's stdin protocol);
 * - within one file and across files the first value wins (callers pass what is already set);
 * - anything else is warned about as an unknown directive, naming the file and line.
 *
 * One deliberate difference: vpnc reads lines in 199-byte pieces, so it truncates longer values (a long
 * password) and warns about the rest; we read whole lines.
 */
import { OPTIONS, isFlag, type OptionSpec, type SettingId } from './options.js';

/** Where a value came from, for error messages: `file:line` or a command-line option. */
export type Origin = { kind: 'file'; file: string; line: number } | { kind: 'option'; option: string };

export interface SettingValue {
  /** The value; for flags, the key or option text (vpnc's "harmless non-null" marker). */
  readonly value: string;
  readonly origin: Origin;
}

export type Settings = Map<SettingId, SettingValue>;

export function describeOrigin(origin: Origin, spec: OptionSpec): string {
  return origin.kind === 'file' ? `${origin.file}:${origin.line}: ${spec.key}` : origin.option;
}

const CTRL_D = '\x04';

/**
 * Splits text into lines as vpnc does (LF or CR ends a line; a line starting with Ctrl-D ends the input).
 * Returns [line, lineNumber] pairs, numbering CRLF as one line.
 */
export function splitProfileLines(text: string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  for (let i = 0; i < physical.length; i++) {
    const lineNo = i + 1;
    // A lone CR also ends a line; "a\rb" is two lines with the same number, "a\r" is one.
    const pieces = physical[i]!.split('\r');
    if (pieces.length > 1 && pieces[pieces.length - 1] === '') pieces.pop();
    for (const piece of pieces) {
      if (piece.startsWith(CTRL_D)) return out;
      out.push([piece, lineNo]);
    }
  }
  return out;
}

/**
 * Parses one profile's text into `settings`, keeping values that are already present (first wins).
 * `file` names the source in warnings and origins ("stdin" for `-`). Returns the warnings.
 */
export function parseProfile(text: string, file: string, settings: Settings): string[] {
  const warnings: string[] = [];
  const lines = splitProfileLines(text);
  for (const [line, lineNo] of lines) {
    if (line === '' || line.startsWith('#')) continue;
    if (!applyLine(line, lineNo, file, settings, warnings)) {
      warnings.push(`warning: unknown configuration directive in ${file} at line ${lineNo}`);
    }
  }
  return warnings;
}

function applyLine(line: string, lineNo: number, file: string, settings: Settings, warnings: string[]): boolean {
  const lower = line.toLowerCase();
  for (const spec of OPTIONS) {
    if (!lower.startsWith(spec.key.toLowerCase())) continue;
    const origin: Origin = { kind: 'file', file, line: lineNo };
    if (isFlag(spec)) {
      if (!settings.has(spec.id)) settings.set(spec.id, { value: spec.key, origin });
      return true;
    }
    if (settings.has(spec.id)) return true; // first value wins
    const rest = line.slice(spec.key.length);
    if (rest === '') {
      warnings.push(`warning: ${file}:${lineNo}: option '${spec.key}' requires a value`);
      return true;
    }
    if (rest[0] !== ' ' && rest[0] !== '\t') continue; // e.g. "Debugging": try the other keys
    const value = unquote(rest.replace(/^[ \t]+|[ \t]+$/g, ''));
    if (value === '') {
      warnings.push(`warning: ${file}:${lineNo}: option '${spec.key}' requires a value`);
      return true;
    }
    settings.set(spec.id, { value, origin });
    return true;
  }
  return false;
}

/** Removes one pair of surrounding double quotes (`"x"` -> `x`; a lone `"` stays). */
export function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1);
  return value;
}
