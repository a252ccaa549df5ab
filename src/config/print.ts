/**
 * `--print-config`: the effective settings in profile syntax, in vpnc's table order, exactly as vpnc prints
 * them (flags as a bare key; values quoted when they start or end with a blank, or are wrapped in quotes).
 * Obfuscated secrets are printed de-obfuscated, as vpnc does.
 */
import { OPTIONS, isFlag } from './options.js';
import type { Settings } from './profile-file.js';

export function formatConfig(settings: Settings): string {
  let out = '';
  for (const spec of OPTIONS) {
    const v = settings.get(spec.id);
    if (!v || v.value === '') continue;
    if (isFlag(spec)) {
      out += `${spec.key}\n`;
      continue;
    }
    out += `${spec.key} ${needsQuotes(v.value) ? `"${v.value}"` : v.value}\n`;
  }
  return out;
}

function needsQuotes(value: string): boolean {
  const first = value[0];
  const last = value[value.length - 1];
  return first === ' ' || first === '\t' || last === ' ' || last === '\t' || (first === '"' && last === '"');
}
