/**
 * The client's XAUTH and mode config as pure exchanges (XauthClient, ModeConfigClient), run against the
 * project's gateway logic (GatewayPeer) byte for byte, then their refusals and a fuzz of what they read.
 */
import { describe, expect, it } from 'vitest';
import { VpncError } from '../../../src/errors.js';
import { ExchangeType } from '../../../src/ike/constants.js';
import { ModeConfigClient } from '../../../src/ike/exchanges/mode-config-client.js';
import { backupServerList } from '../../../src/ike/exchanges/mode-config.js';
import { XauthClient, type XauthStep } from '../../../src/ike/exchanges/xauth-client.js';
import type { XauthField } from '../../../src/ike/exchanges/xauth.js';
import type { IkeSa } from '../../../src/ike/ike-sa.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import type { GatewayPeer } from '../../../src/gateway/peer.js';
import { clientMeetsGateway, sent } from '../../helpers/client-meets-gateway.js';

const config = parseGatewayConfig(
  ['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.11', 'DNS 203.0.113.53', 'Banner hello', 'Split include 203.0.113.0/24'].join('\n'),
  'unit.conf',
);

/** Aggressive mode between our initiator and the gateway's peer: the client's SA and the gateway's first XAUTH request. */
function established(): { sa: IkeSa; peer: GatewayPeer; xauthRequest: Buffer } {
  const { result, peer, xauthRequest } = clientMeetsGateway(config);
  return { sa: result.sa, peer, xauthRequest };
}

const answers = (password: string) => new Map<XauthField, string>([['username', 'u'], ['password', password]]);

/** XAUTH through to the status, answering with `password`. */
function throughXauth(password: string) {
  const { sa, peer, xauthRequest } = established();
  const xauth = new XauthClient(sa);
  expect(xauth.accepts(xauthRequest)).toBe(true);
  const ask = xauth.receive(xauthRequest);
  expect(ask.kind).toBe('ask');
  if (ask.kind !== 'ask') throw new Error('unreachable');
  expect(ask.request.fields).toEqual(['username', 'password']);
  expect(ask.request.challenge).toBe(false);
  const reply = xauth.answer(answers(password));
  const setMsg = sent(peer.receive(reply));
  // The gateway repeating its request is not the next message; its SET is.
  expect(xauth.accepts(xauthRequest)).toBe(false);
  expect(xauth.accepts(setMsg)).toBe(true);
  const status = xauth.receive(setMsg);
  return { sa, peer, xauth, status };
}

describe('XauthClient and ModeConfigClient against the gateway', () => {
  it('request -> reply -> status OK -> ACK, then the mode config pull gives the pool address, DNS, banner and split', () => {
    const { sa, peer, status } = throughXauth('p');
    expect(status.kind).toBe('status');
    if (status.kind !== 'status') throw new Error('unreachable');
    expect(status.ok).toBe(true);
    expect(peer.receive(status.send)).toEqual([]);
    const pull = new ModeConfigClient(sa, { ciscoUdp: false, applicationVersion: 'Cisco Systems VPN Client 0.5.3:Linux', hostname: 'laptop' });
    const replyMsg = sent(peer.receive(pull.request()));
    expect(pull.accepts(replyMsg)).toBe(true);
    const mc = pull.receive(replyMsg);
    expect(mc.address).toBe('192.0.2.10');
    expect(mc.dns).toEqual(['203.0.113.53']);
    expect(mc.banner).toBe('hello');
    expect(mc.splitInclude.map((n) => `${n.address}/${n.prefixLength}`)).toEqual(['203.0.113.0/24']);
  });

  it('a wrong password: status not OK (the ACK still goes)', () => {
    const { peer, status } = throughXauth('wrong');
    expect(status).toMatchObject({ kind: 'status', ok: false });
    if (status.kind === 'status') expect(() => peer.receive(status.send)).not.toThrow();
  });
});

describe('XauthClient and ModeConfigClient: what they refuse', () => {
  it('accepts() takes only transaction messages of its own SA', () => {
    const { sa, xauthRequest } = established();
    const xauth = new XauthClient(sa);
    const otherCookie = Buffer.from(xauthRequest);
    otherCookie[0] = otherCookie[0]! ^ 0xff;
    const otherType = Buffer.from(xauthRequest);
    otherType[18] = ExchangeType.INFORMATIONAL;
    expect(xauth.accepts(otherCookie)).toBe(false);
    expect(xauth.accepts(otherType)).toBe(false);
    expect(xauth.accepts(xauthRequest.subarray(0, 20))).toBe(false);
    const pull = new ModeConfigClient(sa, { ciscoUdp: false, applicationVersion: 'x', hostname: 'h' });
    expect(pull.accepts(xauthRequest)).toBe(false); // another message id
  });

  it('a message whose body was changed fails its HASH(1) or decryption with a typed error', () => {
    const { sa, xauthRequest } = established();
    const bad = Buffer.from(xauthRequest);
    bad[bad.length - 20] = bad[bad.length - 20]! ^ 0x01;
    expect(() => new XauthClient(sa).receive(bad)).toThrow(VpncError);
  });

  it('answer() without a request is a programming error, not a message', () => {
    const { sa } = established();
    expect(() => new XauthClient(sa).answer(answers('p'))).toThrow(/without a pending request/);
  });

  it('fuzz: 2000 mutated gateway messages give a step or a typed error, never anything else', () => {
    const { sa, xauthRequest } = established();
    let seed = 12345;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    let steps = 0;
    let refusals = 0;
    for (let i = 0; i < 2000; i++) {
      const m = Buffer.from(xauthRequest);
      // Keep the cookies and flags so that the SA opens it; change bytes after the header, or the length.
      const n = 1 + (rnd() % 4);
      for (let k = 0; k < n; k++) m[28 + (rnd() % (m.length - 28))] = rnd() & 0xff;
      const d = rnd() % 5 === 0 ? m.subarray(0, 28 + (rnd() % (m.length - 28))) : m;
      let step: XauthStep | undefined;
      try {
        step = new XauthClient(sa).receive(d);
        steps++;
      } catch (err) {
        expect(err).toBeInstanceOf(VpncError);
        refusals++;
      }
      if (step) expect(['ask', 'pushed', 'status']).toContain(step.kind);
    }
    expect(steps + refusals).toBe(2000);
    expect(refusals).toBeGreaterThan(1900);
  });
});

describe('UNITY_BACKUP_SERVERS', () => {
  it('reads names and addresses separated by commas, blanks or NULs; drops what is no host name', () => {
    expect(backupServerList('192.0.2.7,vpn2.example.com vpn3\0')).toEqual(['192.0.2.7', 'vpn2.example.com', 'vpn3']);
    expect(backupServerList('ok.example, $(rm -rf /), -bad, ;x')).toEqual(['ok.example']);
    expect(backupServerList('')).toEqual([]);
  });

  it('the gateway offers them and the client reads them from the mode config reply', () => {
    const { sa, peer, xauthRequest } = established();
    const xauth = new XauthClient(sa);
    xauth.receive(xauthRequest);
    const status = xauth.receive(sent(peer.receive(xauth.answer(answers('p')))));
    if (status.kind === 'status') peer.receive(status.send);
    const pull = new ModeConfigClient(sa, { ciscoUdp: false, applicationVersion: 'x', hostname: 'h' });
    expect(pull.receive(sent(peer.receive(pull.request()))).backupServers).toEqual([]);
  });
});
