/**
 * `pcf2vpnc <pcf file> [vpnc file]`: converts a Cisco VPN client profile to a vpnc.conf, with the arguments,
 * messages and exit codes of Debian's Perl `pcf2vpnc`. Obfuscated passwords are decrypted in-process (the
 * Perl script runs `cisco-decrypt` through the shell). Commander adds `--help`; an argument that looks like an
 * option is one (exit 1), where Debian tries to open it as a file (`./-x.pcf` or `--` names such a file).
 *
 * Exit codes, as Perl's `die` gives them: 0 on success and for the usage message; the errno number
 * (ENOENT = 2, EACCES = 13, ...) when a file cannot be opened, written or closed; 255 without an errno.
 */
import type { FileHandle } from 'node:fs/promises';
import { open, readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { parseCommandLine, plainWording, smallCommand, usageErrorText } from '../command-line.js';
import { convertPcf, formatVpncConf, holdsSecrets } from '../config/pcf.js';
import { UsageError } from '../errors.js';

/** Where the command reads and writes; `main` uses the process's own streams unless told otherwise. */
export interface Pcf2VpncIo {
  /** Shown in the usage message (Debian prints its `$0`). */
  readonly programName: string;
  readStdin(): Promise<Buffer>;
  writeStdout(data: Buffer): Promise<void>;
  writeStderr(text: string): Promise<void>;
}

/** The file-system step that failed, as named in the message (`Unable to <step> file NAME`). */
type FileStep = 'open' | 'write to' | 'close';

/** An I/O failure with the message Debian's script dies with. */
class FileStepError extends Error {
  readonly exitCode: number;
  constructor(step: FileStep, path: string, cause: unknown) {
    super(`Unable to ${step} file ${path}`, { cause });
    this.exitCode = errnoExitCode(cause);
  }
}

/** Perl's `die` exits with `$!` (the errno number) when it is set, else 255. */
function errnoExitCode(err: unknown): number {
  const code = err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const errno = code === undefined ? undefined : (osConstants.errno as Record<string, number | undefined>)[code];
  return errno !== undefined && errno > 0 && errno < 256 ? errno : 255;
}

function writeTo(stream: NodeJS.WritableStream, data: Buffer | string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}

/** The process's standard streams. */
export const processIo: Pcf2VpncIo = {
  programName: 'pcf2vpnc',
  readStdin: () => readAll(process.stdin),
  writeStdout: (data) => writeTo(process.stdout, data),
  writeStderr: (text) => writeTo(process.stderr, text),
};

/** Reads the .pcf file; `-` is standard input, as Perl's two-argument open makes it. */
async function readInput(path: string, io: Pcf2VpncIo): Promise<Buffer> {
  try {
    return path === '-' ? await io.readStdin() : await readFile(path);
  } catch (err) {
    throw new FileStepError('open', path, err);
  }
}

/**
 * Opens (creates or truncates) the output file. A file that will hold a secret is created 0600, and an
 * existing regular file loses its group and other permission bits; otherwise 0666 less the umask, as Perl.
 */
async function openOutput(path: string, secret: boolean): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'w', secret ? 0o600 : 0o666);
  } catch (err) {
    throw new FileStepError('open', path, err);
  }
  try {
    const info = await handle.stat();
    if (secret && info.isFile() && (info.mode & 0o077) !== 0) await handle.chmod(info.mode & 0o700);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw new FileStepError('open', path, err);
  }
  return handle;
}

/** Writes and closes the output file; returns its `st_mode` for the report line. */
async function writeOutput(handle: FileHandle, path: string, data: Buffer): Promise<number> {
  let mode: number;
  try {
    await handle.writeFile(data);
    mode = (await handle.stat()).mode;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw new FileStepError('write to', path, err);
  }
  try {
    await handle.close();
  } catch (err) {
    throw new FileStepError('close', path, err);
  }
  return mode;
}

function usage(programName: string): string {
  return (
    `${programName} converts VPN-config files from pcf to vpnc-format.\n` +
    `Usage: ${programName} <pcf file> [vpnc file]\n`
  );
}

async function convert(pcfPath: string, outPath: string | undefined, io: Pcf2VpncIo): Promise<void> {
  const input = await readInput(pcfPath, io);
  const conversion = convertPcf(input.toString('latin1'));
  const output = Buffer.from(formatVpncConf(conversion), 'latin1');
  const printWarnings = async (): Promise<void> => {
    for (const warning of conversion.warnings) await io.writeStderr(`${io.programName}: ${warning}\n`);
  };
  if (outPath === undefined) {
    await printWarnings();
    await io.writeStdout(output);
  } else {
    // Debian opens the output before it reads the profile: no warnings when the output cannot be opened.
    const handle = await openOutput(outPath, holdsSecrets(conversion));
    await printWarnings();
    const mode = await writeOutput(handle, outPath, output);
    await io.writeStderr(
      `vpnc config written to '${outPath}' with permissions '${mode.toString(8).padStart(4, '0')}'.\n` +
        'Please take care of permissions.\n',
    );
  }
  if (conversion.needsCert) await io.writeStderr("\nDon't forget to copy the needed certificate(s).\n\n");
}

function pcf2vpncCommand(programName: string): Command {
  return smallCommand(programName, '<pcf file> [vpnc file]', 'converts VPN-config files from pcf to vpnc-format')
    .argument('[pcf file]', 'the Cisco VPN client profile (- for standard input)')
    .argument('[vpnc file]', 'where to write the vpnc profile (default: standard output)');
}

/**
 * Runs pcf2vpnc with the arguments after the program name; resolves to the exit code. Arguments beyond
 * the second are ignored, as in Debian's script; without any, Debian's usage goes to stderr (exit 0).
 */
export async function main(argv: string[], io: Pcf2VpncIo = processIo): Promise<number> {
  const cmd = pcf2vpncCommand(io.programName);
  try {
    if (parseCommandLine(cmd, argv, plainWording) === 'help') {
      await io.writeStdout(Buffer.from(cmd.helpInformation()));
      return 0;
    }
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    await io.writeStderr(usageErrorText(cmd, err));
    return 1;
  }
  const [pcfPath, outPath] = cmd.args;
  if (pcfPath === undefined) {
    await io.writeStderr(usage(io.programName));
    return 0;
  }
  try {
    await convert(pcfPath, outPath, io);
    return 0;
  } catch (err) {
    if (!(err instanceof FileStepError)) throw err;
    await io.writeStderr(`${err.message}\n`);
    return err.exitCode;
  }
}
