/**
 * Our vpnc-script keeps IPv6 from leaking beside a full tunnel: when the gateway routes all IPv4 through the
 * tunnel and gives no IPv6, IPv6 to the outside is unreachable for the time of the connection (the LAN's own
 * prefix stays reachable), the log says so, and disconnect restores the IPv6 routes exactly. A split tunnel,
 * or VPNC_IPV6_OUTSIDE=1, leaves IPv6 alone. Real `ip` and `ping -6` in namespaces; root; never skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nsRun, requireRoot } from '../helpers/netns.js';
import { waitForDad } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { OUR_SCRIPT, SPLIT, createScriptBed, destroyScriptBed, mustRun, sampleTunnel, type ScriptBed } from './script-bed.js';

let bed: ScriptBed | undefined;
afterEach(() => {
  destroyScriptBed(bed);
  bed = undefined;
});

const OUTSIDE = '2001:db8:ffff::1';
const LAN_PEER = '2001:db8:1::1';

/**
 * The script bed with IPv6 on the outside link: 2001:db8:1::2/64, default route via 2001:db8:1::1; the host
 * 2001:db8:ffff::1 beyond it (on the other namespace's loopback) answers ping.
 */
function ipv6Bed(): ScriptBed {
  requireRoot();
  const b = createScriptBed();
  nsRun(b.gateway, 'ip', ['-6', 'addr', 'add', `${LAN_PEER}/64`, 'dev', b.gatewayIf, 'nodad']);
  nsRun(b.gateway, 'ip', ['-6', 'addr', 'add', `${OUTSIDE}/128`, 'dev', 'lo']);
  nsRun(b.client, 'ip', ['-6', 'addr', 'add', '2001:db8:1::2/64', 'dev', b.clientIf, 'nodad']);
  nsRun(b.client, 'ip', ['-6', 'route', 'add', 'default', 'via', LAN_PEER, 'dev', b.clientIf]);
  waitForDad([b.client, b.gateway]);
  return b;
}

/** Answers of `ping -6` to `to` (2 probes). */
const pings6 = async (b: ScriptBed, to: string) => (await ping(b.client, to, 2)).received;
const routes6 = (b: ScriptBed) => nsRun(b.client, 'ip', ['-6', 'route', 'show', 'table', 'all']);
const path6 = (b: ScriptBed, to: string) => nsRun(b.client, 'ip', ['-6', 'route', 'get', to], { allowFail: true }).trim();

describe('our vpnc-script and IPv6 beside a full tunnel', () => {
  it('blocks IPv6 to the outside while connected, keeps the LAN, says so, and restores the routes exactly', async () => {
    bed = ipv6Bed();
    const before = routes6(bed);
    expect(path6(bed, OUTSIDE)).toContain(`via ${LAN_PEER}`);
    expect(await pings6(bed, OUTSIDE)).toBe(2);
    const r = await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel());
    expect(await pings6(bed, OUTSIDE)).toBe(0);
    expect(await pings6(bed, LAN_PEER)).toBe(2);
    expect(r.stderr).toContain('full tunnel without IPv6 from the gateway: IPv6 outside the tunnel is blocked until disconnect');
    expect(nsRun(bed.client, 'sh', ['-c', `ip -6 route get ${OUTSIDE} 2>&1 || true`])).toMatch(/No route to host|unreachable/);
    expect(path6(bed, LAN_PEER)).toContain(`dev ${bed.clientIf}`);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(routes6(bed)).toBe(before);
    expect(path6(bed, OUTSIDE)).toContain(`via ${LAN_PEER}`);
    expect(await pings6(bed, OUTSIDE)).toBe(2);
  });

  it('leaves IPv6 alone for a split tunnel, and when VPNC_IPV6_OUTSIDE=1', async () => {
    bed = ipv6Bed();
    const before = routes6(bed);
    await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel({ splitInclude: SPLIT }));
    expect(routes6(bed)).toBe(before);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel({ splitInclude: SPLIT }));
    const r = await mustRun(bed, OUR_SCRIPT, 'connect', sampleTunnel(), { VPNC_IPV6_OUTSIDE: '1' });
    expect(r.stderr).toContain('IPv6 may go outside the tunnel (VPNC_IPV6_OUTSIDE)');
    expect(routes6(bed)).toBe(before);
    expect(path6(bed, OUTSIDE)).toContain(`via ${LAN_PEER}`);
    await mustRun(bed, OUR_SCRIPT, 'disconnect', sampleTunnel());
    expect(routes6(bed)).toBe(before);
  });
});
