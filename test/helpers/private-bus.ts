/**
 * A private system bus for a test: a dbus-daemon whose socket lives in the test's temp dir (so that programs
 * in any mount namespace reach it by path), open to root, with the D-Bus policy folders of unpacked packages
 * included (resolved's, nm-vpnc-service's). `DBUS_SYSTEM_BUS_ADDRESS` points programs at it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MESSAGE_TYPES = ['method_call', 'signal', 'method_return', 'error'];

/** Writes `dir`/bus.conf for a bus listening on `dir`/bus; returns the bus address. */
export function writePrivateBusConfig(dir: string, includeDirs: readonly string[]): { config: string; address: string } {
  const socket = join(dir, 'bus');
  const config = join(dir, 'bus.conf');
  writeFileSync(config, [
    '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
    '<busconfig>', '  <type>system</type>', `  <listen>unix:path=${socket}</listen>`,
    '  <policy context="default">', '    <allow user="*"/>', '    <allow own="*"/>',
    ...MESSAGE_TYPES.map((t) => `    <allow send_type="${t}"/>`), ...MESSAGE_TYPES.map((t) => `    <allow receive_type="${t}"/>`),
    '  </policy>', ...includeDirs.map((d) => `  <includedir>${d}</includedir>`), '</busconfig>', '',
  ].join('\n'));
  return { config, address: `unix:path=${socket}` };
}
