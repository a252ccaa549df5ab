/**
 * Files that hold what others must not read (a trace of cleartext packets, session keys): created 0600, and an
 * existing file only written when it is a plain file of ours: not through a symbolic link (O_NOFOLLOW: ELOOP),
 * not into a FIFO or device (opened without blocking, then refused; a FIFO with a reader would get the keys, one
 * without would hang us), not a file another user owns (they could hold it open, or chmod it back) and not one
 * with other hard links. It is made 0600 and emptied through the descriptor before anything is written.
 */
import { closeSync, constants, fchmodSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';

/** Opens `path` for writing from its start: a descriptor to a file only its owner may read. */
export function openPrivate(path: string): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
  try {
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? st.uid;
    const refuse = (why: string): never => {
      throw Object.assign(new Error(`${path}: ${why}; not written`), { code: 'EPERM' });
    };
    if (!st.isFile()) refuse('not a regular file (a FIFO, device or socket)');
    if (st.uid !== uid) refuse(`owned by uid ${st.uid}, not by us`);
    if (st.nlink !== 1) refuse(`it has ${st.nlink} hard links`);
    fchmodSync(fd, 0o600);
    ftruncateSync(fd, 0);
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
