/**
 * Puts the gateway's TUN device to work with iproute2: MTU, link up, and a route for every block of the
 * address pool, so that the kernel forwards traffic for clients into the TUN device. With a namespace the
 * commands run as `ip -n NAME ...`. Forwarding (net.ipv4.ip_forward) is the administrator's job.
 */
import { execFileSync } from 'node:child_process';
import { SystemError } from '../errors.js';

/** The argument vectors for `ip` that configure the device (pure, for tests and logs). */
export function tunSetupCommands(device: string, mtu: number, routes: readonly string[]): string[][] {
  return [['link', 'set', 'dev', device, 'mtu', String(mtu), 'up'], ...routes.map((r) => ['route', 'replace', r, 'dev', device])];
}

/** Runs `ip [-n netns] ...args`; throws SystemError VPNC_ERR_GATEWAY_NET with ip's message. */
export function runIp(args: readonly string[], netns: string | undefined): void {
  const argv = netns === undefined ? [...args] : ['-n', netns, ...args];
  try {
    execFileSync('ip', argv, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string; code?: string; message: string };
    const hint = e.code === 'ENOENT' ? ' (is iproute2 installed?)' : '';
    throw new SystemError('VPNC_ERR_GATEWAY_NET', `ip ${argv.join(' ')} failed: ${(e.stderr ?? e.message).trim()}${hint}`, e.code);
  }
}

/** Configures the TUN device and routes the pool through it. */
export function setUpTun(device: string, mtu: number, routes: readonly string[], netns: string | undefined): void {
  for (const args of tunSetupCommands(device, mtu, routes)) runIp(args, netns);
}
