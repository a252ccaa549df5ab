/**
 * The route monitor (a NETLINK_ROUTE socket opened by the addon) inside a namespace: real `ip` changes to
 * addresses and routes there are noticed; changes in another namespace are not; close() ends the notices.
 * Needs root; fails (never skips) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemError } from '../../src/errors.js';
import { watchRoutes } from '../../src/io/route-monitor.js';
import { createNetns, deleteNetns, linkNetns, nsRun, requireRoot, waitFor } from '../helpers/netns.js';

requireRoot();

let nsA = '';
let nsB = '';
let ifA = '';
let ifB = '';

beforeAll(() => {
  nsA = createNetns('io-rtmona');
  nsB = createNetns('io-rtmonb');
  ({ aIf: ifA, bIf: ifB } = linkNetns(nsA, '198.51.100.1/24', nsB, '198.51.100.2/24'));
});

afterAll(() => {
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('route monitor', () => {
  it('notices a new address, a new route and a removed address in its namespace, and nothing of another', async () => {
    let events = 0;
    const monitor = watchRoutes(() => events++, { netns: nsA });
    try {
      nsRun(nsB, 'ip', ['addr', 'add', '198.51.100.20/24', 'dev', ifB]);
      await settle();
      expect(events).toBe(0);
      nsRun(nsA, 'ip', ['addr', 'add', '198.51.100.10/24', 'dev', ifA]);
      await waitFor('the new address noticed', () => (events > 0 ? true : undefined), 3000);
      const afterAddress = events;
      nsRun(nsA, 'ip', ['route', 'add', '203.0.113.0/24', 'via', '198.51.100.2']);
      await waitFor('the new route noticed', () => (events > afterAddress ? true : undefined), 3000);
      const afterRoute = events;
      nsRun(nsA, 'ip', ['addr', 'del', '198.51.100.10/24', 'dev', ifA]);
      await waitFor('the removed address noticed', () => (events > afterRoute ? true : undefined), 3000);
    } finally {
      monitor.close();
    }
    const closedAt = events;
    nsRun(nsA, 'ip', ['route', 'add', '192.0.2.0/24', 'via', '198.51.100.2']);
    await settle();
    expect(events).toBe(closedAt);
  });

  it('a namespace that does not exist: a SystemError that names it', () => {
    let thrown: unknown;
    try {
      watchRoutes(() => {}, { netns: 'vpncts-no-such-namespace' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SystemError);
    expect((thrown as Error).message).toMatch(/cannot watch the kernel's routes \(netlink\).*network namespace "vpncts-no-such-namespace" does not exist/);
  });
});
