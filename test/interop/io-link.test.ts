/**
 * Path MTU and device MTU through the addon inside namespaces: the kernel's answer for a route over a
 * 1300-byte link, a device's MTU set and read back with real `ip`, and the errors for what does not exist.
 * Needs root; fails (never skips) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import { pathMtu, setLinkMtu } from '../../src/io/link.js';
import { createNetns, deleteNetns, linkNetns, nsRun, requireRoot } from '../helpers/netns.js';
import { thrown } from '../helpers/thrown.js';

requireRoot();

let nsA = '';
let nsB = '';
let ifA = '';

beforeAll(() => {
  nsA = createNetns('io-linka');
  nsB = createNetns('io-linkb');
  ({ aIf: ifA } = linkNetns(nsA, '198.51.100.1/24', nsB, '198.51.100.2/24'));
});

afterAll(() => {
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

describe('path MTU and device MTU', () => {
  it('setLinkMtu changes the device as ip sees it, and pathMtu towards a host on that link follows', () => {
    expect(pathMtu('198.51.100.2', nsA)).toBe(1500);
    setLinkMtu(ifA, 1300, nsA);
    expect(nsRun(nsA, 'ip', ['-o', 'link', 'show', 'dev', ifA])).toMatch(/ mtu 1300 /);
    expect(pathMtu('198.51.100.2', nsA)).toBe(1300);
  });

  it('a route with an mtu of its own is what pathMtu reports', () => {
    nsRun(nsA, 'ip', ['route', 'add', '203.0.113.0/24', 'via', '198.51.100.2', 'mtu', '1280']);
    expect(pathMtu('203.0.113.7', nsA)).toBe(1280);
  });

  it('no route, no device, no namespace: SystemErrors that say which', () => {
    const noRoute = thrown(() => pathMtu('192.0.2.1', nsA));
    expect(noRoute).toBeInstanceOf(SystemError);
    expect(noRoute.message).toMatch(/^cannot learn the path MTU towards 192\.0\.2\.1: .*ENETUNREACH/);
    const noDevice = thrown(() => setLinkMtu('vpncts-none0', 1300, nsA));
    expect(noDevice).toBeInstanceOf(SystemError);
    expect(noDevice.message).toMatch(/^cannot set the MTU of vpncts-none0 to 1300: .*ENODEV/);
    expect(thrown(() => pathMtu('198.51.100.2', 'vpncts-no-such-ns')).message).toMatch(/ENOENT/);
  });
});
