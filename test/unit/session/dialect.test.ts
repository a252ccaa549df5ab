/**
 * Vendor dialects: the client's choice (chooseDialect) from the Vendor setting and the gateway's vendor IDs, the
 * makers those IDs name, and the project's gateway in each Dialect, driven by the client's own pure exchanges
 * (aggressive mode, XAUTH, mode config pull) byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { NotifyType, PayloadType } from '../../../src/ike/constants.js';
import { ModeConfigClient } from '../../../src/ike/exchanges/mode-config-client.js';
import { XauthClient } from '../../../src/ike/exchanges/xauth-client.js';
import type { XauthField } from '../../../src/ike/exchanges/xauth.js';
import { decodeMessage } from '../../../src/ike/message.js';
import { gatewayMakerOf, vendorIdName, VendorId } from '../../../src/ike/vendor-ids.js';
import { parseGatewayConfig, type GatewayConfig } from '../../../src/gateway/config.js';
import { clientMeetsGateway, sent } from '../../helpers/client-meets-gateway.js';
import { chooseDialect } from '../../../src/session/dialect.js';

function gatewayConfig(dialect: string | undefined): GatewayConfig {
  const lines = ['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.11', 'DNS 203.0.113.53', 'Split include 203.0.113.0/24'];
  if (dialect) lines.push(`Dialect ${dialect}`);
  return parseGatewayConfig(lines.join('\n'), 'unit.conf');
}

/** Our initiator against a gateway peer in `dialect`; throws what the responder throws for AM1. */
function phase1(dialect: string | undefined, lifetimeSeconds?: number) {
  return clientMeetsGateway(gatewayConfig(dialect), lifetimeSeconds ? { lifetimeSeconds } : {});
}

/** XAUTH with the right password, up to the first message after the reply. */
function afterReply(dialect: string | undefined) {
  const p = phase1(dialect);
  const xauth = new XauthClient(p.result.sa);
  expect(xauth.receive(p.xauthRequest).kind).toBe('ask');
  const next = sent(p.peer.receive(xauth.answer(new Map<XauthField, string>([['username', 'u'], ['password', 'p']]))));
  return { ...p, xauth, next };
}

describe('chooseDialect', () => {
  it('a given Vendor holds: cisco and fortigate pull and refuse a push, netscreen takes a push and never pulls', () => {
    expect(chooseDialect('cisco', true, undefined)).toMatchObject({ dialect: 'cisco', push: 'refuse', pull: true, notice: undefined });
    expect(chooseDialect('fortigate', true, 'fortigate')).toMatchObject({ dialect: 'fortigate', push: 'refuse', pull: true, notice: undefined });
    expect(chooseDialect('netscreen', true, undefined)).toMatchObject({ dialect: 'netscreen', push: 'take', pull: false, notice: undefined });
  });

  it('a given Vendor that the vendor IDs contradict is kept, with a notice naming both', () => {
    const c = chooseDialect('cisco', true, 'netscreen');
    expect(c.dialect).toBe('cisco');
    expect(c.notice).toBe("the gateway's vendor IDs say Juniper/Netscreen, but Vendor cisco is set: speaking the cisco dialect");
    expect(c.describe).toBe("the gateway's vendor IDs say Juniper/Netscreen; dialect cisco (the Vendor setting)");
  });

  it('left at its default, the vendor IDs choose netscreen or fortigate, and say so', () => {
    const n = chooseDialect('cisco', false, 'netscreen');
    // Recognised, not set: a Juniper that answers pulls (and got KEY_ID in AM1) still works.
    expect(n).toMatchObject({ dialect: 'netscreen', push: 'take', pull: true });
    expect(n.notice).toBe("the gateway's vendor IDs say Juniper/Netscreen: speaking the netscreen dialect");
    expect(chooseDialect('cisco', false, 'fortigate')).toMatchObject({ dialect: 'fortigate', push: 'take-noted', pull: true });
  });

  it('left at its default with a Cisco, strongSwan or unnamed gateway: cisco, a push taken with a notice', () => {
    for (const maker of ['cisco', 'strongswan', undefined] as const) {
      const c = chooseDialect('cisco', false, maker);
      expect(c).toMatchObject({ dialect: 'cisco', push: 'take-noted', pull: true, notice: undefined });
    }
    expect(chooseDialect('cisco', false, undefined).describe).toBe('the gateway names no maker in its vendor IDs; dialect cisco (the default)');
    expect(chooseDialect('cisco', false, 'strongswan').describe).toBe("the gateway's vendor IDs say strongSwan; dialect cisco (the default)");
  });
});

describe('gatewayMakerOf and vendorIdName', () => {
  const netscreen5gt = Buffer.from('166f932d55eb64d8e4df4fd37e2313f0d0fd84510000000000000000', 'hex');
  const netscreenOther = Buffer.from('9436e8d67174ef9aed068d5ad5213f187a3f8ba60000000900000500', 'hex');
  const vpn3000 = Buffer.from('1f07f70eaa6514d3b0fa96542a500407', 'hex');

  it('names the maker from its own vendor ID; Unity alone names none', () => {
    expect(gatewayMakerOf([VendorId.CISCO_UNITY, VendorId.XAUTH, VendorId.DPD])).toBeUndefined();
    expect(gatewayMakerOf([VendorId.XAUTH, netscreenOther])).toBe('netscreen');
    expect(gatewayMakerOf([VendorId.CISCO_UNITY, VendorId.FORTIGATE])).toBe('fortigate');
    expect(gatewayMakerOf([VendorId.CISCO_UNITY, VendorId.STRONGSWAN])).toBe('strongswan');
    expect(gatewayMakerOf([vpn3000])).toBe('cisco');
    expect(gatewayMakerOf([])).toBeUndefined();
  });

  it('the ambiguous SafeNet/WatchGuard/SonicWall prefix names no maker, and a prefix alone is not a Netscreen', () => {
    expect(gatewayMakerOf([Buffer.from('da8e937880010000', 'hex')])).toBeUndefined();
    expect(vendorIdName(Buffer.from('da8e937880010000', 'hex'))).toBe('SafeNet, WatchGuard or SonicWall');
    expect(gatewayMakerOf([netscreen5gt.subarray(0, 19)])).toBeUndefined();
    expect(gatewayMakerOf([vpn3000.subarray(0, 15)])).toBeUndefined();
  });

  it('names the new IDs for the debug log', () => {
    expect(vendorIdName(netscreenOther)).toBe('Juniper/Netscreen');
    expect(vendorIdName(netscreen5gt)).toBe('Netscreen 15');
    expect(vendorIdName(vpn3000)).toBe('Cisco VPN 3000');
    expect(vendorIdName(VendorId.FORTIGATE)).toBe('FortiGate');
    expect(vendorIdName(VendorId.STRONGSWAN)).toBe('strongSwan');
  });
});

describe('the gateway in each Dialect, driven by the client\'s exchanges', () => {
  it('cisco (the default): Unity, no maker named; XAUTH status right after the reply; the pull is answered', () => {
    const { result, peer, xauth, next } = afterReply(undefined);
    expect(gatewayMakerOf(result.peer.vendorIds)).toBeUndefined();
    expect(result.peer.unity).toBe(true);
    const status = xauth.receive(next);
    expect(status).toMatchObject({ kind: 'status', ok: true });
    if (status.kind !== 'status') throw new Error('unreachable');
    expect(peer.receive(status.send)).toEqual([]);
    const pull = new ModeConfigClient(result.sa, { ciscoUdp: false, applicationVersion: 'v', hostname: 'h' });
    expect(pull.receive(sent(peer.receive(pull.request()))).address).toBe('192.0.2.10');
  });

  it('netscreen: its vendor ID and no Unity; mode config (no Unity attributes) pushed between the reply and the status; a pull goes unanswered', () => {
    const { result, peer, xauth, next } = afterReply('netscreen');
    expect(gatewayMakerOf(result.peer.vendorIds)).toBe('netscreen');
    expect(result.peer.unity).toBe(false);
    const push = xauth.receive(next);
    expect(push.kind).toBe('pushed');
    if (push.kind !== 'pushed') throw new Error('unreachable');
    expect(push.modeConfig).toMatchObject({ address: '192.0.2.10', dns: ['203.0.113.53'] });
    // No Unity at a Netscreen: the split include stays at the gateway.
    expect(push.modeConfig.splitInclude).toEqual([]);
    const statusMsg = sent(peer.receive(push.send));
    expect(peer.stageName).toBe('xauth-status');
    expect(xauth.accepts(statusMsg)).toBe(true);
    const status = xauth.receive(statusMsg);
    expect(status).toMatchObject({ kind: 'status', ok: true });
    if (status.kind !== 'status') throw new Error('unreachable');
    expect(peer.receive(status.send)).toEqual([]);
    expect(peer.stageName).toBe('ready');
    const pull = new ModeConfigClient(result.sa, { ciscoUdp: false, applicationVersion: 'v', hostname: 'h' });
    expect(peer.receive(pull.request())).toEqual([]);
  });

  it('netscreen with the pool exhausted: no push, status FAIL, and the peer closes at the ACK', () => {
    const config = parseGatewayConfig(
      ['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.10', 'Dialect netscreen'].join('\n'),
      'unit.conf',
    );
    const p = clientMeetsGateway(config, {}, () => undefined);
    const xauth = new XauthClient(p.result.sa);
    xauth.receive(p.xauthRequest);
    const status = xauth.receive(sent(p.peer.receive(xauth.answer(new Map<XauthField, string>([['username', 'u'], ['password', 'p']])))));
    expect(status).toMatchObject({ kind: 'status', ok: false });
    if (status.kind !== 'status') throw new Error('unreachable');
    expect(p.peer.receive(status.send).map((a) => a.kind)).toEqual(['close']);
  });

  it('netscreen: a repeated push ACK gets the status again (the client resends its ACK until the status comes)', () => {
    const { peer, xauth, next } = afterReply('netscreen');
    const push = xauth.receive(next);
    if (push.kind !== 'pushed') throw new Error(`expected the push, got ${push.kind}`);
    const status = sent(peer.receive(push.send));
    expect(sent(peer.receive(push.send))).toEqual(status);
  });

  it('netscreen with a wrong password: no push, status FAIL', () => {
    const p = phase1('netscreen');
    const xauth = new XauthClient(p.result.sa);
    xauth.receive(p.xauthRequest);
    const next = sent(p.peer.receive(xauth.answer(new Map<XauthField, string>([['username', 'u'], ['password', 'wrong']]))));
    expect(xauth.receive(next)).toMatchObject({ kind: 'status', ok: false });
  });

  it('watchguard: Unity and no maker named; pushes like a Netscreen (with the split include) and answers a pull as well', () => {
    const { result, peer, xauth, next } = afterReply('watchguard');
    expect(gatewayMakerOf(result.peer.vendorIds)).toBeUndefined();
    expect(result.peer.unity).toBe(true);
    const push = xauth.receive(next);
    expect(push).toMatchObject({ kind: 'pushed', modeConfig: { address: '192.0.2.10' } });
    if (push.kind !== 'pushed') throw new Error('unreachable');
    expect(push.modeConfig.splitInclude.map((s) => `${s.address}/${s.prefixLength}`)).toEqual(['203.0.113.0/24']);
    const status = xauth.receive(sent(peer.receive(push.send)));
    if (status.kind !== 'status') throw new Error(`expected the status, got ${status.kind}`);
    peer.receive(status.send);
    const pull = new ModeConfigClient(result.sa, { ciscoUdp: false, applicationVersion: 'v', hostname: 'h' });
    expect(pull.receive(sent(peer.receive(pull.request()))).address).toBe('192.0.2.10');
  });

  it('fortigate: its vendor ID; the malformed RESPONDER-LIFETIME in AM2 is skipped: the lifetime is the SA\'s 28800 s, not the 86400 it holds', () => {
    const { result, am2 } = phase1('fortigate', 28800);
    expect(gatewayMakerOf(result.peer.vendorIds)).toBe('fortigate');
    const notify = decodeMessage(am2).payloads.find((p) => p.type === PayloadType.NOTIFICATION);
    // LIFE_TYPE seconds, then attribute 2 (not LIFE_DURATION) with 86400 as a 4-byte value, as FortiGate sends it.
    expect(notify?.type === PayloadType.NOTIFICATION ? notify.data.toString('hex') : '').toBe('800b0001' + '00020004' + '00015180');
    expect(result.ikeLifetimeSeconds).toBe(28800);
  });

  it('fortigate: vpnc\'s lifetime of 2147483 s is refused with NO_PROPOSAL_CHOSEN naming the limit; a day is accepted', () => {
    let refusal: unknown;
    try {
      phase1('fortigate');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(ProtocolError);
    expect((refusal as ProtocolError).notify).toBe(NotifyType.NO_PROPOSAL_CHOSEN);
    expect((refusal as Error).message).toContain('lifetime at most 86400 s');
    expect(phase1('fortigate', 86400).result.sa).toBeDefined();
  });
});

describe('gateway Dialect setting', () => {
  it('defaults to cisco, takes any case, and names the file and line of a bad value', () => {
    expect(gatewayConfig(undefined).dialect).toBe('cisco');
    expect(gatewayConfig('NetScreen').dialect).toBe('netscreen');
    expect(() => gatewayConfig('juniper')).toThrow('unit.conf:8: Dialect: "juniper" is not one of cisco, netscreen, fortigate, watchguard');
  });
});
