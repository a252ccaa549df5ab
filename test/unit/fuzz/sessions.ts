/**
 * Established sessions for the encrypted fuzz targets, and the sealing oracle that gets a mutated plaintext
 * past the integrity checks: the client's AggressiveModeInitiator meets the gateway's GatewayPeer in memory,
 * deterministically (seeded randomness, fixed Diffie-Hellman values), cheaply enough to start afresh for every
 * input; then `sealFor` encrypts any plaintext chain under the receiving SA's keys and IV, with the HASH(1) /
 * HASH(2) it would compute over exactly the bytes it will walk, so a mutation reaches the parser.
 */
import fc from 'fast-check';
import { cbcDecrypt, cbcEncrypt } from '../../../src/crypto/cipher.js';
import { hashLength } from '../../../src/crypto/hash.js';
import type { DhKeyPair } from '../../../src/crypto/dh-groups.js';
import { ExchangeType, IdType, PayloadType } from '../../../src/ike/constants.js';
import { AggressiveModeInitiator, type AggressiveModeResult } from '../../../src/ike/exchanges/aggressive-mode.js';
import { ModeConfigClient } from '../../../src/ike/exchanges/mode-config-client.js';
import { QuickModeInitiator } from '../../../src/ike/exchanges/quick-mode.js';
import { XauthClient } from '../../../src/ike/exchanges/xauth-client.js';
import type { XauthField } from '../../../src/ike/exchanges/xauth.js';
import { chainLength, type IkeSa } from '../../../src/ike/ike-sa.js';
import { EncapsulationMode } from '../../../src/ike/ipsec-attributes.js';
import { hash1 } from '../../../src/ike/keys.js';
import { decodePayloads, encodeHeader, encodePayloadChain, splitMessage } from '../../../src/ike/message.js';
import type { Payload } from '../../../src/ike/payloads/index.js';
import { parseGatewayConfig, type GatewayConfig } from '../../../src/gateway/config.js';
import { AggressiveModeResponder } from '../../../src/gateway/exchanges/aggressive-mode.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';
import { spiFromNumber } from '../../../src/wire/sa-ids.js';
import { GatewayPeer, type PeerAction } from '../../../src/gateway/peer.js';
import { responderParams } from '../../../src/gateway/phase1-setup.js';
import { anyPayload, mutated, mutatedList } from './mutate.js';
import { seeded } from './runs.js';

export const GW = { address: '198.51.100.1', port: 500 };
export const CLIENT = { address: '198.51.100.2', port: 500 };
export const CONFIG_LINES = ['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.20', 'DNS 203.0.113.53', 'Split include 203.0.113.0/24'];
export const GATEWAY_CONFIG = parseGatewayConfig(CONFIG_LINES.join('\n'), 'fuzz.conf');
export const ESP_POLICY = { weakEncryption: false, weakAuthentication: false, noEncryption: false };

/** A Diffie-Hellman stand-in: a fixed public value in range and one shared secret, so no exponentiation per input. */
export function fakeDh(fill: number): DhKeyPair {
  return { group: 2, publicValue: Buffer.alloc(128, fill), computeSecret: () => Buffer.alloc(128, 0x5a) };
}

export interface Handshake {
  readonly result: AggressiveModeResult;
  readonly sa: IkeSa;
  readonly peer: GatewayPeer;
  /** The gateway's SA (the same keys, its own IV state). */
  readonly gatewaySa: IkeSa;
  /** The gateway's first message after AM3. */
  readonly first: Buffer | undefined;
}

/** The one datagram `actions` send (throws otherwise: the fixture went wrong, not the target). */
export function sentOne(actions: PeerAction[]): Buffer {
  const sends = actions.filter((a): a is Extract<PeerAction, { kind: 'send' }> => a.kind === 'send');
  if (sends.length !== 1) throw new Error(`fixture: expected one datagram, got ${actions.map((a) => a.kind).join(', ') || 'none'}`);
  return sends[0]!.data;
}

/** The client's aggressive mode initiator: the same cookie, nonce and KE every time. */
export function clientInitiator(): AggressiveModeInitiator {
  return new AggressiveModeInitiator({
    policy: { authMode: 'psk', dhGroup: 2, weakEncryption: false, weakAuthentication: false },
    groupName: 'mygroup', idType: IdType.KEY_ID, psk: Buffer.from('s'), nattMode: 'natt', dpd: true, initialContact: true,
    random: seeded('client'), dh: fakeDh(0x11),
  });
}

/** Phase 1 up to AM2: the client's result (AM3 to send), and a gateway peer waiting for AM3. */
export function phase1Pending(config: GatewayConfig = GATEWAY_CONFIG): { result: AggressiveModeResult; peer: GatewayPeer; am1: Buffer } {
  const init = clientInitiator();
  const am1 = init.start();
  const responder = AggressiveModeResponder.start(am1, { ...responderParams(config, CLIENT, 500, seeded('gateway')), createDh: () => fakeDh(0x22) });
  let next = parseIpv4('192.0.2.10');
  const peer = new GatewayPeer({ config, allocateAddress: () => next++, random: seeded('peer') }, responder, am1);
  return { result: init.receive(responder.am2, CLIENT, GW), peer, am1 };
}

/** Aggressive mode between the client and a fresh gateway peer; identical bytes every time. */
export function handshake(config: GatewayConfig = GATEWAY_CONFIG): Handshake {
  const { result, peer } = phase1Pending(config);
  const actions = peer.receive(result.am3);
  return { result, sa: result.sa, peer, gatewaySa: peer.sa!, first: actions.length ? sentOne(actions) : undefined };
}

const ANSWERS = new Map<XauthField, string>([['username', 'u'], ['password', 'p']]);

/** A handshake taken through XAUTH (accepted) and mode config: the gateway's peer is ready for quick mode. */
export function ready(): Handshake {
  const h = handshake();
  const xauth = new XauthClient(h.sa);
  xauth.receive(h.first!);
  const status = xauth.receive(sentOne(h.peer.receive(xauth.answer(ANSWERS))));
  if (status.kind !== 'status' || !status.ok) throw new Error('fixture: XAUTH did not succeed');
  h.peer.receive(status.send);
  const pull = new ModeConfigClient(h.sa, { ciscoUdp: false, applicationVersion: 'fuzz', hostname: 'fuzz' }, seeded('pull'));
  pull.receive(sentOne(h.peer.receive(pull.request())));
  return h;
}

export const OUR_ADDRESS = '192.0.2.10';
export const TARGET = { address: '203.0.113.0', prefixLength: 24 };
export const QM_ID = 0x51515151;

/** The client's quick mode initiator of a ready session (no PFS, tunnel mode, as the gateway expects). */
export function quickModeInitiator(h: Handshake, msgId = QM_ID): QuickModeInitiator {
  return new QuickModeInitiator({
    sa: h.sa, msgId, spiIn: spiFromNumber(0xc1c1c1c1), pfsGroup: 0, encapMode: EncapsulationMode.TUNNEL,
    localAddress: OUR_ADDRESS, remote: TARGET, policy: ESP_POLICY, random: seeded('qm'),
  });
}

/** A plaintext payload chain and its first payload type, as the header would name it. */
export interface Plain {
  readonly first: number;
  readonly chain: Buffer;
}

export function plainOf(list: readonly Payload[]): Plain {
  return { first: list[0]?.type ?? PayloadType.NONE, chain: encodePayloadChain(list) };
}

/**
 * Mutations of a valid payload list as plaintext: structural edits (well-formed payloads, wrong content),
 * byte edits of the encoded chain (the codecs' turn), or both; sometimes another first payload type.
 */
export function plainMutations(base: readonly Payload[], extra: fc.Arbitrary<Payload> = anyPayload): fc.Arbitrary<Plain> {
  const chain = encodePayloadChain(base);
  const first = base[0]?.type ?? PayloadType.NONE;
  return fc.oneof(
    { weight: 3, arbitrary: mutatedList(base, extra).map(plainOf) },
    { weight: 2, arbitrary: fc.tuple(mutated(chain), fc.oneof({ weight: 5, arbitrary: fc.constant(first) }, { weight: 1, arbitrary: fc.nat({ max: 255 }) })).map(([c, f]) => ({ first: f, chain: c })) },
    { weight: 1, arbitrary: mutatedList(base, extra).chain((l) => { const p = plainOf(l); return mutated(p.chain).map((c) => ({ first: p.first, chain: c })); }) },
  );
}

/** How the sealed message is authenticated: HASH(1), HASH(2) (`extra` = Ni_b), or no HASH payload at all. */
export type Hashing = { kind: 'hash'; extra?: Buffer } | { kind: 'none' };

export interface SealHeader {
  readonly exchangeType: number;
  readonly msgId: number;
  readonly flags?: number;
}

/**
 * What the peer would send: `plain` behind a valid HASH, zero-padded, CBC-encrypted with the receiver's key
 * and the IV it expects next for this message id, under its cookies. The receiver's state is only read.
 */
export function sealFor(sa: IkeSa, h: SealHeader, plain: Plain, hashing: Hashing = { kind: 'hash' }): Buffer {
  const bs = sa.ivs.blockSize;
  let text: Buffer;
  let first = plain.first;
  if (hashing.kind === 'hash') {
    const hashLen = hashLength(sa.suite.hash);
    const head = Buffer.alloc(4 + hashLen);
    head[0] = plain.first;
    head.writeUInt16BE(4 + hashLen, 2);
    text = pad(Buffer.concat([head, plain.chain]), bs);
    let end = text.length;
    try {
      end = chainLength(text);
    } catch {
      /* the receiver will refuse the chain before the hash: any hash will do */
    }
    const rest = text.subarray(head.length, Math.max(end, head.length));
    hash1(sa.prf, sa.keys.skeyidA, h.msgId, hashing.extra ? Buffer.concat([hashing.extra, rest]) : rest).copy(text, 4);
    first = PayloadType.HASH;
  } else {
    text = pad(plain.chain, bs);
  }
  const mode = h.exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
  const body = cbcEncrypt(sa.ivs.cipher, sa.ivs.key, sa.ivs.ivFor(h.msgId, mode), text).data;
  const header = encodeHeader({
    initiatorCookie: sa.cookieI, responderCookie: sa.cookieR, nextPayload: first, version: 0x10,
    exchangeType: h.exchangeType, flags: h.flags ?? 1, messageId: h.msgId, length: 28 + body.length,
  });
  return Buffer.concat([header, body]);
}

function pad(b: Buffer, bs: number): Buffer {
  const n = b.length === 0 ? bs : Math.ceil(b.length / bs) * bs;
  return n === b.length ? b : Buffer.concat([b, Buffer.alloc(n - b.length)]);
}

/**
 * The payloads of a message to `sa` (or one `sa` sent, given the `iv` it used), decrypted without moving the IV
 * chain: to look at a message before or after the code under test.
 */
export function peek(sa: IkeSa, d: Buffer, iv?: Buffer): Payload[] {
  const { header, body } = splitMessage(d);
  const mode = header.exchangeType === ExchangeType.INFORMATIONAL ? 'informational' : 'chained';
  const text = cbcDecrypt(sa.ivs.cipher, sa.ivs.key, iv ?? sa.ivs.ivFor(header.messageId, mode), body).data;
  return decodePayloads(header.nextPayload, text.subarray(0, chainLength(text)));
}

/** A message id for an input: arbitrary but never 0 (phase 1). */
export const messageId = fc.integer({ min: 1, max: 0xffffffff });
