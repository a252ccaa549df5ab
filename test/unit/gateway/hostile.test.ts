/**
 * The gateway's hostile mode without sockets: plans are a pure function of the seed; the raw structures round-trip;
 * a message re-sealed with the real keys is authentic to the client (its own IkeSa opens it and the HASH verifies);
 * and the client's own pure exchanges (aggressive mode, XAUTH, mode config, quick mode both ways, informational)
 * meet every step's treatment throwing nothing but typed errors: the in-process core of the interop campaign
 * (test/interop/hostile-gateway.test.ts). VPNC_HOSTILE_UNIT_SEEDS sets the seeds per step (default 300).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, VpncError } from '../../../src/errors.js';
import { EncapsulationMode, ExchangeType, PayloadType } from '../../../src/ike/constants.js';
import { buildDeleteAll, buildDpd, parseInformational } from '../../../src/ike/exchanges/informational.js';
import { ModeConfigClient } from '../../../src/ike/exchanges/mode-config-client.js';
import { QuickModeInitiator } from '../../../src/ike/exchanges/quick-mode.js';
import { tunnelIdsOf } from '../../../src/ike/exchanges/quick-mode-ids.js';
import { clientRekeyPolicy, QuickModeResponder, type QuickModeKeys } from '../../../src/ike/exchanges/quick-mode-responder.js';
import { XauthClient } from '../../../src/ike/exchanges/xauth-client.js';
import type { IkeSa } from '../../../src/ike/ike-sa.js';
import { decodeMessage, splitMessage } from '../../../src/ike/message.js';
import { silentLogger } from '../../../src/log.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import { joinAttributes, joinChain, joinSa, splitAttributes, splitChain, splitSa } from '../../../src/gateway/hostile/chain.js';
import { describePlan, HOSTILE_STEPS, planSession, PLAIN_OPS, sessionSeed, type HostilePlan, type HostileStep, type PlainOp } from '../../../src/gateway/hostile/plan.js';
import { mixSeed, Prng } from '../../../src/gateway/hostile/prng.js';
import { openOutgoing, quickModeNonce, sealOutgoing } from '../../../src/gateway/hostile/reseal.js';
import { HostileSession } from '../../../src/gateway/hostile/session.js';
import type { GatewayPeer } from '../../../src/gateway/peer.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { CLIENT, clientMeetsGateway, firstContact, GW, sent } from '../../helpers/client-meets-gateway.js';

const config = parseGatewayConfig(['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.20', 'DNS 203.0.113.53', 'Banner hi', 'Split include 203.0.113.0/24'].join('\n'), 'unit.conf');
const POLICY = { weakEncryption: false, weakAuthentication: false, noEncryption: false };

/** Runs a hostile session's treatment of `data` synchronously: every datagram it delivers, timers included. */
function treat(peer: GatewayPeer, plan: HostilePlan, data: Buffer | ((s: HostileSession) => void), trigger?: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const pending: Array<() => void> = [];
  const s = new HostileSession(plan, peer, (d) => out.push(d), { log: silentLogger, recent: [], schedule: (_ms, fn) => pending.push(fn) });
  if (Buffer.isBuffer(data)) s.send(data, trigger);
  else data(s);
  while (pending.length > 0) pending.shift()!();
  return out;
}

/** Calls `f`; anything it throws must be one of our typed errors. */
function typedOnly(f: () => unknown): 'ok' | 'refused' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (!(err instanceof VpncError)) throw new Error(`untyped error: ${err instanceof Error ? err.stack : String(err)}`);
    return 'refused';
  }
}

function lastBlock(datagram: Buffer, sa: IkeSa): Buffer {
  const { body } = splitMessage(datagram);
  return body.subarray(body.length - sa.ivs.blockSize);
}

/** A client (our pure exchanges) and the gateway's peer, through XAUTH, mode config and quick mode. */
function session() {
  const met = clientMeetsGateway(config);
  const csa = met.result.sa;
  const xauth = new XauthClient(csa);
  const ask = xauth.receive(met.xauthRequest);
  if (ask.kind !== 'ask') throw new Error('no XAUTH request');
  const reply = xauth.answer(new Map([['username', 'u'], ['password', 'p']]));
  const status = sent(met.peer.receive(reply));
  const done = xauth.receive(status);
  if (done.kind !== 'status' || !done.ok) throw new Error('XAUTH failed');
  expect(met.peer.receive(done.send)).toEqual([]);
  const mc = new ModeConfigClient(csa, { ciscoUdp: false, applicationVersion: 'unit', hostname: 'h' });
  const request = mc.request();
  const mcReply = sent(met.peer.receive(request));
  const qm = new QuickModeInitiator({ sa: csa, msgId: 0x4242, spiIn: spiFromNumber(0xc0ffee01), pfsGroup: 0, encapMode: EncapsulationMode.TUNNEL, localAddress: '192.0.2.10', remote: { address: '0.0.0.0', prefixLength: 0 }, policy: POLICY });
  const qm1 = qm.start();
  const qm2 = sent(met.peer.receive(qm1));
  return { ...met, csa, reply, status, request, mcReply, mc, qm, qm1, qm2 };
}

describe('hostile plans', () => {
  it('are a pure function of the seed, and the session seed one of the base seed and the client port', () => {
    expect(planSession(1234)).toEqual(planSession(1234));
    expect(new Prng(9).bytes(16)).toEqual(new Prng(9).bytes(16));
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => sessionSeed(1, 20000 + i)));
    expect(seeds.size).toBe(1000);
    expect(sessionSeed(2, 20000)).not.toBe(sessionSeed(1, 20000));
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(planSession(77, 'qm2').step).toBe('qm2');
    expect(describePlan(planSession(77, 'delete'))).toMatch(/^step delete of .*, (plain|raw|delivery|inject):[a-z-]+ \((once|always)\), details 0x[0-9a-f]{8}$/);
  });

  it('draw every step, layer and operation; before phase 1 is done only an unencrypted notify is injected', () => {
    const plans = Array.from({ length: 5000 }, (_, i) => planSession(mixSeed(5, i)));
    expect(new Set(plans.map((p) => p.step))).toEqual(new Set(HOSTILE_STEPS));
    expect(new Set(plans.map((p) => p.tactic.layer))).toEqual(new Set(['plain', 'raw', 'delivery', 'inject']));
    expect(new Set(plans.filter((p) => p.tactic.layer === 'plain').map((p) => p.tactic.op))).toEqual(new Set(PLAIN_OPS));
    expect(new Set(plans.filter((p) => p.step === 'am2' && p.tactic.layer === 'inject').map((p) => p.tactic.op))).toEqual(new Set(['plain-notify']));
  });

  it('are configured with Hostile seed N [STEP]', () => {
    const base = ['Listen 198.51.100.1', 'Group g', 'Group secret s', 'Pool 192.0.2.10-192.0.2.50'];
    const parse = (line: string) => parseGatewayConfig([...base, line].join('\n'), 'gw.conf').hostile;
    expect(parseGatewayConfig(base.join('\n'), 'gw.conf').hostile).toBeUndefined();
    expect(parse('Hostile seed 7 qm2')).toEqual({ seed: 7, step: 'qm2' });
    expect(parse('hostile seed 0x10')).toEqual({ seed: 16, step: undefined });
    expect(parse('Hostile seed 4294967295 any')).toEqual({ seed: 4294967295, step: undefined });
    for (const bad of ['Hostile seed x', 'Hostile seed 1 am3', 'Hostile seed 4294967296', 'Hostile seed -1']) {
      expect(() => parse(bad)).toThrow(ConfigError);
      expect(() => parse(bad)).toThrow(/^gw\.conf:5: Hostile seed: /);
    }
  });
});

describe('hostile structures and re-sealing', () => {
  it('split and join a real AM2, its SA payload and attribute lists unchanged', () => {
    const { am2 } = clientMeetsGateway(config);
    const { header, body } = splitMessage(am2);
    const payloads = splitChain(header.nextPayload, body)!;
    expect(payloads.map((p) => p.type)).toEqual(decodeMessage(am2).payloads.map((p) => p.type));
    expect(joinChain(payloads).chain).toEqual(body);
    const sa = payloads[0]!.body;
    const parsed = splitSa(sa)!;
    expect(joinSa(parsed)).toEqual(sa);
    const attrs = parsed.proposals[0]!.transforms[0]!.attrs;
    expect(joinAttributes(splitAttributes(attrs)!)).toEqual(attrs);
  });

  it('open a sealed XAUTH request with the IV it was sealed with, and seal the same chain to the same bytes', () => {
    const { peer, xauthRequest } = clientMeetsGateway(config);
    const opened = openOutgoing(peer.sa!, xauthRequest, undefined)!;
    expect(opened.payloads.map((p) => p.type)).toEqual([PayloadType.HASH, PayloadType.ATTRIBUTE]);
    expect(sealOutgoing(peer.sa!, { ...opened, chain: joinChain(opened.payloads).chain, firstType: PayloadType.HASH })).toEqual(xauthRequest);
  });

  it.each(['xauth-request', 'mode-config', 'qm2'] as const)('mutate %s so that the client finds it authentic whenever its chain walk succeeds', (step) => {
    const s = session();
    const [data, trigger, reset] =
      step === 'xauth-request'
        ? [s.xauthRequest, undefined, () => s.csa.ivs.forget(splitMessage(s.xauthRequest).header.messageId)]
        : step === 'mode-config'
          ? [s.mcReply, s.request, () => s.csa.ivs.advance(s.mc.msgId, lastBlock(s.request, s.csa))]
          : [s.qm2, s.qm1, () => s.csa.ivs.advance(0x4242, lastBlock(s.qm1, s.csa))];
    // HASH(2) covers Ni_b: our QuickModeInitiator's nonce, read back from QM1 as the gateway does.
    const nonceI = step === 'qm2' ? quickModeNonce(s.peer.sa!, s.qm1) : undefined;
    let authentic = 0;
    let trials = 0;
    for (const op of PLAIN_OPS) {
      for (let i = 0; i < 25; i++) {
        const plan: HostilePlan = { seed: 0, step, tactic: { layer: 'plain', op: op as PlainOp }, persistence: 'always', variant: 0, detailSeed: mixSeed(i, op.length) };
        const [out] = treat(s.peer, plan, data, trigger);
        trials++;
        reset();
        let msg;
        try {
          msg = s.csa.open(out!);
        } catch (err) {
          expect(err).toBeInstanceOf(VpncError);
          continue;
        }
        const hash = msg.payloads[0];
        if (hash?.type !== PayloadType.HASH || hash.data.length !== s.csa.prf.length) continue;
        expect(() => s.csa.verifyHash(msg, nonceI), `${op} seed ${i}`).not.toThrow();
        authentic++;
      }
    }
    expect(authentic / trials).toBeGreaterThan(0.4);
  });
});

/** The client's parser for each step, fed one datagram; a fresh client state per datagram where needed. */
function clientParsers(s: ReturnType<typeof session>): Record<Exclude<HostileStep, 'am2' | 'gateway-rekey' | 'rekey'>, { data: Buffer; trigger?: Buffer; parse: (d: Buffer) => void }> {
  const csa = s.csa;
  const informational = (d: Buffer) => {
    const msg = csa.open(d);
    csa.verifyHash(msg);
    parseInformational(msg);
  };
  const dpd = buildDpd(csa, 0x5151, false, 77);
  return {
    'xauth-request': {
      data: s.xauthRequest,
      parse: (d) => {
        csa.ivs.forget(splitMessage(s.xauthRequest).header.messageId);
        new XauthClient(csa).receive(d);
      },
    },
    'xauth-status': {
      data: s.status,
      trigger: s.reply,
      parse: (d) => {
        csa.ivs.forget(splitMessage(s.status).header.messageId);
        new XauthClient(csa).receive(d);
      },
    },
    'mode-config': {
      data: s.mcReply,
      trigger: s.request,
      parse: (d) => {
        csa.ivs.advance(s.mc.msgId, lastBlock(s.request, csa));
        s.mc.receive(d);
      },
    },
    qm2: {
      data: s.qm2,
      trigger: s.qm1,
      parse: (d) => {
        csa.ivs.advance(0x4242, lastBlock(s.qm1, csa));
        s.qm.receive(csa.open(d));
      },
    },
    dpd: { data: sent(s.peer.receive(dpd)), trigger: dpd, parse: informational },
    delete: { data: buildDeleteAll(s.peer.sa!, 0x6161, [spiFromNumber(0xc0ffee01), spiFromNumber(0x0badf00d)]), parse: informational },
  };
}

describe("the client's exchanges against every treatment", () => {
  const SEEDS = Number(process.env.VPNC_HOSTILE_UNIT_SEEDS ?? 300);

  it.each(['xauth-request', 'xauth-status', 'mode-config', 'qm2', 'dpd', 'delete'] as const)('%s: typed errors only', (step) => {
    const s = session();
    const p = clientParsers(s)[step];
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < SEEDS; i++) {
      for (const d of treat(s.peer, planSession(mixSeed(11, i), step), p.data, p.trigger)) outcomes[typedOnly(() => p.parse(d))]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('am2: typed errors only', () => {
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < SEEDS; i++) {
      const { init, am1, responder, peer } = firstContact(config, {}, () => parseIpv4('192.0.2.10'));
      for (const d of treat(peer, planSession(mixSeed(12, i), 'am2'), responder.am2, am1)) outcomes[typedOnly(() => init.receive(d, CLIENT, GW))]++;
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 60_000 + SEEDS * 15);

  it("gateway-rekey: the client's quick mode responder meets the gateway's own QM1, typed errors only", () => {
    const s = session();
    const keys = { spiIn: spiFromNumber(0x01010101), spiOut: spiFromNumber(0x02020202), encapMode: EncapsulationMode.TUNNEL } as QuickModeKeys;
    const tunnel = tunnelIdsOf('192.0.2.10', { address: '0.0.0.0', prefixLength: 0 })!;
    const outcomes = { ok: 0, refused: 0 };
    for (let i = 0; i < SEEDS; i++) {
      const out = treat(s.peer, planSession(mixSeed(13, i), 'gateway-rekey'), (h) => h.installed(keys));
      for (const d of out) {
        const params = { sa: s.csa, policy: clientRekeyPolicy(POLICY, EncapsulationMode.TUNNEL, 0), tunnel, clientIdIndex: 1 as const, spiIn: spiFromNumber(0x03030303) };
        outcomes[typedOnly(() => (splitMessage(d).header.exchangeType === ExchangeType.QUICK ? new QuickModeResponder(params, s.csa.open(d)) : s.csa.open(d)))]++;
      }
    }
    expect(outcomes.ok).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
