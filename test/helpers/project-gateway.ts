/**
 * The project's gateway as the interop tests run it: one group and one user (the test account), listening on
 * the bed's gateway address unless told otherwise, in the bed's gateway namespace, its log lines collected.
 * `group: false` leaves the group out (a gateway of certificates only: its lines must give Certificate etc.).
 */
import { parseGatewayConfig } from '../../src/gateway/config.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { Logger } from '../../src/log.js';
import { BED } from './testbed.js';

/** The configuration text: `Listen`, the test account, `lines` (any other keys), `Netns`. */
export function projectGatewayConf(netns: string, lines: readonly string[], listen: string = BED.gatewayOutside, group = true): string {
  const account = group ? ['Group testgroup', 'Group secret group-secret-42'] : [];
  return [`Listen ${listen}`, ...account, 'User alice wonderland', ...lines, `Netns ${netns}`, ''].join('\n');
}

/** Starts a gateway with that configuration (named `name` in errors); log lines of level 1 go to `log`. */
export function startProjectGateway(netns: string, lines: readonly string[], o: { name: string; log?: string[]; listen?: string; group?: boolean }): Gateway {
  const log = o.log;
  return Gateway.start(parseGatewayConfig(projectGatewayConf(netns, lines, o.listen, o.group ?? true), o.name), log ? { log: new Logger({ level: 1, sink: (l) => log.push(l) }) } : {});
}
