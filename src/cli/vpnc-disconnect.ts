/**
 * `vpnc-disconnect [PROFILE | --pid-file FILE]`: stops a running client found through its pid file and
 * waits until it has put everything back. Without an argument the default pid file (/run/vpnc.pid) is used,
 * as Debian's vpnc-disconnect does; a profile name uses that profile's `Pidfile`. If the client died without
 * cleaning up (SIGKILL, a crash), the disconnect step is run from the state file it left next to the pid file.
 * Exit codes: 0 stopped (or restored), 1 nothing found or it would not stop.
 */
import { rmSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { parseCommandLine, plainWording, smallCommand, usageErrorText } from '../command-line.js';
import { isRunningVpnc, readPidFile } from './pid-file.js';
import { pidFileOf } from '../config/load.js';
import { buildScriptEnv } from '../script/env.js';
import { readRestoreState, removeRestoreState, statePathFor } from '../script/state.js';
import { describeScriptExit, runScript, scriptSucceeded } from '../script/runner.js';
import { UsageError, VpncError } from '../errors.js';

const out = (t: string) => writeSync(1, t);
const err = (t: string) => writeSync(2, t);

/** How long to wait for the client to finish its teardown. */
const STOP_WAIT_MS = 30_000;

function disconnectCommand(): Command {
  return smallCommand(
    'vpnc-disconnect',
    '[PROFILE | --pid-file FILE]',
    'Stops a running vpnc and waits until it has put routes and DNS back; runs the disconnect step itself for a client that died without it.',
  )
    .argument('[PROFILE]', 'a profile whose Pidfile names the client (default: /run/vpnc.pid)')
    .option('--pid-file <FILE>', 'the pid file of the client');
}

/** The pid file the command line names, or 'help'. Throws UsageError. */
function pidFileFrom(cmd: Command, argv: readonly string[]): string | 'help' {
  if (parseCommandLine(cmd, argv, plainWording) === 'help') return 'help';
  const given = cmd.getOptionValue('pidFile') as string | undefined;
  if (cmd.args.length > 1 || (cmd.args.length === 1 && given !== undefined)) throw new UsageError(`unexpected arguments: ${argv.join(' ')}`);
  return given ?? pidFileOf(cmd.args);
}

async function restoreFromState(pidFile: string): Promise<boolean> {
  const statePath = statePathFor(pidFile);
  const state = readRestoreState(statePath);
  if (!state) return false;
  out(`vpnc (pid ${state.pid}) is gone without cleaning up; running the disconnect step for ${'tunDev' in state.disconnect ? state.disconnect.tunDev : 'its tunnel'}\n`);
  const result = await runScript({ command: state.script, env: buildScriptEnv(state.disconnect, process.env), output: 'inherit', cwd: state.cwd });
  if (!scriptSucceeded(result)) err(`vpnc-disconnect: disconnect script ${describeScriptExit(result.exit)}\n`);
  removeRestoreState(statePath);
  rmSync(pidFile, { force: true });
  return true;
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await disconnect(argv);
  } catch (e) {
    if (!(e instanceof VpncError)) throw e;
    err(`vpnc-disconnect: ${e.message}\n`);
    return 1;
  }
}

async function disconnect(argv: string[]): Promise<number> {
  const cmd = disconnectCommand();
  let pidFile: string;
  try {
    const found = pidFileFrom(cmd, argv);
    if (found === 'help') return out(cmd.helpInformation()), 0;
    pidFile = found;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(usageErrorText(cmd, e));
    return 1;
  }
  const pid = readPidFile(pidFile);
  if (pid === undefined || !isRunningVpnc(pid)) {
    if (await restoreFromState(pidFile)) return 0;
    if (pid !== undefined) rmSync(pidFile, { force: true });
    err(`vpnc-disconnect: no vpnc found running (pid file ${pidFile}${pid !== undefined ? `: pid ${pid} is not a vpnc, not signalled` : ''})\n`);
    return 1;
  }
  out(`Terminating vpnc daemon (pid: ${pid})\n`);
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_WAIT_MS;
  while (isRunningVpnc(pid)) {
    if (Date.now() > deadline) {
      err(`vpnc-disconnect: vpnc (pid ${pid}) did not stop within ${STOP_WAIT_MS / 1000} s\n`);
      return 1;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // A client killed half-way through its teardown leaves its state behind: finish the job.
  await restoreFromState(pidFile);
  out(`vpnc (pid ${pid}) stopped\n`);
  return 0;
}
