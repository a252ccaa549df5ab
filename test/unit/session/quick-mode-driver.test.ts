/**
 * The quick mode driver: PFS group and encapsulation choices, inbound SPIs, and a whole runQuickMode over a
 * real IkeChannel (loopback UDP) against the test responder, whose ESP keys must equal ours.
 */
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { VpncConfig } from '../../../src/config/validate.js';
import { splitKeymat } from '../../../src/esp/sa.js';
import { ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { EncapsulationMode } from '../../../src/ike/ipsec-attributes.js';
import { decodeHeader } from '../../../src/ike/message.js';
import { silentLogger } from '../../../src/log.js';
import { IkeChannel } from '../../../src/session/ike-channel.js';
import { encapModeFor, pfsGroupFor, runQuickMode } from '../../../src/session/quick-mode-driver.js';
import { establish } from '../ike/established.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

describe('choices', () => {
  it('pfsGroupFor: "server" means dh2 when the gateway asks for PFS, else the configured group (0 = none)', () => {
    expect(pfsGroupFor('server', 1)).toBe(2);
    expect(pfsGroupFor('server', 0)).toBe(0);
    expect(pfsGroupFor('server', undefined)).toBe(0);
    expect(pfsGroupFor(5, undefined)).toBe(5);
    expect(pfsGroupFor(0, 1)).toBe(0);
  });

  it('encapModeFor: tunnel without NAT-T, UDP tunnel (3) for RFC 3947, 61443 for the drafts', () => {
    expect(encapModeFor('none')).toBe(EncapsulationMode.TUNNEL);
    expect(encapModeFor('rfc')).toBe(3);
    expect(encapModeFor('draft')).toBe(61443);
  });
});

const CONFIG = {
  gateway: '127.0.0.1', id: 'vpngroup', secret: 'group secret', username: 'alice', password: 'pw', domain: undefined,
  xauthInteractive: false, vendor: 'cisco', vendorGiven: false, backupServers: [], nattMode: 'natt', script: '/bin/true', dhGroup: 14, pfs: 'server',
  weakEncryption: false, noEncryption: false, weakAuthentication: false, applicationVersion: 'test', ifName: undefined,
  ifMode: 'tun', ifMtu: 0, debug: 0, noDetach: true, noNattFallback: false, pidFile: '', localAddr: '127.0.0.1', localPort: 0, udpPort: 10000,
  noIpv6: false, dpdIdle: 0, nonInteractive: true, authMode: 'psk', caFile: undefined, caDir: '/etc/ssl/certs',
  targetNetwork: { address: '203.0.113.0', prefixLength: 24 }, passwordHelper: undefined, trace: undefined, traceKeys: undefined,
  reconnectTimeout: 0,
  ikeTimeout: 30,
  certFile: undefined,
  keyFile: undefined,
  certPassword: undefined,
  ikeLifetime: 2147483,
  passwordTyped: false,
} satisfies VpncConfig;

describe('runQuickMode over the IKE channel', () => {
  it('runs QM1 -> QM2 -> QM3 with the test responder (with PFS) and builds matching ESP SAs', async () => {
    const { result, resp } = establish();
    const gw = createSocket('udp4');
    cleanup.push(() => gw.close());
    await new Promise<void>((resolve) => gw.bind(0, '127.0.0.1', resolve));
    const channel = new IkeChannel({ localAddress: '127.0.0.1', localPort: 0, gateway: '127.0.0.1', gatewayPort: gw.address().port, log: silentLogger });
    cleanup.push(() => channel.close());
    const others: Buffer[] = [];
    const qm3 = new Promise<Buffer>((resolve) => {
      let seen = 0;
      gw.on('message', (msg, from) => {
        seen++;
        if (seen === 1) {
          // First an informational of the SA (goes to `other`) and one with a cookie we never sent (dropped by
          // the channel), then the answer.
          const info = resp.seal(ExchangeType.INFORMATIONAL, 0x66, [{ type: PayloadType.NOTIFICATION, doi: 1, protocol: 1, messageType: 36136, spi: result.sa.spi, data: Buffer.alloc(4) }]);
          const stray = Buffer.from(info);
          stray.fill(0x33, 0, 8);
          gw.send(stray, from.port, from.address);
          gw.send(info, from.port, from.address);
          gw.send(resp.answerQm1(msg), from.port, from.address);
        } else resolve(msg);
      });
    });
    const pair = await runQuickMode(result.sa, channel, silentLogger, { config: CONFIG, localAddress: '192.0.2.10', remote: CONFIG.targetNetwork, pfsGroup: 14, encapMode: EncapsulationMode.TUNNEL }, (d) => others.push(d));
    resp.readQm3(await qm3);
    expect(others).toHaveLength(1);
    expect(decodeHeader(others[0]!).exchangeType).toBe(ExchangeType.INFORMATIONAL);
    expect(channel.dropped.stranger).toBe(1);
    expect(resp.qm.gxy).toBeDefined();
    expect(pair.outbound.spi).toBe(resp.qm.spiR.readUInt32BE(0));
    expect(pair.inbound.spi).toBe(resp.qm.spiI.readUInt32BE(0));
    const suite = pair.inbound.suite;
    expect(pair.outbound.keys).toEqual(splitKeymat(suite, resp.keymat(resp.qm.spiR, suite.keymatLength)));
    expect(pair.inbound.keys).toEqual(splitKeymat(suite, resp.keymat(resp.qm.spiI, suite.keymatLength)));
    expect(pair.description).toBe(`AES-CBC-256/HMAC-SHA1-96, SPI in 0x${resp.qm.spiI.toString('hex')} out 0xc0ffee01, PFS dh14`);
    expect([pair.lifetimeSeconds, pair.lifetimeKilobytes]).toEqual([2147483, 0]);
  });
});
