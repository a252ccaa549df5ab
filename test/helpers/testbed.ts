/**
 * The interop test bed: network namespaces for a VPN client, a Cisco-style gateway, an inner host behind the
 * gateway and, optionally, a NAT router between client and gateway. Documentation ranges only:
 *
 * ```
 * direct:  client 198.51.100.2/24 ──── 198.51.100.1/24 gateway 203.0.113.1/24 ──── 203.0.113.2/24 inner
 * nat:     client 198.51.100.130/25 ── 198.51.100.129/25 router 198.51.100.2/25 ── 198.51.100.1/25 gateway …
 * ```
 *
 * The router masquerades (nftables) everything leaving towards the gateway, so the gateway sees the client as
 * 198.51.100.2 and has no route to 198.51.100.128/25. The address pool 192.0.2.0/24 is handed out by the gateway's
 * mode config; the inner host's default route points at the gateway, which forwards between its interfaces.
 * The client namespace gets a private resolv.conf (`/etc/netns/NAME/resolv.conf`, bind-mounted over
 * /etc/resolv.conf by `ip netns exec`) so that vpnc-script can rewrite it without touching the host's.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { createNetns, deleteNetns, linkNetns, nsRun, requireRoot } from './netns.js';

/** Addresses of the bed (documentation ranges, RFC 5737). */
export const BED = {
  gatewayOutside: '198.51.100.1',
  clientDirect: '198.51.100.2',
  routerOutside: '198.51.100.2',
  routerInside: '198.51.100.129',
  clientBehindNat: '198.51.100.130',
  gatewayInside: '203.0.113.1',
  innerHost: '203.0.113.2',
  innerNet: '203.0.113.0/24',
  poolFirst: '192.0.2.10',
  poolLast: '192.0.2.50',
  poolNet: '192.0.2.0/24',
  vpnDns: '203.0.113.53',
  /** A second uplink of the direct bed's client (addSecondUplink): the upper half of the inner /24, unused there. */
  secondUplinkClient: '203.0.113.130',
  secondUplinkGateway: '203.0.113.129',
  /** IPv6 behind the gateway (addInnerIpv6) and the gateway's IPv6 pool (RFC 3849 documentation prefix). */
  gatewayInside6: '2001:db8:203::1',
  innerHost6: '2001:db8:203::2',
  innerNet6: '2001:db8:203::/64',
  vpnDns6: '2001:db8:203::53',
  pool6First: '2001:db8:192::10',
  pool6Last: '2001:db8:192::50',
} as const;

/** The resolv.conf the client namespace starts with (and must end with after vpnc-script restored it). */
export const CLIENT_RESOLV_CONF = '# test bed client namespace\nnameserver 198.51.100.53\n';

/** Options for {@link createTestbed}. */
export interface TestbedOptions {
  /** Put the client behind a masquerading router namespace. */
  nat?: boolean;
  /** Namespace name prefix (kept short: names are cut at 30 characters). */
  prefix?: string;
}

/** A built bed: namespace names, interface names and the addresses that matter to a test. */
export interface Testbed {
  readonly client: string;
  readonly gateway: string;
  readonly inner: string;
  /** The NAT router namespace, only in the NAT variant. */
  readonly router: string | undefined;
  /** The client's own address. */
  readonly clientAddress: string;
  /** The address the gateway sees the client coming from (the router's outside address behind NAT). */
  readonly clientSeenAs: string;
  /** The gateway's outside interface (inside the gateway namespace), for captures. */
  readonly gatewayOutsideIf: string;
  /** The client's interface towards the gateway or router. */
  readonly clientIf: string;
  /** Path of the client namespace's private resolv.conf. */
  readonly clientResolvConf: string;
  /** Every namespace of the bed. */
  readonly namespaces: readonly string[];
}

/** Path of the file `ip netns exec NAME` bind-mounts over /etc/resolv.conf. */
export function netnsResolvConfPath(ns: string): string {
  return `/etc/netns/${ns}/resolv.conf`;
}

function enableForwarding(ns: string): void {
  nsRun(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
}

/** nftables ruleset for a router that masquerades everything leaving through `outIf`. */
export function masqueradeRuleset(outIf: string): string {
  return [
    'table ip testbed_nat {',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${outIf}" masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

function writeClientResolvConf(ns: string): string {
  const path = netnsResolvConfPath(ns);
  mkdirSync(`/etc/netns/${ns}`, { recursive: true });
  writeFileSync(path, CLIENT_RESOLV_CONF);
  return path;
}

function linkInnerHost(gateway: string, inner: string): void {
  linkNetns(gateway, `${BED.gatewayInside}/24`, inner, `${BED.innerHost}/24`);
  nsRun(inner, 'ip', ['route', 'add', 'default', 'via', BED.gatewayInside]);
}

function buildDirect(prefix: string, gateway: string, inner: string): Testbed {
  const client = createNetns(`${prefix}c`);
  const { aIf: clientIf, bIf: gatewayOutsideIf } = linkNetns(client, `${BED.clientDirect}/24`, gateway, `${BED.gatewayOutside}/24`);
  return {
    client,
    gateway,
    inner,
    router: undefined,
    clientAddress: BED.clientDirect,
    clientSeenAs: BED.clientDirect,
    gatewayOutsideIf,
    clientIf,
    clientResolvConf: writeClientResolvConf(client),
    namespaces: [client, gateway, inner],
  };
}

function buildNat(prefix: string, gateway: string, inner: string): Testbed {
  const router = createNetns(`${prefix}r`);
  const client = createNetns(`${prefix}c`);
  const outside = linkNetns(router, `${BED.routerOutside}/25`, gateway, `${BED.gatewayOutside}/25`);
  const inside = linkNetns(client, `${BED.clientBehindNat}/25`, router, `${BED.routerInside}/25`);
  nsRun(client, 'ip', ['route', 'add', 'default', 'via', BED.routerInside]);
  enableForwarding(router);
  nsRun(router, 'nft', ['-f', '-'], { input: masqueradeRuleset(outside.aIf) });
  return {
    client,
    gateway,
    inner,
    router,
    clientAddress: BED.clientBehindNat,
    clientSeenAs: BED.routerOutside,
    gatewayOutsideIf: outside.bIf,
    clientIf: inside.aIf,
    clientResolvConf: writeClientResolvConf(client),
    namespaces: [client, router, gateway, inner],
  };
}

/**
 * Builds the bed. Throws (never skips) without root. On a failure half-way, whatever was created is removed.
 */
export function createTestbed(opts: TestbedOptions = {}): Testbed {
  requireRoot();
  const prefix = opts.prefix ?? 'vb';
  const gateway = createNetns(`${prefix}g`);
  const made: string[] = [gateway];
  try {
    const inner = createNetns(`${prefix}h`);
    made.push(inner);
    enableForwarding(gateway);
    linkInnerHost(gateway, inner);
    const bed = opts.nat ? buildNat(prefix, gateway, inner) : buildDirect(prefix, gateway, inner);
    return bed;
  } catch (err) {
    made.forEach(deleteNetns);
    throw err;
  }
}

/** The interface of `ns` that holds `address`. */
function interfaceWith(ns: string, address: string): string {
  const name = /^\d+:\s+(\S+)/.exec(nsRun(ns, 'ip', ['-o', 'addr', 'show', 'to', address]))?.[1];
  if (!name) throw new Error(`no interface with ${address} in ${ns}`);
  return name;
}

/**
 * IPv6 behind the gateway: the gateway–inner link gets 2001:db8:203::1/64 and ::2/64 (no duplicate address
 * detection, so they are usable at once), the inner host routes IPv6 via the gateway, which forwards IPv6.
 */
export function addInnerIpv6(bed: Testbed): void {
  const gwIf = interfaceWith(bed.gateway, BED.gatewayInside);
  const innerIf = interfaceWith(bed.inner, BED.innerHost);
  nsRun(bed.gateway, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  nsRun(bed.gateway, 'ip', ['-6', 'addr', 'add', `${BED.gatewayInside6}/64`, 'dev', gwIf, 'nodad']);
  nsRun(bed.inner, 'ip', ['-6', 'addr', 'add', `${BED.innerHost6}/64`, 'dev', innerIf, 'nodad']);
  nsRun(bed.inner, 'ip', ['-6', 'route', 'add', 'default', 'via', BED.gatewayInside6]);
  waitForDad([bed.gateway, bed.inner]);
}

/**
 * Waits until no IPv6 address of `namespaces` is tentative. Neighbour discovery needs the link-local addresses,
 * which are tentative for a second or two after a link came up (duplicate address detection): until then
 * packets wait in the neighbour queue.
 */
export function waitForDad(namespaces: readonly string[]): void {
  const deadline = Date.now() + 10_000;
  const tentative = () => namespaces.some((ns) => nsRun(ns, 'ip', ['-6', 'addr', 'show', 'tentative']).trim() !== '');
  while (tentative()) {
    if (Date.now() > deadline) throw new Error(`IPv6 addresses in ${namespaces.join(', ')} stayed tentative for 10 s`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
}

/** Removes every namespace of the bed (killing what still runs in them) and the client's resolv.conf. */
export function destroyTestbed(bed: Testbed): void {
  for (const ns of bed.namespaces) deleteNetns(ns);
  rmSync(`/etc/netns/${bed.client}`, { recursive: true, force: true });
  try {
    rmdirSync('/etc/netns'); // only when empty: another bed may still use it
  } catch {
    /* not empty or already gone */
  }
}

/**
 * Roaming in the direct bed: the client's outer address becomes `moved` (same link and subnet), the new one
 * added before the old goes and kept when the old primary is deleted, as a DHCP client's change would.
 */
export function moveClientAddress(bed: Testbed, moved: string): void {
  nsRun(bed.client, 'sysctl', ['-qw', `net.ipv4.conf.${bed.clientIf}.promote_secondaries=1`]);
  nsRun(bed.client, 'ip', ['addr', 'add', `${moved}/24`, 'dev', bed.clientIf]);
  nsRun(bed.client, 'ip', ['addr', 'del', `${bed.clientAddress}/24`, 'dev', bed.clientIf]);
}

/**
 * A new uplink for the direct bed's client: another link to the gateway's namespace with another subnet and
 * next hop (203.0.113.128/25), and a default route through it of lower priority (metric 100), as a second
 * interface's DHCP client would add. Returns the client's interface on it.
 */
export function addSecondUplink(bed: Testbed): string {
  const { aIf } = linkNetns(bed.client, `${BED.secondUplinkClient}/25`, bed.gateway, `${BED.secondUplinkGateway}/25`);
  nsRun(bed.client, 'ip', ['route', 'add', 'default', 'via', BED.secondUplinkGateway, 'dev', aIf, 'metric', '100']);
  return aIf;
}

/** Reads the client namespace's resolv.conf, or undefined when it does not exist. */
export function readClientResolvConf(bed: Testbed): string | undefined {
  return existsSync(bed.clientResolvConf) ? readFileSync(bed.clientResolvConf, 'utf8') : undefined;
}
