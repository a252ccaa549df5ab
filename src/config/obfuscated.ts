/**
 * Replaces `IPSec obfuscated secret` / `Xauth obfuscated password` by their clear values, as vpnc does
 * right after reading the profiles. A clear value, when present, wins (with vpnc's warning).
 */
import { ConfigError } from '../errors.js';
import { deobfuscate } from './obfuscation.js';
import { specOf, type SettingId } from './options.js';
import { describeOrigin, type Settings } from './profile-file.js';

const PAIRS: ReadonlyArray<[SettingId, SettingId]> = [
  ['secretObfuscated', 'secret'],
  ['passwordObfuscated', 'password'],
];

export function applyObfuscated(settings: Settings, warn: (message: string) => void): void {
  for (const [obfuscatedId, clearId] of PAIRS) {
    const obfuscated = settings.get(obfuscatedId);
    if (!obfuscated) continue;
    settings.delete(obfuscatedId);
    if (settings.has(clearId)) {
      warn('warning: ignoring obfuscated password because cleartext password set');
      continue;
    }
    try {
      settings.set(clearId, { value: deobfuscate(obfuscated.value), origin: obfuscated.origin });
    } catch (err) {
      const where = describeOrigin(obfuscated.origin, specOf(obfuscatedId));
      throw new ConfigError(`${where}: ${(err as Error).message}`, { cause: err });
    }
  }
}
