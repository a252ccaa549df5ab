/**
 * `vpnc-gateway [--debug N] [--netns NAME] CONFIG`: runs the test concentrator in the foreground until
 * SIGINT or SIGTERM, then sends each client an ISAKMP DELETE and removes its TUN device.
 * Exit codes: 0 normal end, 1 configuration or system failure (one line on stderr, no stack).
 */
import { writeSync } from 'node:fs';
import type { Command } from 'commander';
import { parseCommandLine, plainWording, smallCommand, usageErrorText } from '../command-line.js';
import { UsageError, VpncError } from '../errors.js';
import { Logger } from '../log.js';
import { VERSION } from '../version.js';
import { loadGatewayConfig, type GatewayConfig } from './config.js';
import { Gateway } from './gateway.js';

/** The parsed command line. */
export interface GatewayArgs {
  readonly action: 'run' | 'help' | 'version';
  readonly configPath: string | undefined;
  readonly debug: number | undefined;
  readonly netns: string | undefined;
}

/** The commander command for vpnc-gateway. */
export function gatewayCommand(): Command {
  return smallCommand(
    'vpnc-gateway',
    '[--debug <0..99>] [--netns <name>] <config file>',
    'A test IKEv1 concentrator (aggressive mode PSK or main mode with certificates, XAUTH, mode config, quick mode, ' +
      'ESP over raw protocol 50, UDP 4500 and Cisco UDP) for trying vpnc clients and route scripts; see docs/gateway.md.',
  )
    .argument('[config file]', 'the gateway configuration (profiles/gateway.conf shows the keys)')
    .option('--debug <N>', 'log level: 1 progress, 2 exchange steps, 3 packet drops (overrides Debug)')
    .option('--netns <NAME>', 'open sockets and the TUN device in network namespace NAME (overrides Netns)')
    .version(`vpnc-gateway ${VERSION}`, '--version', 'print the version');
}

/** Parses argv (without node and the script) with `cmd` (a fresh gatewayCommand()). Throws UsageError. */
export function parseGatewayArgs(argv: readonly string[], cmd = gatewayCommand()): GatewayArgs {
  const outcome = parseCommandLine(cmd, argv, plainWording);
  const { debug: debugText, netns } = cmd.opts<{ debug?: string; netns?: string }>();
  const [configPath, extra] = cmd.args;
  if (outcome !== 'parsed') return { action: outcome, configPath, debug: undefined, netns };
  let debug: number | undefined;
  if (debugText !== undefined) {
    if (!/^\d+$/.test(debugText) || Number(debugText) > 99) throw new UsageError(`--debug needs a level from 0 to 99, got "${debugText}"`);
    debug = Number(debugText);
  }
  if (extra !== undefined) throw new UsageError(`only one config file, got "${configPath}" and "${extra}"`);
  if (configPath === undefined) throw new UsageError('a config file is required');
  return { action: 'run', configPath, debug, netns };
}

/** The config with the command line's overrides applied. */
export function applyOverrides(config: GatewayConfig, args: GatewayArgs): GatewayConfig {
  return { ...config, debug: args.debug ?? config.debug, netns: args.netns ?? config.netns };
}

/** Runs the gateway until a signal; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const err = (text: string) => writeSync(2, text);
  let gateway: Gateway;
  const cmd = gatewayCommand();
  try {
    const args = parseGatewayArgs(argv, cmd);
    if (args.action === 'help') return writeSync(1, cmd.helpInformation()), 0;
    if (args.action === 'version') return writeSync(1, `vpnc-gateway ${VERSION}\n`), 0;
    const config = applyOverrides(loadGatewayConfig(args.configPath!), args);
    const log = new Logger({ level: Math.max(config.debug, 0), sink: (line) => err(`vpnc-gateway: ${line}\n`), timestamps: config.debug >= 2 });
    gateway = Gateway.start(config, { log });
  } catch (e) {
    if (e instanceof VpncError) {
      err(e instanceof UsageError ? usageErrorText(cmd, e) : `vpnc-gateway: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void gateway.stop().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
