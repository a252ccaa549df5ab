/**
 * Prompts for missing credentials with vpnc's exact texts (NetworkManager-vpnc answers them by matching):
 *   "Enter IPSec gateway address: ", "Enter IPSec ID for GW: ", "Enter IPSec secret for ID@GW: ",
 *   "Enter username for GW: ", "Enter password for USER@GW: ".
 * Secrets are read without echo on a terminal, or from the password helper when one is configured.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { ConfigError } from '../errors.js';
import type { LineInput } from '../config/line-input.js';
import type { Settings } from '../config/profile-file.js';

export interface PromptIo {
  input: LineInput;
  /** Writes prompt text (vpnc writes prompts to stdout). */
  write(text: string): void;
  /** Whether the input is a terminal (echo is switched off for secrets). */
  isTerminal: boolean;
}

export function stdioPromptIo(input: LineInput): PromptIo {
  return { input, write: (text) => writeSync(1, text), isTerminal: isatty(0) };
}

function setEcho(on: boolean): void {
  spawnSync('stty', [on ? 'echo' : '-echo'], { stdio: ['inherit', 'ignore', 'ignore'] });
}

/** Runs the password helper as `helper PROMPT`; its first output line is the secret. */
export function runPasswordHelper(helper: string, prompt: string): string {
  try {
    const out = execFileSync(helper, [prompt], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 16 });
    return out.split(/[\r\n]/)[0] ?? '';
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { status?: number };
    const why = e.code === 'ENOENT' ? 'not found' : e.status !== undefined ? `exited with status ${e.status}` : e.message;
    throw new ConfigError(`can't run password helper program ${JSON.stringify(helper)}: ${why}`);
  }
}

/** Reads a secret: from the helper if configured, else from the input without echo. */
export function readSecret(io: PromptIo, prompt: string, helper: string | undefined): string | null {
  // Lines before the prompt's own (the gateway's message) are shown; a helper is given the prompt alone.
  if (helper) {
    const cut = prompt.lastIndexOf('\n') + 1;
    if (cut > 0) io.write(prompt.slice(0, cut));
    return runPasswordHelper(helper, prompt.slice(cut));
  }
  io.write(prompt);
  if (io.isTerminal) setEcho(false);
  try {
    return io.input.readLine();
  } finally {
    if (io.isTerminal) setEcho(true);
    io.write('\n');
  }
}

/**
 * Asks for every missing credential, in vpnc's order, unless non-interactive. Empty answers stay missing.
 * `scope` 'group': only the gateway, group ID and group secret (`vpnc --probe` authenticates no user).
 */
export function promptMissing(settings: Settings, io: PromptIo, scope: 'all' | 'group' = 'all'): void {
  if (settings.has('nonInteractive')) return;
  const get = (id: 'gateway' | 'id' | 'username') => settings.get(id)?.value ?? '(null)';
  const helper = settings.get('passwordHelper')?.value || undefined;
  const ask = (id: 'gateway' | 'id' | 'secret' | 'username' | 'password', prompt: () => string, secret: boolean) => {
    if (settings.has(id)) return;
    let answer: string | null;
    if (secret) {
      answer = readSecret(io, prompt(), helper);
    } else {
      io.write(prompt());
      answer = io.input.readLine();
    }
    if (answer) settings.set(id, { value: answer, origin: { kind: 'option', option: 'prompt' } });
  };
  ask('gateway', () => 'Enter IPSec gateway address: ', false);
  // Certificates replace the group: main mode sends neither the group ID nor uses the group secret.
  if (settings.get('authMode')?.value !== 'cert') {
    ask('id', () => `Enter IPSec ID for ${get('gateway')}: `, false);
    ask('secret', () => `Enter IPSec secret for ${get('id')}@${get('gateway')}: `, true);
  }
  if (scope === 'group') return;
  ask('username', () => `Enter username for ${get('gateway')}: `, false);
  if (!settings.has('xauthInteractive')) {
    ask('password', () => `Enter password for ${get('username')}@${get('gateway')}: `, true);
  }
}
