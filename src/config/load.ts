/**
 * Finding and reading profiles as vpnc does:
 * - NAME without a slash -> $SYSCONFDIR/vpnc/NAME, then $SYSCONFDIR/vpnc/NAME.conf;
 *   a path with a slash -> PATH, then PATH.conf; `-` -> stdin until EOF or a Ctrl-D line;
 * - only when no profile is named: $SYSCONFDIR/vpnc/default.conf and $SYSCONFDIR/vpnc.conf, both optional;
 * - command-line settings win; among files the first value wins.
 * SYSCONFDIR is /etc unless the environment variable VPNC_SYSCONFDIR moves it (tests, packagers).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultFor } from './defaults.js';
import { FdLineInput, readAllLines, type LineInput } from './line-input.js';
import { OPTIONS } from './options.js';
import { parseProfile, type Settings } from './profile-file.js';

export function sysconfdir(env: NodeJS.ProcessEnv = process.env): string {
  return env['VPNC_SYSCONFDIR'] || '/etc';
}

/** The candidate paths for a profile argument, in the order they are tried. */
export function profileCandidates(name: string, etc: string): [string, string] {
  const base = name.includes('/') ? name : join(etc, 'vpnc', name);
  return [base, `${base}.conf`];
}

export interface LoadResult {
  settings: Settings;
  warnings: string[];
  /** Files actually read (for messages and tests). */
  files: string[];
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Where `-` reads from; defaults to fd 0. */
  stdin?: LineInput;
}

/** Reads the named profiles (or the defaults when none is named) into a copy of the command-line settings. */
export function loadProfiles(cliSettings: Settings, profiles: readonly string[], opts: LoadOptions = {}): LoadResult {
  const etc = sysconfdir(opts.env);
  const settings: Settings = new Map(cliSettings);
  const warnings: string[] = [];
  const files: string[] = [];
  const names = profiles.length > 0 ? profiles : [join(etc, 'vpnc', 'default.conf'), join(etc, 'vpnc.conf')];
  const optional = profiles.length === 0;
  for (const name of names) {
    if (name === '-') {
      const text = readAllLines(opts.stdin ?? new FdLineInput(0));
      warnings.push(...parseProfile(text, 'stdin', settings));
      files.push('stdin');
      continue;
    }
    const found = readProfileFile(name, etc, optional);
    if (!found) continue;
    files.push(found.path);
    const before = new Set(settings.keys());
    warnings.push(...parseProfile(found.text, found.path, settings));
    const secretWarning = checkSecretPermissions(found.path, found.mode, settings, before);
    if (secretWarning) warnings.push(secretWarning);
  }
  return { settings, warnings, files };
}

function readProfileFile(name: string, etc: string, optional: boolean): { path: string; text: string; mode: number } | null {
  const candidates = optional ? [name] : profileCandidates(name, etc);
  let lastError: NodeJS.ErrnoException | undefined;
  for (const path of candidates) {
    try {
      const text = readFileSync(path, 'utf8');
      return { path, text, mode: statSync(path).mode };
    } catch (err) {
      lastError = err as NodeJS.ErrnoException;
      if (lastError.code !== 'ENOENT') break;
    }
  }
  if (optional && lastError?.code === 'ENOENT') return null;
  const tried = candidates.join(' or ');
  if (lastError?.code === 'ENOENT') throw new ConfigError(`couldn't open profile '${name}': no such file (tried ${tried})`);
  if (lastError?.code === 'EISDIR') throw new ConfigError(`couldn't open profile '${name}': ${lastError.path ?? tried} is a directory`);
  throw new ConfigError(`couldn't open profile '${name}': ${lastError?.message ?? 'unknown error'}`);
}

/** A profile that supplies a secret and can be read by group or others gets a warning. */
function checkSecretPermissions(path: string, mode: number, settings: Settings, before: Set<string>): string | null {
  if ((mode & 0o044) === 0) return null;
  const fromThisFile = OPTIONS.filter(
    (o) => o.secret && !before.has(o.id) && settings.get(o.id)?.origin.kind === 'file',
  ).map((o) => o.key);
  if (fromThisFile.length === 0) return null;
  const perm = (mode & 0o777).toString(8).padStart(4, '0');
  return `warning: ${path} holds secrets (${[...new Set(fromThisFile)].join(', ')}) but is readable by others (mode ${perm}); run chmod 600 ${path}`;
}

/**
 * The pid file a command about a running client means (`vpnc --status`, `vpnc-disconnect`): the one given,
 * else the `Pidfile` of the profiles named, else the default.
 */
export function pidFileOf(profiles: readonly string[], given?: string): string {
  if (given) return given;
  const fromProfiles = profiles.length > 0 ? loadProfiles(new Map(), profiles).settings.get('pidFile')?.value : undefined;
  return fromProfiles || defaultFor('pidFile')!;
}
