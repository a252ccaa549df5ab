/**
 * `vpnc --probe [profile]`: what the gateway accepts (src/session/probe.ts), printed as a short table and the
 * profile lines that would work. No tunnel, no routes, no user authentication.
 */
import { requireGroup, type VpncConfig } from '../config/validate.js';
import { Logger } from '../log.js';
import { probeGateway, type ProbeReport } from '../session/probe.js';
import { describeError, exitCodeFor, ExitCode } from './exit-codes.js';

const DH_NAME = (g: number) => `dh${g}`;

/** The report for a person: one line per DH group, what the gateway offers, the profile lines that work. */
export function formatProbe(r: ProbeReport, nattMode: VpncConfig['nattMode']): string {
  const lines = [`gateway ${r.gateway} (asked from ${r.localAddress}), one aggressive mode per DH group:`, '  group  answer'];
  for (const row of r.rows) {
    const a = row.answer;
    const text =
      a.kind === 'chose'
        ? `accepted: ${a.transform}${a.lifetimeSeconds ? `, ISAKMP SA lifetime ${a.lifetimeSeconds} s` : ''}`
        : a.kind === 'refused'
          ? `refused: ${a.why}`
          : a.kind === 'wrong-secret'
            ? `answered, but ${a.why}`
            : 'no answer';
    lines.push(`  ${DH_NAME(row.dhGroup).padEnd(6)} ${text}`);
  }
  if (r.rows.some((row) => row.answer.kind === 'wrong-secret')) lines.push('the group secret or group name is not what the gateway has (HASH_R does not verify)');
  const p = r.peer;
  if (!p) {
    if (r.rows.every((row) => row.answer.kind === 'silent')) lines.push('the gateway answered no aggressive mode: is it the address of an IKEv1 gateway, and is UDP 500 open?');
    return `${lines.join('\n')}\n`;
  }
  const natt = p.nattVersion >= 2 ? 'NAT-T (RFC 3947 or draft-02+)' : p.nattVersion >= 0 ? `NAT-T (draft ${p.nattVersion})` : 'no NAT-T';
  const offers = [p.xauth ? 'XAUTH' : 'no XAUTH', p.unity ? 'Cisco Unity' : 'no Cisco Unity', p.dpd ? 'DPD' : 'no DPD', natt];
  lines.push(`the gateway offers: ${offers.join(', ')}`);
  const n = r.nat;
  if (n && n.natdType !== 0) lines.push(`NAT on the way: ${n.localBehindNat ? 'yes, in front of us' : n.remoteBehindNat ? 'yes, in front of the gateway' : 'none seen'}`);
  const accepted = r.rows.filter((row) => row.answer.kind === 'chose');
  if (accepted.length === 0) return `${lines.join('\n')}\n`;
  // The strongest group accepted: MODP by size, then the ECP groups.
  const best = accepted[accepted.length - 1]!;
  lines.push('profile lines that work:');
  lines.push(`  IKE DH Group ${DH_NAME(best.dhGroup)}`);
  if (p.nattVersion < 0 && (nattMode === 'natt' || nattMode === 'force-natt')) lines.push('  NAT Traversal Mode none');
  else lines.push(`  NAT Traversal Mode ${nattMode}`);
  if (p.dpd) lines.push('  DPD idle timeout (our side) 300');
  return `${lines.join('\n')}\n`;
}

export async function runProbe(config: VpncConfig, out: (t: string) => void, err: (t: string) => void): Promise<number> {
  try {
    requireGroup(config);
    const log = new Logger({ level: config.debug, sink: (l) => err(`vpnc: ${l}\n`), timestamps: config.debug >= 1 });
    const report = await probeGateway(config, log);
    out(formatProbe(report, config.nattMode));
    return report.rows.some((r) => r.answer.kind === 'chose') ? ExitCode.ok : ExitCode.failure;
  } catch (e) {
    err(`vpnc: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}
