/** Reverse lookup of `as const` number tables, for log messages. */

/**
 * Builds a function that names a protocol number from its table. Numbers not in the table print as
 * `UNKNOWN(<n>)`; when two names share a number (aliases), the first one listed wins.
 */
export function nameTable(table: Readonly<Record<string, number>>): (n: number) => string {
  const byNumber = new Map<number, string>();
  for (const [name, n] of Object.entries(table)) if (!byNumber.has(n)) byNumber.set(n, name);
  return (n) => byNumber.get(n) ?? `UNKNOWN(${n})`;
}
