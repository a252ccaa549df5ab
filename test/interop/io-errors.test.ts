/**
 * Error messages for an unprivileged caller, with the real errno from the kernel: a child process runs the
 * addon without capabilities (setpriv), and its errors go through the same mapping src/io uses.
 * Needs root (to drop privileges from); fails (never skips) without it.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import { rawEspOpenError, tunOpenError, udpOpenError, type NativeErrorFields } from '../../src/io/errors.js';
import { requireRoot } from '../helpers/netns.js';

requireRoot();

const ADDON = fileURLToPath(new URL('../../build/Release/packet_io.node', import.meta.url));

/** What the addon throws in the child for each opener, as JSON. */
const SCRIPT = `const a = require(${JSON.stringify(ADDON)});
const attempt = (fn) => { try { fn(); return null; } catch (e) { return { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall }; } };
console.log(JSON.stringify({
  tun: attempt(() => a.openTun({ name: 'vpnnoperm0' })),
  tap: attempt(() => a.openTun({ name: 'vpnnoperm1', tap: true })),
  esp: attempt(() => a.openRawIp({ protocol: 50, headerIncluded: true })),
  udp: attempt(() => a.openUdp({ address: 0x7f000001, port: 500 })),
}));`;

type Attempts = Record<'tun' | 'tap' | 'esp' | 'udp', NativeErrorFields | null>;

function runUnprivileged(setprivArgs: string[]): Attempts {
  const out = execFileSync('setpriv', [...setprivArgs, process.execPath, '-e', SCRIPT], { encoding: 'utf8' });
  return JSON.parse(out) as Attempts;
}

function asError(fields: NativeErrorFields | null): Error & NativeErrorFields {
  expect(fields).not.toBeNull();
  return Object.assign(new Error((fields as NativeErrorFields).message), fields);
}

describe('unprivileged callers get errors that say what is missing', () => {
  it('root without capabilities: TUNSETIFF EPERM, raw socket EPERM, port 500 EACCES', () => {
    const got = runUnprivileged(['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all']);
    expect(got.tun).toMatchObject({ code: 'EPERM', syscall: 'ioctl TUNSETIFF' });
    const tun = tunOpenError(asError(got.tun), { what: 'tun device "vpnnoperm0"', devicePath: '/dev/net/tun' }) as SystemError;
    expect(tun).toBeInstanceOf(SystemError);
    expect(tun.code).toBe('VPNC_ERR_TUN_OPEN');
    expect(tun.message).toBe(
      'cannot open tun device "vpnnoperm0": ioctl TUNSETIFF: Operation not permitted (EPERM); creating a tun/tap device needs root or CAP_NET_ADMIN',
    );
    expect(got.tap).toMatchObject({ code: 'EPERM' });

    expect(got.esp).toMatchObject({ code: 'EPERM', syscall: 'socket' });
    const esp = rawEspOpenError(asError(got.esp), { what: 'raw ESP socket on 0.0.0.0' }) as SystemError;
    expect(esp.code).toBe('VPNC_ERR_RAW_ESP_OPEN');
    expect(esp.message).toContain('a raw IP socket needs root or CAP_NET_RAW');

    expect(got.udp).toMatchObject({ code: 'EACCES', syscall: 'bind' });
    const udp = udpOpenError(asError(got.udp), { what: 'UDP socket 127.0.0.1:500' }) as SystemError;
    expect(udp.code).toBe('VPNC_ERR_UDP_OPEN');
    expect(udp.message).toContain('needs root or CAP_NET_BIND_SERVICE; or use --local-port 0');
  });

  it('an ordinary user (nobody): /dev/net/tun itself is refused', () => {
    const got = runUnprivileged(['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all']);
    expect(got.tun?.code === 'EACCES' || got.tun?.code === 'EPERM').toBe(true);
    const tun = tunOpenError(asError(got.tun), { what: 'tun device "vpnnoperm0"', devicePath: '/dev/net/tun' }) as SystemError;
    expect(tun.message).toContain('needs root or CAP_NET_ADMIN');
    expect(got.esp?.code).toBe('EPERM');
    expect(got.udp?.code).toBe('EACCES');
  });
});
