/**
 * Informational exchanges, for the client and the gateway alike: DPD (RFC 3706), DELETE, what a peer may tell
 * us, and the gateway's two special cases (vpnc's hash-only "IKE keepalive" accepted, the unprotected refusal
 * of a first message). After phase 1 every message is protected with HASH(1) (IkeSa.sealHashed) under a
 * fresh random message id. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { Doi, ExchangeType, NotifyType, PayloadType, ProtocolId } from '../constants.js';
import { messageIdBytes } from '../crypt.js';
import type { IkeSa, OpenedMessage } from '../ike-sa.js';
import { encodeMessage } from '../message.js';
import { ProtocolError } from '../../errors.js';
import type { Payload } from '../payloads/payload.js';
import { cookiePairBytes, SPI_LENGTH, spiFromBytes, spiToBytes, type IkeCookie, type Spi } from '../../wire/sa-ids.js';

/** A DPD R-U-THERE or R-U-THERE-ACK with its sequence number. */
export function buildDpd(sa: IkeSa, msgId: number, ack: boolean, seq: number): Buffer {
  const data = Buffer.alloc(4);
  data.writeUInt32BE(seq >>> 0);
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, [
    { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: ack ? NotifyType.R_U_THERE_ACK : NotifyType.R_U_THERE, spi: sa.spi, data },
  ]);
}

/** Cisco load balancing (notify 40501): "take this client to `address`" (its 4 bytes), as a cluster member sends it. */
export function buildLoadBalance(sa: IkeSa, msgId: number, address: Buffer): Buffer {
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, [
    { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType: NotifyType.CISCO_LOAD_BALANCE, spi: sa.spi, data: address },
  ]);
}

/** DELETE of our ESP SAs (inbound and outbound SPI in one payload, as vpnc sends it). */
export function buildDeleteEsp(sa: IkeSa, msgId: number, spis: readonly Spi[]): Buffer {
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, [espDeletePayload(spis)]);
}

function espDeletePayload(spis: readonly Spi[]): Payload {
  return { type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.IPSEC_ESP, spiSize: SPI_LENGTH, spis: spis.map(spiToBytes) };
}

/** DELETE of the ISAKMP SA itself (SPI = both cookies). */
export function buildDeleteIsakmp(sa: IkeSa, msgId: number): Buffer {
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, [
    { type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] },
  ]);
}

/**
 * The end of a session in one message: DELETE of the ISAKMP SA and of the ESP SAs. The ISAKMP DELETE comes
 * first: vpnc 0.5.3 answers an ESP DELETE with a new quick mode and would not see the rest (measured with
 * Debian's vpnc); our client reads the whole message before it decides (parseInformational orders it).
 */
export function buildDeleteAll(sa: IkeSa, msgId: number, espSpis: readonly Spi[]): Buffer {
  const payloads: Payload[] = [{ type: PayloadType.DELETE, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, spiSize: 16, spis: [sa.spi] }];
  if (espSpis.length > 0) payloads.push(espDeletePayload(espSpis));
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, payloads);
}

/** A hash-only informational message (vpnc's IKE keepalive in cisco-udp mode). */
export function buildEmptyInformational(sa: IkeSa, msgId: number): Buffer {
  return sa.sealHashed(ExchangeType.INFORMATIONAL, msgId, []);
}

/**
 * An unencrypted informational notify refusing a first message (NO-PROPOSAL-CHOSEN, INVALID-ID-INFORMATION):
 * no keys exist yet, so it cannot be protected (RFC 2408 5.1 allows this).
 */
export function buildPlainNotify(cookieI: IkeCookie, cookieR: IkeCookie, messageType: number): Buffer {
  return encodeMessage({ initiatorCookie: cookieI, responderCookie: cookieR, exchangeType: ExchangeType.INFORMATIONAL, flags: 0, messageId: 0 }, [
    { type: PayloadType.NOTIFICATION, doi: Doi.IPSEC, protocol: ProtocolId.ISAKMP, messageType, spi: cookiePairBytes(cookieI, cookieR), data: Buffer.alloc(0) },
  ]);
}

/**
 * Authenticates an informational message. A hash-only message is accepted with vpnc's hash over
 * `0 | M-ID` (its phase2_authpacket hashes a zero byte when there is no payload) as well as the RFC form.
 * Throws ProtocolError INVALID_HASH_INFORMATION otherwise.
 */
export function verifyInformational(sa: IkeSa, msg: OpenedMessage): void {
  const first = msg.payloads[0];
  if (msg.payloads.length === 1 && first?.type === PayloadType.HASH) {
    const vpncForm = sa.prf.compute(sa.keys.skeyidA, Buffer.from([0]), messageIdBytes(msg.header.messageId));
    if (vpncForm.length === first.data.length && timingSafeEqual(vpncForm, first.data)) return;
  }
  sa.verifyHash(msg);
}

/** What an authenticated informational message asks of us. */
export type InformationalEvent =
  | { kind: 'r-u-there'; seq: number }
  | { kind: 'r-u-there-ack'; seq: number }
  | { kind: 'delete-isakmp' }
  | { kind: 'delete-esp'; spis: Spi[] }
  | { kind: 'notify'; messageType: number; protocol: number; data: Buffer }
  | { kind: 'load-balance'; address: string }
  /** A payload that breaks the protocol; the rest of the message is still read. */
  | { kind: 'malformed'; error: ProtocolError };

/** The SPI sizes RFC 2408 3.15 / RFC 2407 4.6.3 give a DELETE: the two cookies, or one ESP SPI. */
const DELETE_SPI_SIZE = { [ProtocolId.ISAKMP]: 16, [ProtocolId.IPSEC_ESP]: 4 } as const;

/**
 * Lists the events in an opened, hash-verified informational message, an ISAKMP DELETE last: whether the ESP
 * SAs were deleted too (the end of the session) or live on (re-authenticate) is known before it is handled.
 */
export function parseInformational(msg: OpenedMessage): InformationalEvent[] {
  const events = readEvents(msg);
  return [...events.filter((e) => e.kind !== 'delete-isakmp'), ...events.filter((e) => e.kind === 'delete-isakmp')];
}

function readEvents(msg: OpenedMessage): InformationalEvent[] {
  const out: InformationalEvent[] = [];
  for (const p of msg.payloads as Payload[]) {
    if (p.type === PayloadType.NOTIFICATION) {
      if ((p.messageType === NotifyType.R_U_THERE || p.messageType === NotifyType.R_U_THERE_ACK) && p.data.length === 4) {
        const seq = p.data.readUInt32BE(0);
        out.push(p.messageType === NotifyType.R_U_THERE ? { kind: 'r-u-there', seq } : { kind: 'r-u-there-ack', seq });
      } else if (p.messageType === NotifyType.CISCO_LOAD_BALANCE && p.data.length === 4) {
        out.push({ kind: 'load-balance', address: Array.from(p.data).join('.') });
      } else {
        out.push({ kind: 'notify', messageType: p.messageType, protocol: p.protocol, data: p.data });
      }
    } else if (p.type === PayloadType.DELETE && (p.protocol === ProtocolId.ISAKMP || p.protocol === ProtocolId.IPSEC_ESP)) {
      const size = DELETE_SPI_SIZE[p.protocol];
      const name = p.protocol === ProtocolId.ISAKMP ? 'ISAKMP' : 'ESP';
      if (p.spiSize !== size) {
        const error = new ProtocolError(`DELETE for ${name} with SPI size ${p.spiSize} (must be ${size}): ignored`, NotifyType.INVALID_SPI);
        out.push({ kind: 'malformed', error });
      } else if (p.protocol === ProtocolId.ISAKMP) out.push({ kind: 'delete-isakmp' });
      else out.push({ kind: 'delete-esp', spis: p.spis.map(spiFromBytes) });
    }
  }
  return out;
}
