/**
 * Setup up to the tunnel: phase 1 in aggressive mode, or in main mode with certificates (either with the NAT-T
 * float), then XAUTH and mode config, driven over the IKE channel with retransmission; only datagrams whose
 * HASH verifies are taken, a forged or mangled one is passed over. The exchanges themselves are pure (src/ike/exchanges); this file only
 * moves their bytes and asks the user when the gateway wants a secret we do not have.
 */
import { hostname } from 'node:os';
import { AuthError, GatewayRedirect, PeerTimeoutError, ProtocolError } from '../errors.js';
import { parseInformational } from '../ike/exchanges/informational.js';
import type { Logger } from '../log.js';
import { ExchangeType, IdType } from '../ike/constants.js';
import { AggressiveModeInitiator, type SocketAddress } from '../ike/exchanges/aggressive-mode.js';
import { MainModeInitiator, type ClientCredentials } from '../ike/exchanges/main-mode.js';
import type { NatStatus, PeerFeatures } from '../ike/exchanges/phase1-common.js';
import type { ModeConfig } from '../ike/exchanges/mode-config.js';
import { ModeConfigClient } from '../ike/exchanges/mode-config-client.js';
import { isTransactionOf } from '../ike/exchanges/transaction.js';
import { isSecretField, xauthPrompt, type XauthField } from '../ike/exchanges/xauth.js';
import { XauthClient } from '../ike/exchanges/xauth-client.js';
import type { IkeSa, OpenedMessage } from '../ike/ike-sa.js';
import { IkeAuthMethod } from '../ike/ike-attributes.js';
import { decodeHeader } from '../ike/message.js';
import { gatewayMakerOf, vendorIdName } from '../ike/vendor-ids.js';
import type { VpncConfig } from '../config/validate.js';
import { chooseDialect, type DialectChoice } from './dialect.js';
import type { IkeChannel } from './ike-channel.js';
import { systemClock, type Clock } from './timers.js';
import { loadTrustAnchors } from './trust-anchors.js';
import { isIpv4 } from '../wire/ipv4-text.js';
import { sameCookie, type IkeCookie } from '../wire/sa-ids.js';

/** Asks the user for a secret (XAUTH challenge or interactive mode); null when none can be had. */
export type SecretPrompt = (prompt: string) => Promise<string | null>;

/** What either phase-1 mode ends with, before XAUTH. */
interface Phase1Done {
  sa: IkeSa;
  nat: NatStatus;
  peer: PeerFeatures;
  /** The gateway's first XAUTH message, when XAUTH was negotiated. */
  first: Buffer | undefined;
  /** The lifetime the gateway stated (transform or RESPONDER-LIFETIME), 0 if none. */
  lifetimeStated: number;
  gatewayChain: readonly string[] | undefined;
  establishedAt: number;
}

/** How ESP travels after phase 1: UDP encapsulation when a NAT was found (RFC or draft NAT-T). */
function nattOf(nat: NatStatus, peer: PeerFeatures): Phase1Outcome['natt'] {
  if (nat.natdType === 0 || !(nat.localBehindNat || nat.remoteBehindNat)) return 'none';
  return peer.nattVersion >= 2 ? 'rfc' : 'draft';
}

export interface Phase1Outcome {
  /** What phase 1 learnt of the gateway (vendor IDs: DPD, XAUTH, Unity, NAT-T). */
  peer: PeerFeatures;
  sa: IkeSa;
  modeConfig: ModeConfig;
  /** How ESP travels: decided by NAT detection and the natt mode. */
  natt: 'none' | 'rfc' | 'draft';
  /** The ISAKMP SA's lifetime in force: what the gateway accepted or stated, in seconds. */
  lifetimeSeconds: number;
  /** The session clock's time when the ISAKMP SA came to be (AM2): its lifetime runs from here, as at the gateway. */
  establishedAt: number;
  /**
   * The XAUTH password typed at a prompt, when it may serve a later re-authentication: a plain password (not a
   * passcode, next PIN or challenge answer) and the gateway did not forbid keeping it (UNITY_SAVE_PASSWD 0).
   */
  reusablePassword: string | undefined;
}

/** What a Phase1Driver is given beyond the configuration. */
export interface Phase1Options {
  /** Datagrams that belong to another ISAKMP SA (the one in use while we re-authenticate). */
  foreign?: (d: Buffer) => void;
  /** A password typed for an earlier phase 1 and reusable (see Phase1Outcome.reusablePassword). */
  rememberedPassword?: string;
  /**
   * A re-authentication while the tunnel runs: nobody may be asked at the terminal (the prompt would stop the
   * tunnel until answered); a secret comes from the profile, the remembered password or the password helper.
   */
  reauthentication?: boolean;
  /** The session's clock (default: the system's). */
  clock?: Clock;
  /** Our certificate chain and key (--auth-mode cert). */
  credentials?: ClientCredentials;
}


function headerOf(d: Buffer) {
  try {
    return decodeHeader(d);
  } catch {
    return undefined;
  }
}

export class Phase1Driver {
  private passwordUsed = false;
  private typedPassword: string | undefined;
  /** The gateway's address as resolved: vpnc's XAUTH prompts name it ("Password for VPN user@ADDRESS: "). */
  private gatewayAddress = '';

  constructor(
    private readonly config: VpncConfig,
    private readonly channel: IkeChannel,
    private readonly log: Logger,
    private readonly promptSecret: SecretPrompt,
    /** Told the ISAKMP SA as soon as its keys exist (the diagnostic trace's keys file). */
    private readonly onIkeSa: (sa: IkeSa) => void = () => {},
    private readonly options: Phase1Options = {},
  ) {}

  /** Runs phase 1 (aggressive mode, or main mode with certificates), XAUTH (when negotiated) and mode config. */
  async run(local: SocketAddress, remote: SocketAddress, opts: { initialContact: boolean }): Promise<Phase1Outcome> {
    this.gatewayAddress = remote.address;
    const c = this.config;
    const { sa, nat, peer, first, lifetimeStated, gatewayChain, establishedAt } = c.authMode === 'cert' ? await this.mainMode(local, remote, opts) : await this.aggressiveMode(local, remote, opts);
    this.log.at(1)?.(`IKE SA selected ${sa.suite.name}`);
    const lifetimeSeconds = lifetimeStated || c.ikeLifetime;
    if (lifetimeSeconds < c.ikeLifetime) this.log.notice(`the gateway limits the ISAKMP SA to ${lifetimeSeconds} s; phase 1 will be re-authenticated before then`);
    this.log.at(1)?.(`ISAKMP SA lifetime ${lifetimeSeconds} s`);
    if (gatewayChain) this.log.at(1)?.(`gateway certificate verified: ${gatewayChain.map((s) => `"${s}"`).join(' <- ')}`);
    const dialect = chooseDialect(c.vendor, c.vendorGiven, gatewayMakerOf(peer.vendorIds));
    this.log.at(1)?.(dialect.describe);
    if (dialect.notice) this.log.notice(dialect.notice);
    const natt = nattOf(nat, peer);
    let pushed: ModeConfig | undefined;
    if (first) pushed = await this.xauth(sa, first, dialect);
    if (!pushed && !dialect.pull) {
      throw new ProtocolError(
        `the gateway pushed no mode config during XAUTH, and the ${dialect.dialect} dialect does not ask for it: no inner address (a Cisco-style gateway wants Vendor cisco)`,
      );
    }
    const modeConfig = pushed ?? (await this.modeConfig(sa));
    // --no-ipv6 holds for a push too (a pull does not ask for IPv6 then); TAP mode answers ARP, not IPv6
    // neighbour discovery, so IPv6 could not pass there.
    if (this.config.noIpv6 || this.config.ifMode !== 'tun') modeConfig.address6 = undefined;
    else if (modeConfig.ipv6Problem) this.log.notice(`IPv6 is not carried: the gateway's ${modeConfig.ipv6Problem}`);
    this.log.at(1)?.(`got address ${modeConfig.address}${modeConfig.address6 ? ` and ${modeConfig.address6.address}/${modeConfig.address6.prefixLength}` : ''}`);
    if (modeConfig.banner) this.log.at(1)?.(`Banner: ${modeConfig.banner}`);
    // A typed password is kept only when the gateway says it may be (UNITY_SAVE_PASSWD 1); silence is no.
    const typed = this.typedPassword ?? (c.passwordTyped && this.passwordUsed ? this.options.rememberedPassword : undefined);
    const reusablePassword = modeConfig.savePassword === true ? typed : undefined;
    return { peer, sa, modeConfig, natt, lifetimeSeconds, establishedAt, reusablePassword };
  }

  /** AM1 to AM3 (floating to 4500 first when a NAT was found), and the first XAUTH message when XAUTH follows. */
  private async aggressiveMode(local: SocketAddress, remote: SocketAddress, opts: { initialContact: boolean }): Promise<Phase1Done> {
    const c = this.config;
    const am = aggressiveModeFor(c, this.log, { dhGroup: c.dhGroup, initialContact: opts.initialContact });
    this.log.at(2)?.('S4.3 AM packet_1');
    const am2 = await this.firstAnswer(am.start(), (d) => am.accepts(d), am.cookieI);
    this.log.at(2)?.('S4.4 AM packet_2');
    const result = am.receive(am2, local, remote);
    const establishedAt = (this.options.clock ?? systemClock).now();
    this.onIkeSa(result.sa);
    const { sa, nat, peer } = result;
    this.logPeer(peer);
    this.float(nat, peer);
    const xauth = sa.suite.authMethod === IkeAuthMethod.XAUTHInitPreShared || sa.suite.authMethod === IkeAuthMethod.HybridInitRSA;
    this.log.at(2)?.('S4.5 AM packet_3');
    let first: Buffer | undefined;
    if (xauth) {
      // AM3 answers AM2: should the gateway repeat AM2 (AM3 lost), it is resent at once.
      first = await this.channel.exchange(result.am3, (d) => isTransactionOf(sa, d) && sa.isAuthentic(d), { other: (d) => this.unexpected(sa, d), answersLast: true });
    } else {
      this.channel.reply(result.am3);
    }
    return { sa, nat, peer, first, lifetimeStated: result.ikeLifetimeSeconds, gatewayChain: result.gatewayChain, establishedAt };
  }

  /** MM1 to MM6 with our certificate (floating to 4500 before MM5 when a NAT was found), then the first XAUTH message. */
  private async mainMode(local: SocketAddress, remote: SocketAddress, opts: { initialContact: boolean }): Promise<Phase1Done> {
    const c = this.config;
    const credentials = this.options.credentials;
    if (!credentials) throw new AuthError('certificate authentication needs our certificate and key (--cert, --key)');
    const mm = new MainModeInitiator({
      policy: { authMode: 'cert', dhGroup: c.dhGroup, weakEncryption: c.weakEncryption, weakAuthentication: c.weakAuthentication, lifetimeSeconds: c.ikeLifetime },
      credentials,
      trust: { anchors: loadTrustAnchors({ caFile: c.caFile, caDir: c.caDir }, (m) => this.log.at(2)?.(`CA skipped: ${m}`)) },
      ...gatewayNameOf(c),
      nattMode: c.nattMode,
      dpd: c.dpdIdle !== 0,
      initialContact: opts.initialContact,
    });
    const accepts = (d: Buffer) => mm.accepts(d);
    this.log.at(2)?.('MM packet_1');
    const mm3 = mm.receiveMm2(await this.firstAnswer(mm.start(), accepts, mm.cookieI), local, remote);
    this.log.at(2)?.('MM packet_3');
    const keyed = mm.receiveMm4(await this.channel.exchange(mm3, accepts, { other: (d) => this.other(mm.cookieI, d), answersLast: true }), local, remote);
    const establishedAt = (this.options.clock ?? systemClock).now();
    this.onIkeSa(keyed.sa);
    this.logPeer(keyed.peer);
    this.float(keyed.nat, keyed.peer);
    this.log.at(2)?.('MM packet_5');
    const result = mm.receiveMm6(await this.channel.exchange(mm.mm5(), (d) => mm.acceptsMm6(d), { other: (d) => this.unexpected(keyed.sa, d), answersLast: true }));
    const { sa } = result;
    let first: Buffer | undefined;
    if (sa.suite.authMethod === IkeAuthMethod.XAUTHInitRSA) {
      first = await this.channel.expect((d) => isTransactionOf(sa, d) && sa.isAuthentic(d), c.ikeTimeout * 1000, 'the XAUTH request', (d) => this.unexpected(sa, d));
    }
    return { sa, nat: keyed.nat, peer: keyed.peer, first, lifetimeStated: result.ikeLifetimeSeconds, gatewayChain: result.gatewayChain, establishedAt };
  }

  /** Sends the first message until answered; silence is "unanswered" (the gateway may be down: backups). */
  private firstAnswer(request: Buffer, accepts: (d: Buffer) => boolean, cookieI: IkeCookie): Promise<Buffer> {
    return this.channel.exchange(request, accepts, { other: (d) => this.other(cookieI, d) }).catch((err: unknown) => {
      throw err instanceof PeerTimeoutError ? new PeerTimeoutError(err.message, true) : err;
    });
  }

  private logPeer(peer: PeerFeatures): void {
    for (const v of peer.vendorIds) this.log.at(2)?.(`peer sent vendor id ${vendorIdName(v) ?? v.toString('hex')}`);
  }

  /** NAT-T (RFC 3947): when a NAT is between us and the gateway speaks RFC NAT-T, IKE moves to port 4500 now. */
  private float(nat: NatStatus, peer: PeerFeatures): void {
    if (nat.natdType === 0) {
      this.log.at(1)?.(peer.nattVersion < 0 ? 'NAT status: no NAT-T VID seen' : 'NAT status: NAT-T not in use');
    } else if (nat.localBehindNat || nat.remoteBehindNat) {
      this.log.at(1)?.(`NAT status: this end behind NAT? ${nat.localBehindNat ? 'YES' : 'no'} -- remote end behind NAT? ${nat.remoteBehindNat ? 'YES' : 'no'}`);
      if (peer.nattVersion >= 2) this.channel.floatTo4500();
    } else {
      this.log.at(1)?.('NAT status: NAT-T VID seen, no NAT device detected');
    }
  }

  /** A datagram that is not this exchange's: another SA's goes to `foreign`. */
  private other(cookieI: IkeCookie, d: Buffer): void {
    const h = headerOf(d);
    if (h && !sameCookie(h.initiatorCookie, cookieI)) this.options.foreign?.(d);
  }

  /**
   * A message that arrived out of turn, or one that is not authentic (exchanges take only datagrams whose HASH
   * verifies: a forged or mangled one is passed over while the real one is awaited): an informational is read
   * (it may be a refusal), anything else logged.
   */
  private unexpected(sa: IkeSa, d: Buffer): void {
    const h = headerOf(d);
    if (!h) return;
    if (!sameCookie(h.initiatorCookie, sa.cookieI)) {
      this.options.foreign?.(d);
      return;
    }
    if (h.exchangeType === ExchangeType.INFORMATIONAL && sameCookie(h.initiatorCookie, sa.cookieI)) {
      let msg: OpenedMessage;
      try {
        msg = sa.openWith(d, (m) => (sa.verifyHash(m), m));
      } catch {
        return;
      }
      for (const ev of parseInformational(msg)) {
        // vpnc's do_load_balance: a cluster member sends us to another one; phase 1 starts again there.
        if (ev.kind === 'load-balance') throw new GatewayRedirect(ev.address);
        if (ev.kind === 'notify') this.log.at(1)?.(`gateway notice during setup: type ${ev.messageType}`);
        if (ev.kind === 'delete-isakmp') throw new ProtocolError('gateway deleted the ISAKMP SA during setup');
      }
      return;
    }
    this.log.at(2)?.(`ignored exchange type ${h.exchangeType} during setup`);
  }

  /** XAUTH as the gateway drives it; returns the mode config it pushed (netscreen, WatchGuard), if the dialect takes it. */
  private async xauth(sa: IkeSa, first: Buffer, dialect: DialectChoice): Promise<ModeConfig | undefined> {
    const xauth = new XauthClient(sa);
    let d = first;
    this.log.at(2)?.('S5.1 xauth_request');
    for (;;) {
      const step = xauth.receive(d);
      switch (step.kind) {
        case 'status':
          // A reply: should the gateway repeat its SET (our ACK lost), the channel answers it again.
          this.channel.reply(step.send);
          if (!step.ok) throw new AuthError('authentication unsuccessful: the gateway refused the XAUTH username or password');
          this.log.at(2)?.('S5.8 xauth done');
          return xauth.pushed;
        case 'pushed':
          if (dialect.push === 'refuse') {
            throw new ProtocolError(
              `the gateway pushed its mode config during XAUTH, as Netscreen and WatchGuard gateways do, and Vendor ${dialect.dialect} does not take it (vpnc's rule): set Vendor netscreen, or remove the Vendor setting to let the client choose`,
            );
          }
          if (dialect.push === 'take-noted') this.log.notice('the gateway pushed its mode config during XAUTH (as Netscreen and WatchGuard gateways do): taking it');
          this.log.at(2)?.('S5.5.1 mode config pushed during XAUTH');
          // The ACK is resent until the status comes: a gateway answers a repeated ACK with its status again.
          d = await this.channel.exchange(step.send, (x) => xauth.accepts(x) && sa.isAuthentic(x), { other: (x) => this.unexpected(sa, x), answersLast: true });
          break;
        case 'ask': {
          const { fields, challenge, messages } = step.request;
          const reply = xauth.answer(await this.answers(fields, challenge, messages));
          d = await this.channel.exchange(reply, (x) => xauth.accepts(x) && sa.isAuthentic(x), { other: (x) => this.unexpected(sa, x), answersLast: true });
          break;
        }
      }
    }
  }

  private async answers(fields: XauthField[], challenge: boolean, messages: string[]): Promise<Map<XauthField, string>> {
    const c = this.config;
    const out = new Map<XauthField, string>();
    const interactive = c.xauthInteractive || challenge;
    // The gateway's messages, shown as vpnc shows them (debug, a challenge, interactive XAUTH): with the next
    // prompt, as plain lines after an empty one (NetworkManager-vpnc takes such lines as the server's message for
    // the prompt that follows, utils_handle_output), or in the log when nothing is asked.
    let message = messages.length && (interactive || c.debug > 0) ? messages.map((m) => m.replace(/\n$/, '')).join('\n') : '';
    try {
      for (const f of fields) {
        if (f === 'username') out.set(f, c.username);
        else if (f === 'domain') {
          if (!c.domain) throw new ProtocolError('server requested domain, but none set (use "Domain ..." in the profile or --domain)');
          out.set(f, c.domain);
        } else if (isSecretField(f)) {
          // A password written in the profile or on the command line is the user's to reuse; one typed at a
          // prompt only while it is reusable (Phase1Options.rememberedPassword).
          const known = c.password !== undefined && !c.passwordTyped ? c.password : this.options.rememberedPassword;
          if (!interactive && !this.passwordUsed && known !== undefined) {
            out.set(f, known);
            this.passwordUsed = true;
            continue;
          }
          if (c.nonInteractive) throw new AuthError('authentication failed: the gateway asks for another password and --non-inter forbids asking');
          if (this.options.reauthentication && !c.passwordHelper) {
            throw new AuthError(`the gateway asks for the ${f === 'password' ? 'password' : f} again and none may be reused; asking at the terminal would stop the tunnel (a --password-helper can answer)`);
          }
          const answer = await this.promptSecret(`${message ? `\n${message}\n` : ''}${xauthPrompt(f, c.username, this.gatewayAddress)}`);
          message = '';
          if (answer === null) throw new AuthError('unable to get password');
          // Only a plain password outside a challenge may serve again; passcodes and answers are single-use.
          if (f === 'password' && !challenge) this.typedPassword = answer;
          out.set(f, answer);
        }
      }
    } finally {
      // Not shown with a prompt (none came, or asking failed): the log has it, where it may explain the failure.
      if (message) for (const line of message.split('\n')) this.log.notice(line);
    }
    this.log.at(99)?.([...out].map(([f, v]) => `XAUTH reply ${f}: "${v}" (hex ${Buffer.from(v).toString('hex')})`).join('\n'));
    return out;
  }

  private async modeConfig(sa: IkeSa): Promise<ModeConfig> {
    this.log.at(2)?.('S6.1 phase2_config');
    const pull = new ModeConfigClient(sa, {
      ciscoUdp: this.config.nattMode === 'cisco-udp',
      ipv6: !this.config.noIpv6 && this.config.ifMode === 'tun',
      applicationVersion: this.config.applicationVersion,
      hostname: hostname(),
    });
    return pull.receive(await this.channel.exchange(pull.request(), (x) => pull.accepts(x) && sa.isAuthentic(x), { other: (x) => this.unexpected(sa, x) }));
  }
}

/**
 * Our aggressive-mode initiator as the configuration asks for it (vpnc's proposals, ID type, NAT-T VIDs, hybrid
 * trust anchors), with the DH group and INITIAL-CONTACT given: the client's phase 1 and `vpnc --probe` alike.
 */
export function aggressiveModeFor(c: VpncConfig, log: Logger, o: { dhGroup: number; initialContact: boolean }): AggressiveModeInitiator {
  const hybrid = c.authMode === 'hybrid';
  const trust = hybrid ? { anchors: loadTrustAnchors({ caFile: c.caFile, caDir: c.caDir }, (m) => log.at(2)?.(`CA skipped: ${m}`)) } : undefined;
  if (trust) log.at(2)?.(`hybrid authentication: ${trust.anchors.length} trusted CA certificate(s) from ${c.caFile ?? '-'} and ${c.caDir}`);
  return new AggressiveModeInitiator({
    policy: {
      authMode: hybrid ? 'hybrid' : 'psk',
      dhGroup: o.dhGroup,
      weakEncryption: c.weakEncryption,
      weakAuthentication: c.weakAuthentication,
      lifetimeSeconds: c.ikeLifetime,
    },
    groupName: c.id,
    idType: c.vendor === 'netscreen' ? IdType.USER_FQDN : IdType.KEY_ID,
    psk: Buffer.from(c.secret, 'utf8'),
    nattMode: c.nattMode,
    dpd: c.dpdIdle !== 0,
    initialContact: o.initialContact,
    ...(trust ? { trust, ...gatewayNameOf(c) } : {}),
  });
}

/** The gateway's host name as configured, which its certificate may name instead of its address. */
function gatewayNameOf(c: VpncConfig): { gatewayName?: string } {
  return !isIpv4(c.gateway) && c.gateway !== '' ? { gatewayName: c.gateway } : {};
}
