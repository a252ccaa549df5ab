/**
 * Files that hold what others must not read (a trace of cleartext packets, session keys): created 0600, an
 * existing file made 0600 before anything is written (its old mode would otherwise stay), and never written
 * through a symbolic link planted at the name (we run as root; O_NOFOLLOW fails with ELOOP instead).
 */
import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';

/** Opens `path` for writing from its start: a descriptor to a file only its owner may read. */
export function openPrivate(path: string): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return fd;
}

/** Writes `text` as the whole content of a private file. */
export function writePrivate(path: string, text: string): void {
  const fd = openPrivate(path);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}
