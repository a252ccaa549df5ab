/**
 * The hostile treatment of one client. Every datagram the gateway sends this client passes through `send`:
 * messages of other steps go out unchanged; the plan's step meets the plan's tactic (a plaintext mutation
 * re-hashed and re-encrypted, a raw mutation, a delivery trick, an injected message). Once the tunnel is up,
 * the delete, dpd, rekey and gateway-rekey steps make the gateway send the message they attack (the last a
 * quick mode of its own, whose answer `receive` takes before the peer sees it). Every decision comes from
 * the plan's PRNG and is logged at debug 1.
 */
import { buildDeleteAll, buildDeleteEsp, buildDeleteIsakmp, buildDpd } from '../../ike/exchanges/informational.js';
import type { IkeSa } from '../../ike/ike-sa.js';
import type { Logger } from '../../log.js';
import type { QuickModeKeys } from '../../ike/exchanges/quick-mode-responder.js';
import { formatSpi, spiFromBytes, type IkeCookie, type Spi } from '../../wire/sa-ids.js';
import type { PeerAction } from '../peer.js';
import { classify, type Classified } from './classify.js';
import { GatewayRekey } from './gateway-rekey.js';
import { buildInjection } from './inject.js';
import { mutatePlain } from './mutate-plain.js';
import { mutateRaw } from './mutate-raw.js';
import type { HostilePlan, HostileStep } from './plan.js';
import { Prng } from './prng.js';
import { followIv, rebuildPlain, sealOutgoing } from './reseal.js';

/** What the session needs to know of the gateway's peer (GatewayPeer is one). */
export interface HostilePeerView {
  readonly key: string;
  readonly sa: IkeSa | undefined;
  /** The client's inner address (0 before mode config). */
  readonly address: number;
  readonly cookieI: IkeCookie;
  readonly cookieR: IkeCookie;
}

/** What the hostile mode gives each session. */
export interface HostileEnv {
  readonly log: Logger;
  /** Runs `fn` after `ms` (nothing once the gateway closes). */
  schedule(ms: number, fn: () => void): void;
  /** Recent datagrams of all sessions (replays across sessions). */
  readonly recent: Buffer[];
}

const HISTORY = 16;
const RECENT = 64;
/** How long a reordered message waits for a later one before it goes anyway. */
const REORDER_MAX_MS = 1500;

export class HostileSession {
  private readonly rng: Prng;
  private readonly history: Buffer[] = [];
  private transmissions = 0;
  private firstQuickId: number | undefined;
  private held: Buffer | undefined;
  private espSpis: Spi[] = [];
  private installs = 0;
  private rekey: { readonly quick: GatewayRekey; readonly encapMode: number } | undefined;

  constructor(
    readonly plan: HostilePlan,
    private readonly peer: HostilePeerView,
    /** Sends to the client's current address. */
    private readonly deliver: (data: Buffer) => void,
    private readonly env: HostileEnv,
  ) {
    this.rng = new Prng(plan.detailSeed);
  }

  /** A datagram the gateway sends this client; `trigger` is the client's datagram it answers, if any. */
  send(data: Buffer, trigger: Buffer | undefined): void {
    const held = this.held;
    this.held = undefined;
    const c = classify(this.peer.sa, data, trigger, this.rekey?.quick.msgId);
    if (this.stepOf(c) === this.plan.step) this.attack(data, c);
    else this.transmit(data);
    if (held) this.transmit(held);
  }

  /** Quick mode finished (an SA pair installed): the steps that act once the tunnel is up start here. */
  installed(keys: QuickModeKeys): void {
    this.espSpis = [keys.spiIn, keys.spiOut];
    const sa = this.peer.sa;
    if (++this.installs !== 1 || !sa) return;
    const at = this.rng.between(200, 800);
    const id = () => this.rng.u32() || 1;
    switch (this.plan.step) {
      case 'delete': {
        const v = this.plan.variant;
        const spis = v === 3 ? [spiFromBytes(this.rng.bytes(4)), spiFromBytes(this.rng.bytes(4))] : this.espSpis;
        const del = v === 1 ? buildDeleteIsakmp(sa, id()) : v === 2 ? buildDeleteAll(sa, id(), spis) : buildDeleteEsp(sa, id(), spis);
        this.env.schedule(at, () => this.send(del, undefined));
        return;
      }
      case 'dpd':
        if (this.plan.variant === 0) {
          const probe = buildDpd(sa, id(), false, this.rng.u32());
          this.env.schedule(at, () => this.send(probe, undefined));
        }
        return;
      case 'rekey': {
        // A clean DELETE of the pair in use: the client negotiates a new one, whose QM2 is the step's message.
        const del = buildDeleteEsp(sa, id(), this.espSpis);
        this.env.schedule(at, () => this.transmit(del));
        return;
      }
      case 'gateway-rekey':
        this.env.schedule(at, () => {
          const quick = new GatewayRekey(sa, id(), { spiIn: spiFromBytes(this.rng.bytes(4)), encapMode: keys.encapMode, clientAddress: this.peer.address });
          this.rekey = { quick, encapMode: keys.encapMode };
          this.send(quick.qm1, undefined);
        });
        return;
      default:
        return;
    }
  }

  /** A datagram of the client's: its answer in the gateway's own quick mode is taken here (QM3, the pair). */
  receive(datagram: Buffer): PeerAction[] | undefined {
    const r = this.rekey;
    if (!r || !r.quick.owns(datagram)) return undefined;
    try {
      const done = r.quick.finish(datagram, r.encapMode);
      if (!done) return [];
      this.env.log.at(1)?.(`hostile: peer ${this.peer.key}: the gateway's own rekey done: ESP ${done.keys.name} SPI in ${formatSpi(done.keys.spiIn)}`);
      return [{ kind: 'send', data: done.qm3 }, { kind: 'install', keys: done.keys, address: this.peer.address }];
    } catch (err) {
      this.env.log.at(1)?.(`hostile: peer ${this.peer.key}: the client's answer to the gateway's rekey refused: ${(err as Error).message}`);
      return [];
    }
  }

  private stepOf(c: Classified): HostileStep | 'other' {
    if (c.kind !== 'quick') return c.kind;
    const id = c.header!.messageId;
    this.firstQuickId ??= id;
    return id === this.firstQuickId ? 'qm2' : 'rekey';
  }

  private note(what: string): void {
    this.env.log.at(1)?.(`hostile: peer ${this.peer.key}: ${this.plan.step} (transmission ${this.transmissions}): ${what}`);
  }

  private attack(data: Buffer, c: Classified): void {
    const n = ++this.transmissions;
    const { tactic, persistence } = this.plan;
    if (tactic.layer === 'delivery' && (tactic.op === 'drop-always' || (tactic.op === 'drop-once' && n === 1))) {
      this.note('dropped');
      return;
    }
    if ((persistence === 'once' || tactic.op === 'drop-once') && n > 1) {
      this.transmit(data);
      return;
    }
    switch (tactic.layer) {
      case 'plain': {
        const m = this.mutatePlain(c);
        if (!m) break;
        this.note(m.what);
        return this.transmit(m.data);
      }
      case 'raw': {
        const m = mutateRaw(this.rng, tactic.op, data);
        this.note(`${tactic.op}: ${m.what}`);
        return this.transmit(m.data);
      }
      case 'delivery':
        return this.deliverOddly(data, tactic.op);
      case 'inject': {
        const inj = buildInjection(this.rng, tactic.op, { sa: this.peer.sa, cookieI: this.peer.cookieI, cookieR: this.peer.cookieR, espSpis: this.espSpis });
        this.note(`${inj.what} first`);
        this.transmit(inj.data, false);
        return this.transmit(data);
      }
    }
    // A message the keys do not open (should not happen): its bytes are attacked instead.
    const m = mutateRaw(this.rng, 'flip-bit', data);
    this.note(`not opened: ${m.what}`);
    this.transmit(m.data);
  }

  private mutatePlain(c: Classified): { data: Buffer; what: string } | undefined {
    const op = this.plan.tactic.op as Parameters<typeof mutatePlain>[1];
    if (c.plain && c.header) {
      const m = mutatePlain(this.rng, op, c.plain, { hashFirst: false });
      return { data: rebuildPlain(c.header, m.chain, m.firstType), what: `${op}: ${m.what}` };
    }
    const sa = this.peer.sa;
    if (!c.opened || !sa) return undefined;
    const m = mutatePlain(this.rng, op, c.opened.payloads, { hashFirst: true });
    const data = sealOutgoing(sa, { header: c.opened.header, iv: c.opened.iv, chain: m.chain, firstType: m.firstType, hash: c.opened.hash });
    return { data, what: `${op}: ${m.what} (re-hashed, re-encrypted)` };
  }

  private deliverOddly(data: Buffer, op: HostilePlan['tactic']['op']): void {
    switch (op) {
      case 'duplicate': {
        const copies = this.rng.between(2, 4);
        this.note(`sent ${copies} times`);
        for (let i = 0; i < copies; i++) this.transmit(data);
        return;
      }
      case 'delay': {
        const ms = this.rng.between(200, 4000);
        this.note(`delayed ${ms} ms`);
        this.env.schedule(ms, () => this.transmit(data));
        return;
      }
      case 'reorder':
        this.note('held back until the next message');
        this.held = data;
        this.env.schedule(REORDER_MAX_MS, () => {
          if (this.held !== data) return;
          this.held = undefined;
          this.transmit(data);
        });
        return;
      case 'replay-earlier': {
        const old = this.history.length > 0 ? this.rng.pick(this.history) : this.env.recent.length > 0 ? this.rng.pick(this.env.recent) : data;
        this.note(`followed by a replay of an earlier datagram (${old.length} bytes${this.history.includes(old) ? '' : ', another session\'s'})`);
        this.transmit(data);
        this.transmit(old, false);
        return;
      }
      case 'replay-later': {
        const ms = this.rng.between(300, 3000);
        this.note(`replayed after ${ms} ms`);
        this.transmit(data);
        this.env.schedule(ms, () => this.transmit(data, false));
        return;
      }
      default:
        this.transmit(data);
    }
  }

  /** Sends `data`; `follow`: the gateway's IV chain follows it (it is the message of the moment, not a replay). */
  private transmit(data: Buffer, follow = true): void {
    this.deliver(data);
    this.history.push(data);
    if (this.history.length > HISTORY) this.history.shift();
    this.env.recent.push(data);
    if (this.env.recent.length > RECENT) this.env.recent.shift();
    const sa = this.peer.sa;
    if (follow && sa) followIv(sa, data);
  }
}
