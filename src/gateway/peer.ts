/**
 * One client as the gateway sees it: an ISAKMP SA and everything negotiated over it, driven by the
 * client's datagrams. The order is the one a Cisco concentrator imposes and vpnc follows:
 *
 *   aggressive or main mode -> [XAUTH request / reply, status SET / ACK] -> mode config -> quick mode(s)
 *
 * No sockets or timers here: `receive` takes one IKE datagram and returns what the session must do.
 * A datagram identical to the previous one is a retransmission: the previous answer is repeated without
 * decrypting again (the IV chains must not move twice).
 */
import { randomBytes } from 'node:crypto';
import { AuthError, ProtocolError, VpncError } from '../errors.js';
import { ExchangeType, IkeAuthMethod, NotifyType } from '../ike/constants.js';
import { EncapsulationMode } from '../ike/ipsec-attributes.js';
import { randomMessageId, type IkeSa, type OpenedMessage } from '../ike/ike-sa.js';
import type { AttributePayload } from '../ike/payloads/attribute-payload.js';
import { silentLogger, type Logger } from '../log.js';
import type { GatewayConfig, GatewayUser } from './config.js';
import type { Phase1Responder, Phase1Step } from './exchanges/phase1-responder.js';
import { buildDpd, buildLoadBalance, buildPlainNotify, parseInformational, verifyInformational } from '../ike/exchanges/informational.js';
import { transactionAttribute } from '../ike/exchanges/transaction.js';
import { DIALECT_RULES } from './dialect.js';
import { answerModeConfig, checkPushAck, pushModeConfig, type ModeConfigOffer } from './exchanges/mode-config.js';
import { QuickModeResponder, type QuickModeKeys } from '../ike/exchanges/quick-mode-responder.js';
import { tunnelIdsOf } from '../ike/exchanges/quick-mode-ids.js';
import { buildNextPinRequest, buildXauthRequest, buildXauthStatus, checkCredentials, checkXauthAck, parseNextPinReply, parseXauthReply } from './exchanges/xauth.js';
import { formatIpv4, ipv4TextToBytes, parseIpv4 } from '../wire/ipv4-text.js';
import { cookiePairHex, formatSpi, type IkeCookie, type Spi } from '../wire/sa-ids.js';

/** What the session must do after a datagram. */
export type PeerAction =
  | { readonly kind: 'send'; readonly data: Buffer }
  /** Quick mode finished: install the ESP SA pair for the client's address. */
  | { readonly kind: 'install'; readonly keys: QuickModeKeys; readonly address: number }
  /** The client deleted ESP SAs (by its SPIs or ours). */
  | { readonly kind: 'delete-esp'; readonly spis: readonly Spi[] }
  | { readonly kind: 'dpd-ack'; readonly seq: number }
  /** The peer is finished with (deleted, failed): forget it. */
  | { readonly kind: 'close'; readonly reason: string };

/** What a peer needs from the gateway. */
export interface PeerContext {
  readonly config: GatewayConfig;
  readonly log?: Logger;
  readonly random?: (n: number) => Buffer;
  /** An address from the pool for this client, or undefined when the pool is exhausted. */
  allocateAddress(): number | undefined;
}

type Stage =
  | { readonly kind: 'phase1'; readonly responder: Phase1Responder }
  | { readonly kind: 'xauth-request'; readonly sa: IkeSa; readonly msgId: number; readonly nextPinOf?: GatewayUser }
  /** A pushing dialect: the mode config SET sent after the accepted reply, waiting for its ACK. */
  | { readonly kind: 'xauth-push'; readonly sa: IkeSa; readonly msgId: number; readonly identifier: number; readonly pushIdentifier: number; readonly user: string }
  | { readonly kind: 'xauth-status'; readonly sa: IkeSa; readonly msgId: number; readonly ok: boolean; readonly user: string }
  | { readonly kind: 'ready'; readonly sa: IkeSa }
  | { readonly kind: 'closed' };

/** The auth methods after which the gateway runs XAUTH. */
const WITH_XAUTH: ReadonlySet<number> = new Set([IkeAuthMethod.XAUTHInitPreShared, IkeAuthMethod.XAUTHInitRSA]);

export class GatewayPeer {
  private stage: Stage;
  /** The assigned inner address (0 until mode config). */
  address = 0;
  /** The XAUTH user, once authenticated. */
  username: string | undefined;
  /** Who phase 1 authenticated: the group name, or the subject of the client's certificate. */
  identity: string | undefined;
  /** Set by the session when the client's IKE arrives on port 4500 (RFC 3947 float). */
  floated = false;
  /** The client asked for Cisco UDP encapsulation and got a port. */
  ciscoUdp = false;
  private readonly quick = new Map<number, QuickModeResponder>();
  private lastIn: Buffer | undefined;
  private lastOut: Buffer[] = [];
  private readonly log: Logger;
  private readonly random: (n: number) => Buffer;
  readonly cookieI: IkeCookie;
  readonly cookieR: IkeCookie;

  /** Starts with the first message (AM1, MM1; see phase1-setup.ts); `responder.firstAnswer` is the answer to send. */
  constructor(
    private readonly ctx: PeerContext,
    responder: Phase1Responder,
    first: Buffer,
  ) {
    this.stage = { kind: 'phase1', responder };
    this.cookieI = responder.cookieI;
    this.cookieR = responder.cookieR;
    this.log = ctx.log ?? silentLogger;
    this.random = ctx.random ?? randomBytes;
    this.lastIn = Buffer.from(first);
    this.lastOut = [responder.firstAnswer];
  }

  /** `cookieI|cookieR` in hex: the key the session files peers under. */
  get key(): string {
    return cookiePairHex(this.cookieI, this.cookieR);
  }


  /** The ISAKMP SA once phase 1 is done. */
  get sa(): IkeSa | undefined {
    const s = this.stage;
    return s.kind === 'xauth-request' || s.kind === 'xauth-push' || s.kind === 'xauth-status' || s.kind === 'ready' ? s.sa : undefined;
  }

  /** The stage name, for logs and tests. */
  get stageName(): Stage['kind'] {
    return this.stage.kind;
  }

  /** Handles one IKE datagram (without a non-ESP marker). Errors are logged and answered, never thrown. */
  receive(datagram: Buffer): PeerAction[] {
    if (this.lastIn && datagram.equals(this.lastIn)) {
      this.log.at(2)?.(`peer ${this.key}: retransmission, repeating ${this.lastOut.length} answer(s)`);
      return this.lastOut.map((data) => ({ kind: 'send', data }));
    }
    let actions: PeerAction[];
    try {
      actions = this.dispatch(datagram);
    } catch (err) {
      actions = this.failure(err);
    }
    const sent = actions.filter((a): a is Extract<PeerAction, { kind: 'send' }> => a.kind === 'send').map((a) => a.data);
    if (sent.length > 0) {
      this.lastIn = Buffer.from(datagram);
      this.lastOut = sent;
    }
    return actions;
  }

  private failure(err: unknown): PeerAction[] {
    if (err instanceof AuthError) {
      this.log.notice(`peer ${this.key}: ${err.message}`);
      // A client refused in main mode hears why (as from strongSwan); in aggressive mode it has already judged AM2.
      const refusal = this.stage.kind === 'phase1' && this.stage.responder.mode === 'main' ? [{ kind: 'send' as const, data: buildPlainNotify(this.cookieI, this.cookieR, NotifyType.AUTHENTICATION_FAILED) }] : [];
      this.stage = { kind: 'closed' };
      return [...refusal, { kind: 'close', reason: 'authentication failed' }];
    }
    if (err instanceof VpncError) {
      // ProtocolError, DecodeError, a bad DH value ...: refuse this datagram, keep the session.
      this.log.notice(`peer ${this.key}: refused: ${err.message}`);
      return [];
    }
    throw err;
  }

  private dispatch(datagram: Buffer): PeerAction[] {
    const stage = this.stage;
    switch (stage.kind) {
      case 'phase1':
        return this.finishPhase1(stage.responder, datagram);
      case 'xauth-request':
      case 'xauth-push':
      case 'xauth-status':
      case 'ready':
        return this.phase2(stage.sa, stage.sa.open(datagram));
      case 'closed':
        return [];
      default:
        return assertNever(stage);
    }
  }

  private finishPhase1(responder: Phase1Responder, datagram: Buffer): PeerAction[] {
    const step: Phase1Step = responder.receive(datagram);
    if (step.kind === 'answer') return [{ kind: 'send', data: step.data }];
    const done = step.result;
    const { sa } = done;
    this.log.at(1)?.(`peer ${this.key}: phase 1 established (${sa.suite.name}, ${done.peerId}), NAT: initiator ${done.initiatorBehindNat ? 'behind NAT' : 'direct'}` +
        `${done.responderBehindNat ? ', we look NATed' : ''}, float ${this.floated ? 'to 4500' : 'none'}`);
    this.identity = done.peerId;
    const last: PeerAction[] = step.answer ? [{ kind: 'send', data: step.answer }] : [];
    const redirect = this.ctx.config.redirect;
    if (redirect !== undefined) {
      // A cluster member: this client goes to another one (vpnc then starts phase 1 again there).
      this.log.notice(`peer ${this.key}: redirected to ${redirect} (load balancing)`);
      this.stage = { kind: 'closed' };
      return [
        ...last,
        { kind: 'send', data: buildLoadBalance(sa, randomMessageId(this.random), ipv4TextToBytes(redirect)) },
        { kind: 'close', reason: `redirected to ${redirect}` },
      ];
    }
    if (!WITH_XAUTH.has(sa.suite.authMethod)) {
      this.stage = { kind: 'ready', sa };
      return last;
    }
    const msgId = randomMessageId(this.random);
    this.stage = { kind: 'xauth-request', sa, msgId };
    const token = this.ctx.config.users.some((u) => u.nextPin !== undefined);
    return [...last, { kind: 'send', data: sa.sealHashed(ExchangeType.TRANSACTION, msgId, [buildXauthRequest(this.random(2).readUInt16BE(0), token)]) }];
  }

  private phase2(sa: IkeSa, msg: OpenedMessage): PeerAction[] {
    switch (msg.header.exchangeType) {
      case ExchangeType.INFORMATIONAL:
        return this.informational(sa, msg);
      case ExchangeType.TRANSACTION:
        sa.verifyHash(msg);
        return this.transaction(sa, msg, transactionAttribute(msg));
      case ExchangeType.QUICK:
        return this.quickMode(sa, msg);
      default:
        throw new ProtocolError(`exchange type ${msg.header.exchangeType} after phase 1`, NotifyType.INVALID_EXCHANGE_TYPE);
    }
  }

  private transaction(sa: IkeSa, msg: OpenedMessage, p: AttributePayload): PeerAction[] {
    const stage = this.stage;
    const msgId = msg.header.messageId;
    if (stage.kind === 'xauth-request' && msgId === stage.msgId) {
      // A token user's second round answers the next-PIN request (the PIN compared as a password would be).
      const pinOf = stage.nextPinOf;
      const creds = pinOf ? { username: pinOf.name, password: parseNextPinReply(p) } : parseXauthReply(p);
      const ok = checkCredentials(pinOf ? [{ name: pinOf.name, password: pinOf.nextPin ?? '' }] : this.ctx.config.users, creds);
      this.log.notice(`peer ${this.key}: XAUTH${pinOf ? " next PIN" : ""} for user "${creds.username}" ${ok ? 'accepted' : 'REFUSED'}`);
      sa.ivs.forget(msgId);
      const user = this.ctx.config.users.find((u) => u.name === creds.username);
      if (ok && !pinOf && user?.nextPin !== undefined) {
        const next = randomMessageId(this.random);
        this.stage = { kind: 'xauth-request', sa, msgId: next, nextPinOf: user };
        return [{ kind: 'send', data: sa.sealHashed(ExchangeType.TRANSACTION, next, [buildNextPinRequest(this.random(2).readUInt16BE(0))]) }];
      }
      const rules = DIALECT_RULES[this.ctx.config.dialect];
      if (ok && rules.pushModeConfig) {
        // Netscreen, WatchGuard: the configuration comes unasked, between the reply and the status.
        const offer = this.offer();
        if (!offer) {
          this.log.notice(`peer ${this.key}: the address pool is exhausted: XAUTH status FAIL for "${creds.username}"`);
          return this.sendStatus(sa, p.identifier, false, creds.username);
        }
        const pushId = randomMessageId(this.random);
        const pushIdentifier = this.random(2).readUInt16BE(0);
        this.stage = { kind: 'xauth-push', sa, msgId: pushId, identifier: p.identifier, pushIdentifier, user: creds.username };
        this.log.notice(`peer ${this.key}: mode config pushed (${this.ctx.config.dialect}): ${formatIpv4(this.address)} to ${creds.username}`);
        return [{ kind: 'send', data: sa.sealHashed(ExchangeType.TRANSACTION, pushId, [pushModeConfig(pushIdentifier, offer, rules.unity)]) }];
      }
      return this.sendStatus(sa, p.identifier, ok, creds.username);
    }
    if (stage.kind === 'xauth-push' && msgId === stage.msgId) {
      checkPushAck(p, stage.pushIdentifier);
      sa.ivs.forget(msgId);
      return this.sendStatus(sa, stage.identifier, true, stage.user);
    }
    if (stage.kind === 'xauth-status' && msgId === stage.msgId) {
      checkXauthAck(p);
      sa.ivs.forget(msgId);
      if (!stage.ok) {
        this.stage = { kind: 'closed' };
        return [{ kind: 'close', reason: `XAUTH refused for "${stage.user}"` }];
      }
      this.username = stage.user;
      this.stage = { kind: 'ready', sa };
      return [];
    }
    if (stage.kind !== 'ready') throw new ProtocolError(`transaction in stage ${stage.kind}`, NotifyType.INVALID_MESSAGE_ID);
    return this.modeConfig(sa, msgId, p);
  }

  private sendStatus(sa: IkeSa, identifier: number, ok: boolean, user: string): PeerAction[] {
    const statusId = randomMessageId(this.random);
    this.stage = { kind: 'xauth-status', sa, msgId: statusId, ok, user };
    return [{ kind: 'send', data: sa.sealHashed(ExchangeType.TRANSACTION, statusId, [buildXauthStatus(identifier, ok)]) }];
  }

  /** What mode config hands this client (the address taken from the pool the first time); undefined when the pool is exhausted. */
  private offer(): ModeConfigOffer | undefined {
    const c = this.ctx.config;
    if (this.address === 0) {
      const address = this.ctx.allocateAddress();
      if (address === undefined) return undefined;
      this.address = address;
    }
    return {
      address: this.address,
      netmask: c.netmask === undefined ? undefined : parseIpv4(c.netmask),
      dns: c.dns.map((a) => parseIpv4(a)),
      nbns: c.nbns.map((a) => parseIpv4(a)),
      defaultDomain: c.defaultDomain,
      banner: c.banner,
      splitInclude: c.splitInclude,
      splitDns: c.splitDns,
      backupServers: c.backupServers,
      pfs: c.pfs,
      savePassword: c.savePassword,
      ciscoUdpPort: c.ciscoUdpPort,
      applicationVersion: 'vpnc-ts gateway',
    };
  }

  private modeConfig(sa: IkeSa, msgId: number, request: AttributePayload): PeerAction[] {
    const c = this.ctx.config;
    if (!DIALECT_RULES[c.dialect].answerPull) {
      throw new ProtocolError(`a mode config request, which the ${c.dialect} dialect leaves unanswered (it pushes the configuration during XAUTH)`, NotifyType.INVALID_EXCHANGE_TYPE);
    }
    const offer = this.offer();
    if (!offer) throw new ProtocolError('the address pool is exhausted', NotifyType.ATTRIBUTES_NOT_SUPPORTED);
    const answer = answerModeConfig(request, offer);
    this.ciscoUdp = answer.ciscoUdp;
    this.log.notice(
      `peer ${this.key}: mode config: ${formatIpv4(this.address)} to ${this.username ?? (this.identity === c.group ? `group ${c.group}` : `"${this.identity}"`)}` +
        `${answer.hostname ? ` on ${answer.hostname}` : ''}${answer.ciscoUdp ? `, Cisco UDP port ${c.ciscoUdpPort}` : ''}`,
    );
    const reply = sa.sealHashed(ExchangeType.TRANSACTION, msgId, [answer.reply]);
    sa.ivs.forget(msgId);
    return [{ kind: 'send', data: reply }];
  }

  /** ENCAPSULATION_MODE values acceptable for this client's path. */
  encapModes(): number[] {
    if (!this.floated) return [EncapsulationMode.TUNNEL];
    return [EncapsulationMode.UDP_TUNNEL, EncapsulationMode.UDP_TUNNEL_DRAFT];
  }

  private quickMode(sa: IkeSa, msg: OpenedMessage): PeerAction[] {
    if (this.stage.kind !== 'ready' || this.address === 0) throw new ProtocolError('quick mode before mode config', NotifyType.INVALID_EXCHANGE_TYPE);
    const msgId = msg.header.messageId;
    const pending = this.quick.get(msgId);
    if (pending) {
      this.quick.delete(msgId);
      const keys = pending.finish(msg);
      this.log.notice(`peer ${this.key}: ESP ${keys.name} SPI in ${formatSpi(keys.spiIn)} out ${formatSpi(keys.spiOut)}`);
      return [{ kind: 'install', keys, address: this.address }];
    }
    const c = this.ctx.config;
    const responder = new QuickModeResponder(
      {
        sa,
        policy: {
          proposals: c.espProposals,
          preference: 'ours',
          requirePfs: c.pfs,
          dhGroups: c.dhGroups,
          encapModes: this.encapModes(),
          lifetimeSeconds: c.espLifetimeSeconds,
          lifetimeKilobytes: c.espLifetimeKilobytes,
        },
        // IDci must name the address mode config assigned; IDcr may be any IPv4 network.
        tunnel: tunnelIdsOf(formatIpv4(this.address), { address: '0.0.0.0', prefixLength: 0 })!,
        clientIdIndex: 0,
        random: this.random,
      },
      msg,
    );
    this.quick.set(msgId, responder);
    return [{ kind: 'send', data: responder.qm2 }];
  }

  private informational(sa: IkeSa, msg: OpenedMessage): PeerAction[] {
    verifyInformational(sa, msg);
    const actions: PeerAction[] = [];
    for (const n of parseInformational(msg)) {
      switch (n.kind) {
        case 'r-u-there':
          actions.push({ kind: 'send', data: buildDpd(sa, randomMessageId(this.random), true, n.seq) });
          break;
        case 'r-u-there-ack':
          actions.push({ kind: 'dpd-ack', seq: n.seq });
          break;
        case 'delete-esp':
          actions.push({ kind: 'delete-esp', spis: n.spis });
          break;
        case 'delete-isakmp':
          this.stage = { kind: 'closed' };
          actions.push({ kind: 'close', reason: 'the client deleted the ISAKMP SA' });
          break;
        case 'notify':
          this.log.at(2)?.(`peer ${this.key}: notify ${n.messageType} ignored`);
          break;
        case 'malformed':
          this.log.at(1)?.(`peer ${this.key}: ${n.error.message}`);
          break;
        case 'load-balance':
          this.log.at(2)?.(`peer ${this.key}: a load-balance notify from a client ignored`);
          break;
      }
    }
    return actions;
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled stage ${JSON.stringify(x)}`);
}
