/**
 * Synchronous, unbuffered line reading from a file descriptor (normally stdin).
 *
 * NetworkManager-vpnc writes a profile to vpnc's stdin, ends it with EOF or a Ctrl-D line, and then answers
 * the prompts on the same stdin. Reading one byte at a time guarantees that the profile reader never swallows
 * the answers meant for the prompts, and vice versa.
 */
import { readSync } from 'node:fs';

const CTRL_D = 0x04;
const LF = 0x0a;
const CR = 0x0d;

export interface LineInput {
  /** Reads one line without its terminator; null at EOF (or at a Ctrl-D at the start of a line). */
  readLine(): string | null;
}

/** Reads lines from `fd`, retrying on EAGAIN for non-blocking descriptors. */
export class FdLineInput implements LineInput {
  private readonly byte = Buffer.alloc(1);
  /** A CR seen at the end of the previous line: skip a directly following LF. */
  private pendingCr = false;

  constructor(private readonly fd: number = 0) {}

  private readByte(): number | null {
    for (;;) {
      try {
        const n = readSync(this.fd, this.byte, 0, 1, null);
        return n === 0 ? null : this.byte[0]!;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        if (code === 'EOF') return null;
        throw err;
      }
    }
  }

  readLine(): string | null {
    const bytes: number[] = [];
    for (;;) {
      const c = this.readByte();
      if (c === null) return bytes.length === 0 ? null : Buffer.from(bytes).toString('utf8');
      if (this.pendingCr) {
        this.pendingCr = false;
        if (c === LF) continue;
      }
      if (bytes.length === 0 && c === CTRL_D) return null;
      if (c === LF) return Buffer.from(bytes).toString('utf8');
      if (c === CR) {
        this.pendingCr = true;
        return Buffer.from(bytes).toString('utf8');
      }
      bytes.push(c);
    }
  }
}

/** Reads every line until EOF or a Ctrl-D line, joined with LF (for the profile parser). */
export function readAllLines(input: LineInput): string {
  const lines: string[] = [];
  for (let line = input.readLine(); line !== null; line = input.readLine()) lines.push(line);
  return lines.map((l) => l + '\n').join('');
}

/** A fixed list of lines, for tests. */
export class ArrayLineInput implements LineInput {
  private i = 0;
  constructor(private readonly lines: readonly string[]) {}
  readLine(): string | null {
    return this.i < this.lines.length ? this.lines[this.i++]! : null;
  }
}
