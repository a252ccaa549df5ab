/**
 * What the network tells us (IP_RECVERR): a UDP socket of the addon hears ICMP port unreachable for what it
 * sent, and keeps receiving afterwards; our client names it when the gateway does not answer, where vpnc only
 * says "no response from target". Root; never skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openUdp } from '../../src/io/udp.js';
import { ErrorOrigin, describeNetworkError, type NetworkError } from '../../src/io/network-error.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';
import { createNetns, deleteNetns, linkNetns, requireRoot, waitFor } from '../helpers/netns.js';
import { dgramSend, receive } from './io-helpers.js';
import { BED, createTestbed, destroyTestbed } from '../helpers/testbed.js';
import { runVpncToExit } from '../helpers/vpnc-ref.js';

requireRoot();

const OURS = ['node', join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'vpnc.js')];
let nsA = '';
let nsB = '';

beforeAll(() => {
  nsA = createNetns('io-icmpa');
  nsB = createNetns('io-icmpb');
  linkNetns(nsA, '198.51.100.1/24', nsB, '198.51.100.2/24');
});

afterAll(() => {
  if (nsA) deleteNetns(nsA);
  if (nsB) deleteNetns(nsB);
});

describe('ICMP errors on the addon UDP socket', () => {
  it('port unreachable reaches onNetworkError with who said it and about which port; receiving goes on', async () => {
    const udp = openUdp({ localAddress: '198.51.100.1', localPort: 5500, netns: nsA });
    const heard: NetworkError[] = [];
    udp.onNetworkError((e) => heard.push(e));
    try {
      udp.start(() => {});
      const probe = Buffer.from('anyone?');
      udp.send(probe, 0, probe.length, parseIpv4('198.51.100.2'), 4999);
      await waitFor('the ICMP report', () => (heard.length > 0 ? true : undefined), 3000);
      expect(heard[0]).toMatchObject({ origin: ErrorOrigin.icmp, type: 3, code: 3, from: parseIpv4('198.51.100.2'), destination: parseIpv4('198.51.100.2'), destinationPort: 4999 });
      expect(describeNetworkError(heard[0]!)).toBe('port 4999 unreachable at 198.51.100.2: nothing listens there (ICMP from 198.51.100.2)');
    } finally {
      udp.stop();
    }
    // The socket still receives after the report (POLLERR did not end its poll).
    const got = receive(udp, 3);
    await dgramSend(nsB, '198.51.100.2', 6000, '198.51.100.1', 5500, 'after', 3);
    expect((await got).packets.map(String)).toEqual(['after 0', 'after 1', 'after 2']);
    udp.close();
  });
});

describe('our client when nothing listens at the gateway address', () => {
  it('"no response from target" names what the network said; exit 1', async () => {
    const bed = createTestbed({ prefix: 'ne' });
    try {
      const r = await runVpncToExit({ netns: bed.client, gateway: BED.gatewayOutside, group: 'g', groupSecret: 's', user: 'u', password: 'p', command: OURS, extraConfig: ['IKE timeout 10'] }, 40_000);
      expect(r.code, r.output).toBe(1);
      expect(r.output).toContain(`vpnc: no response from target ${BED.gatewayOutside}:500; the network said: port 500 unreachable at ${BED.gatewayOutside}: nothing listens there (ICMP from ${BED.gatewayOutside})`);
    } finally {
      destroyTestbed(bed);
    }
  }, 60_000);
});
