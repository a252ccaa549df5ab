import { describe, expect, it } from 'vitest';
import { SystemError } from '../../../src/errors.js';
import { errnoName, isNativeError, rawEspOpenError, tunOpenError, udpOpenError } from '../../../src/io/errors.js';
import { openTun } from '../../../src/io/tun.js';
import { openUdp } from '../../../src/io/udp.js';

/** An error shaped as the addon throws it (native/errors.cc). */
function nativeError(code: string, errno: number, syscall: string, text: string): Error {
  return Object.assign(new Error(`${syscall}: ${text}`), { code, errno, syscall });
}

function caught(fn: () => unknown): SystemError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SystemError);
    return err as SystemError;
  }
  throw new Error('expected a throw');
}

describe('io error mapping (real errors from the addon, no root needed)', () => {
  it('a missing clone device says how to load the tun module', () => {
    const err = caught(() => openTun({ devicePath: '/nonexistent/net/tun' }));
    expect(err.code).toBe('VPNC_ERR_TUN_OPEN');
    expect(err.errno).toBe('ENOENT');
    expect(err.message).toContain('/nonexistent/net/tun is missing');
    expect(err.message).toContain('load the tun module: modprobe tun');
  });

  it('a missing network namespace is named, with how to create it', () => {
    const err = caught(() => openUdp({ netns: 'vpnc-no-such-netns' }));
    expect(err.code).toBe('VPNC_ERR_UDP_OPEN');
    expect(err.message).toContain('network namespace "vpnc-no-such-netns" does not exist (create it with: ip netns add vpnc-no-such-netns)');
  });

  it('a port in use mentions --local-port 0', () => {
    const first = openUdp({ localAddress: '127.0.0.1' });
    try {
      const err = caught(() => openUdp({ localAddress: '127.0.0.1', localPort: first.localPort }));
      expect(err.code).toBe('VPNC_ERR_UDP_OPEN');
      expect(err.errno).toBe('EADDRINUSE');
      expect(err.message).toContain(`cannot open UDP socket 127.0.0.1:${first.localPort}`);
      expect(err.message).toContain('use --local-port 0');
    } finally {
      first.close();
    }
  });

  it('a local address not on this host says so', () => {
    const err = caught(() => openUdp({ localAddress: '192.0.2.77' }));
    expect(err.errno).toBe('EADDRNOTAVAIL');
    expect(err.message).toContain('not an address of this host (--local-addr)');
  });

  it('argument errors are not disguised as system errors', () => {
    expect(() => openTun({ name: 'a-name-longer-than-15' })).toThrow(RangeError);
    expect(() => openUdp({ localPort: 70000 })).toThrow(RangeError);
    expect(() => openUdp({ localAddress: 'localhost' })).toThrow(/not an IPv4 address/);
  });
});

describe('io error mapping (pure)', () => {
  it('permission problems name the capability', () => {
    const tun = tunOpenError(nativeError('EPERM', 1, 'ioctl TUNSETIFF', 'Operation not permitted'), {
      what: 'tun device "tun%d"',
      devicePath: '/dev/net/tun',
    }) as SystemError;
    expect(tun.code).toBe('VPNC_ERR_TUN_OPEN');
    expect(tun.message).toBe(
      'cannot open tun device "tun%d": ioctl TUNSETIFF: Operation not permitted (EPERM); creating a tun/tap device needs root or CAP_NET_ADMIN',
    );
    const tunAccess = tunOpenError(nativeError('EACCES', 13, 'open tun device', 'Permission denied'), {
      what: 'tap device "tap%d"',
      devicePath: '/dev/net/tun',
    }) as SystemError;
    expect(tunAccess.message).toContain('needs root or CAP_NET_ADMIN');
    const raw = rawEspOpenError(nativeError('EPERM', 1, 'socket', 'Operation not permitted'), { what: 'raw ESP socket' }) as SystemError;
    expect(raw.code).toBe('VPNC_ERR_RAW_ESP_OPEN');
    expect(raw.message).toContain('needs root or CAP_NET_RAW');
    const udp = udpOpenError(nativeError('EACCES', 13, 'bind', 'Permission denied'), { what: 'UDP socket 0.0.0.0:500' }) as SystemError;
    expect(udp.message).toContain('needs root or CAP_NET_BIND_SERVICE; or use --local-port 0');
  });

  it('ESP already claimed gives the vpnc hint', () => {
    for (const [code, errno] of [['EPROTONOSUPPORT', 93], ['EEXIST', 17]] as const) {
      const err = rawEspOpenError(nativeError(code, errno, 'socket', 'x'), { what: 'raw ESP socket' }) as SystemError;
      expect(err.errno).toBe(code);
      expect(err.message).toContain("Maybe something registered ESP already. Please try '--natt-mode force-natt'");
    }
  });

  it('entering a namespace without privilege names CAP_SYS_ADMIN', () => {
    const err = udpOpenError(nativeError('EPERM', 1, 'setns', 'Operation not permitted'), { what: 'UDP socket', netns: 'x' }) as SystemError;
    expect(err.message).toContain('entering a network namespace needs root or CAP_SYS_ADMIN');
  });

  it('an interface name clash is explained', () => {
    const err = tunOpenError(nativeError('EBUSY', 16, 'ioctl TUNSETIFF', 'Device or resource busy'), {
      what: 'tun device "eth0"',
      devicePath: '/dev/net/tun',
    }) as SystemError;
    expect(err.message).toContain('interface name is taken');
  });

  it('an error without a hint still carries the errno', () => {
    const err = udpOpenError(nativeError('EMFILE', 24, 'socket', 'Too many open files'), { what: 'UDP socket' }) as SystemError;
    expect(err.message).toBe('cannot open UDP socket: socket: Too many open files (EMFILE)');
    expect(err.errno).toBe('EMFILE');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('passes through anything that is not a failed system call', () => {
    const range = new RangeError('bad');
    expect(tunOpenError(range, { what: 'x', devicePath: 'y' })).toBe(range);
    expect(udpOpenError('text', { what: 'x' })).toBe('text');
    expect(isNativeError(Object.assign(new Error('x'), { code: 'EPERM' }))).toBe(false);
  });

  it('names errno numbers', () => {
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoName(105)).toBe('ENOBUFS');
    expect(errnoName(99999)).toBe('E99999');
  });
});
