/**
 * A slow, reordering path: a userspace relay in the NAT router's namespace holds every IKE and NAT-T datagram
 * for its own random 0-40 ms each way (this kernel has no netem), so ESP packets overtake one another. Our
 * client against the project's gateway through it: the tunnel comes up, and a burst of pings 5 ms apart is
 * answered in full although the relay reordered ESP in both directions (the replay window takes packets out of
 * order; a check of "newer than the last" would drop them). Root; never skipped.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/gateway/gateway.js';
import { requireBinaries, requireRoot } from '../helpers/netns.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { ping } from '../helpers/traffic.js';
import { startRelay, type Relay } from '../helpers/udp-relay.js';
import { envRecordingScript, startVpnc, VPNC_SCRIPT } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const PINGS = 400;

describe('a path that delays each datagram by 0-40 ms (reordering)', () => {
  let bed: Testbed;
  let gw: Gateway | undefined;
  let relay: Relay | undefined;
  const log: string[] = [];

  beforeAll(() => {
    requireRoot();
    requireBinaries([VPNC_SCRIPT, 'ip', 'unshare', 'stdbuf', 'nft', 'ping']);
    bed = createTestbed({ nat: true, prefix: 'ro' });
    try {
      gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'Interface name gwro%d'], { name: 'reorder.conf', log });
      relay = startRelay({ netns: bed.router!, listen: BED.routerInside, upstreamFrom: BED.routerOutside, upstream: BED.gatewayOutside, ports: [500, 4500], minDelayMs: 0, maxDelayMs: 40, seed: 20261201 });
    } catch (err) {
      relay?.close();
      gw?.close();
      destroyTestbed(bed);
      throw err;
    }
  });
  afterAll(() => {
    relay?.close();
    gw?.close();
    if (bed) destroyTestbed(bed);
  });

  it(`comes up through the relay; ${PINGS} pings 5 ms apart all answered while ESP is reordered both ways`, async () => {
    const script = envRecordingScript();
    // The relay is the gateway for the client: the real one sees the relay's address (a NAT), so ESP goes in UDP 4500.
    const v = startVpnc({ netns: bed.client, gateway: BED.routerInside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', script: script.path, command: OURS });
    try {
      await v.waitForTunnel(60_000);
      expect(v.output()).not.toContain('no response');
      const before = { ...relay!.reordered };
      const p = await ping(bed.client, BED.innerHost, PINGS, 0.005);
      const reordered = { up: relay!.reordered.up - before.up, down: relay!.reordered.down - before.down };
      console.log(`reordering relay: ${p.received}/${p.transmitted} pings answered; datagrams forwarded after a later one: to the gateway ${reordered.up}, to the client ${reordered.down}`);
      // The relay did reorder ESP both ways, or the test proves nothing.
      expect(reordered.up).toBeGreaterThan(10);
      expect(reordered.down).toBeGreaterThan(10);
      expect(p.received, p.output).toBe(PINGS);
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
      rmSync(script.dir, { recursive: true, force: true });
    }
  }, 120_000);
});
