/**
 * vpnc 0.5.3's defaults (as Debian builds it). `--long-help` prints them; settings without a value take them.
 */
import { existsSync } from 'node:fs';
import { type } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VPNC_COMPAT_VERSION } from '../version.js';
import type { SettingId } from './options.js';

/** Debian's vpnc-script, which vpnc uses by default. */
export const DEBIAN_SCRIPT = '/usr/share/vpnc-scripts/vpnc-script';

/** The route script shipped with this package (scripts/vpnc-script). */
export function bundledScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'vpnc-script');
}

/** Debian's script when installed (vpnc's default), else ours. */
export function defaultScript(): string {
  return existsSync(DEBIAN_SCRIPT) ? DEBIAN_SCRIPT : bundledScript();
}

/** The lifetime vpnc proposes for ISAKMP and IPsec SAs (2^31 / 1000 seconds, about 24.9 days). */
export const VPNC_IKE_LIFETIME = 2147483;
/** What the client proposes to a FortiGate (Vendor fortigate) unless told otherwise: 8 hours, which it accepts. */
export const FORTIGATE_IKE_LIFETIME = 28800;

const FIXED: Partial<Record<SettingId, string>> = {
  vendor: 'cisco',
  nattMode: 'natt',
  dhGroup: 'dh2',
  pfs: 'server',
  ifMode: 'tun',
  pidFile: '/run/vpnc.pid',
  localAddr: '0.0.0.0',
  localPort: '500',
  udpPort: '10000',
  dpdIdle: '300',
  authMode: 'psk',
  caDir: '/etc/ssl/certs',
  targetNetwork: '0.0.0.0/0.0.0.0',
  // Ours: a laptop's tunnel comes back by itself (OpenConnect's default); 0 gives vpnc's exit on a dead peer.
  reconnectTimeout: '300',
  ikeLifetime: String(VPNC_IKE_LIFETIME),
  // Ours: patience for a lossy path (a third of the datagrams lost each way still connects); vpnc's is 15 s.
  ikeTimeout: '30',
};

/** The default for a setting, or undefined when it has none. */
export function defaultFor(id: SettingId): string | undefined {
  if (id === 'script') return defaultScript();
  if (id === 'applicationVersion') return `Cisco Systems VPN Client ${VPNC_COMPAT_VERSION}:${type()}`;
  return FIXED[id];
}
