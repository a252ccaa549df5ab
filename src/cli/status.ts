/**
 * `vpnc --status [profile | --pid-file FILE] [--json]`: asks the running client over its control socket (next
 * to its pid file) and prints what its tunnel is doing: the view `wg show` and `swanctl --list-sas` give their
 * users. Root only: the socket is root's.
 */
import { pidFileOf } from '../config/load.js';
import type { ParsedArgs } from '../config/args.js';
import type { TunnelStatus } from '../session/status.js';
import { controlPathFor, requestStatus } from './control-socket.js';
import { describeError, exitCodeFor, ExitCode } from './exit-codes.js';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
const left = (s: number | null, unit: string) => (s === null ? `no ${unit} limit` : `${s} ${unit} left`);

function drops(d: Readonly<Record<string, number>>): string {
  const list = Object.entries(d).filter(([, n]) => n > 0);
  return list.length ? `drops: ${list.map(([k, n]) => `${k} ${n}`).join(', ')}` : 'no drops';
}

/** The status for a person, one aspect a line. */
export function formatStatus(s: TunnelStatus): string {
  const t = s.tunnel;
  const lines = [
    `gateway     ${s.gateway}, ESP over ${s.transport} (ports ${s.ports.local} -> ${s.ports.remote}), from ${s.localAddress}`,
    `tunnel      ${t.device} ${t.address ?? '-'}, MTU ${t.mtu ?? 'as the script set it'}; routes ${t.routes.join(' ') || '-'}; DNS ${t.dns.join(' ') || '-'}`,
    `up          ${s.uptimeSeconds} s (stage ${s.stage}, pid ${s.pid}); ${plural(s.events.espRekeys, 'ESP rekey')}, ${plural(s.events.reauthentications, 're-authentication')}, ${plural(s.events.reconnects, 'reconnect')}`,
  ];
  if (s.ikeSa) lines.push(`ISAKMP SA   ${s.ikeSa.cookies} ${s.ikeSa.transform}, age ${s.ikeSa.ageSeconds} s, ${left(s.ikeSa.secondsLeft, 's')}`);
  for (const e of s.espSas) {
    lines.push(
      `ESP SA ${e.direction.padEnd(4)} 0x${e.spi} ${e.transform}${e.inUse ? '' : ' (replaced)'}, age ${e.ageSeconds} s, ${left(e.secondsLeft, 's')}, ${left(e.kilobytesLeft, 'kB')}; ${plural(e.packets, 'packet')}, ${e.bytes} bytes, ${drops(e.drops)}`,
    );
  }
  const d = s.traffic.drops;
  lines.push(`traffic     ESP out ${s.traffic.espSent}, in ${s.traffic.espReceived}; ${drops({ 'unknown SPI': d.unknownSpi, 'routing loop': d.routingLoop, 'not sent': d.notSent, 'send failed': d.sendFailed })}`);
  const ago = (x: number | null) => (x === null ? 'never' : `${x} s ago`);
  const pr = s.process;
  const resources = Object.entries(pr.resources).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(`DPD         ${s.dpd.enabled ? `on${s.dpd.probing ? ', probing now' : ''}` : 'off'}; gateway last heard ${ago(s.dpd.lastHeardSecondsAgo)}, IKE ${ago(s.dpd.lastIkeSecondsAgo)}`);
  lines.push(`process     RSS ${pr.rssKb} kB, heap ${pr.heapUsedKb} kB, ${pr.fds} descriptors; Node resources: ${resources || 'none'}`);
  return `${lines.join('\n')}\n`;
}

export async function runStatus(args: ParsedArgs, out: (t: string) => void, err: (t: string) => void): Promise<number> {
  if (process.geteuid?.() !== 0) {
    err('vpnc: --status needs root: the control socket of a running client is root\'s (mode 0600)\n');
    return ExitCode.failure;
  }
  try {
    const status = await requestStatus(controlPathFor(pidFileOf(args.profiles, args.settings.get('pidFile')?.value)));
    out(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    return ExitCode.ok;
  } catch (e) {
    err(`vpnc: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}
