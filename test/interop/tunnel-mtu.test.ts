/**
 * The tunnel MTU from what was negotiated. Behind the bed's NAT router, whose link to the gateway carries
 * only 1300 bytes (the client's own link has 1500): the client starts with the MTU its own link allows, the
 * first large packets meet "fragmentation needed" at the router, the kernel learns the path MTU, and the client
 * lowers the device's MTU to the arithmetic's value; a 16 MiB TCP transfer each way completes with matching
 * sha256. Root; never skipped.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { innerMtu, type Encapsulation } from '../../src/esp/overhead.js';
import { resolveEspSuite } from '../../src/esp/transforms.js';
import { Gateway } from '../../src/gateway/gateway.js';
import { startProjectGateway } from '../helpers/project-gateway.js';
import { nsRun, requireRoot, waitFor } from '../helpers/netns.js';
import { BED, createTestbed, destroyTestbed, type Testbed } from '../helpers/testbed.js';
import { tcpTransferBothWays } from '../helpers/traffic.js';
import { startVpnc } from '../helpers/vpnc-ref.js';

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
const BYTES = 16 << 20;
/** What the project's gateway picks from our proposals: AES-CBC-256 with HMAC-SHA1-96. */
const SUITE = resolveEspSuite(12, 256, 2);

function linkMtu(ns: string, dev: string): number {
  const m = / mtu (\d+) /.exec(nsRun(ns, 'ip', ['-o', 'link', 'show', 'dev', dev]));
  return Number(m?.[1]);
}

describe('tunnel MTU', () => {
  let bed: Testbed;
  let gw: Gateway;
  const log: string[] = [];
  beforeAll(() => {
    requireRoot();
    bed = createTestbed({ nat: true, prefix: 'mt' });
    // The router's link to the gateway: 1300 bytes, both ends.
    const routerOut = nsRun(bed.router!, 'ip', ['-o', 'route', 'get', BED.gatewayOutside]).match(/ dev (\S+)/)![1]!;
    nsRun(bed.router!, 'ip', ['link', 'set', 'dev', routerOut, 'mtu', '1300']);
    nsRun(bed.gateway, 'ip', ['link', 'set', 'dev', bed.gatewayOutsideIf, 'mtu', '1300']);
    gw = startProjectGateway(bed.gateway, [`Pool ${BED.poolFirst}-${BED.poolLast}`, `Split include ${BED.innerNet}`, 'Interface name gwt%d'], { name: 'tunnel-mtu.conf', log });
  });
  afterAll(() => {
    gw?.close();
    if (bed) destroyTestbed(bed);
  });

  it('a 1300-byte hop behind the NAT: the MTU is lowered from what the link allows to what the path allows; 16 MiB each way arrive intact', async () => {
    const expected = (path: number, e: Encapsulation) => innerMtu(path, SUITE, e);
    const v = startVpnc({ netns: bed.client, gateway: BED.gatewayOutside, group: 'testgroup', groupSecret: 'group-secret-42', user: 'alice', password: 'wonderland', command: OURS, debug: 1 });
    try {
      const tun = await v.waitForTunnel(20_000);
      expect(v.output()).toContain('ESP over udp');
      expect(v.output()).toContain(SUITE.name);
      // The first MTU is what the path allowed as far as the kernel knew then: the client's own link, unless the
      // router's "fragmentation needed" for an early IKE packet (AM1 is large) already taught it 1300.
      const first = await waitFor('the first MTU', () => {
        const m = linkMtu(bed.client, tun.device);
        return m === expected(1500, 'udp') || m === expected(1300, 'udp') ? m : undefined;
      }, 5000);
      const { upload, download } = await tcpTransferBothWays(bed.client, bed.inner, BED.innerHost, BYTES);
      expect(upload.received).toEqual(upload.sent);
      expect(download.received).toEqual(download.sent);
      expect(upload.sent.bytes).toBe(BYTES);
      await waitFor('the MTU for the 1300-byte path', () => (linkMtu(bed.client, tun.device) === expected(1300, 'udp') ? true : undefined), 10_000);
      const said = first === expected(1500, 'udp')
        ? `the path to the gateway now carries at most 1300 bytes: tunnel MTU lowered from ${expected(1500, 'udp')} to ${expected(1300, 'udp')}`
        : `tunnel MTU ${expected(1300, 'udp')}: path MTU 1300 minus ESP overhead (${SUITE.name} over udp)`;
      await waitFor('the log line', () => (v.output().includes(said) ? true : undefined), 5000).catch((err: Error) => {
        throw new Error(`${err.message}: ${said}\n${v.output()}`);
      });
    } finally {
      expect(await v.stop()).toEqual({ code: 0, signal: null });
    }
  }, 120_000);
});
