/**
 * One ESP security association. SAs are simplex (RFC 4301 section 4.1): a tunnel has an outbound SA (our
 * sequence numbers, the peer's SPI) and an inbound SA (the replay window, our SPI). The same class serves
 * both; each counts the traffic and drops of its own direction.
 */
import { createEspCipher } from '../crypto/esp-cipher.js';
import type { EspCipher } from '../crypto/esp-suite.js';
import { RandomPool, type IvSource } from '../crypto/esp-random-pool.js';
import { ProtocolError } from '../errors.js';
import type { Spi } from '../wire/sa-ids.js';
import { ESP_SEQ_REKEY_AT, EspStatus } from './constants.js';
import { ReplayWindow } from './replay.js';
import type { EspSuite } from './transforms.js';

/** Packets dropped, by reason (names follow EspStatus). */
export interface EspDropCounters {
  replay: number;
  badIcv: number;
  badPadding: number;
  badLength: number;
  unknownNextHeader: number;
  decryptFailed: number;
  sequenceExhausted: number;
  noRoom: number;
}

/** Traffic of one SA: packets and inner (plaintext) bytes that went through, and drops. */
export interface EspCounters {
  packets: number;
  bytes: number;
  readonly drops: EspDropCounters;
}

/** Keys of one SA direction, as split from KEYMAT. */
export interface EspKeys {
  /** Encryption key; for AES-GCM without the salt. */
  readonly encryption: Buffer;
  /** RFC 4106 salt (AES-GCM), else empty. */
  readonly salt: Buffer;
  readonly integrity: Buffer;
}

/** What it takes to make an SA. */
export interface EspSaOptions {
  /** SPI as it appears on the wire. */
  readonly spi: Spi;
  readonly suite: EspSuite;
  readonly keys: EspKeys;
  /**
   * Source of CBC IVs; a fresh RandomPool by default. An injected source is used as the IV exactly (known-answer
   * tests); the default one is whitened through the SA's running CBC context (see CbcIvMode).
   */
  readonly ivSource?: IvSource;
}

/** Split KEYMAT into keys: encryption key, then salt, then integrity key (as vpnc and RFC 4106 order it). */
export function splitKeymat(suite: EspSuite, keymat: Buffer): EspKeys {
  if (keymat.length < suite.keymatLength) {
    throw new ProtocolError(`${suite.name}: KEYMAT has ${keymat.length} bytes, needs ${suite.keymatLength}`);
  }
  const saltEnd = suite.encKeyLength + suite.saltLength;
  return {
    encryption: Buffer.from(keymat.subarray(0, suite.encKeyLength)),
    salt: Buffer.from(keymat.subarray(suite.encKeyLength, saltEnd)),
    integrity: Buffer.from(keymat.subarray(saltEnd, saltEnd + suite.authKeyLength)),
  };
}

/** A simplex ESP SA: keys, transform, sequence number or replay window, counters. */
export class EspSa {
  readonly spi: Spi;
  readonly suite: EspSuite;
  readonly keys: EspKeys;
  readonly cipher: EspCipher;
  readonly ivSource: IvSource;
  /** Next outbound sequence number; starts at 1 and must not pass ESP_SEQ_MAX. */
  nextSeq = 1;
  /** Inner bytes after which this SA is to be replaced (85 % of a kilobyte lifetime); Infinity: no limit. */
  softByteLimit = Infinity;
  /** Inbound anti-replay state. */
  readonly replay = new ReplayWindow();
  readonly counters: EspCounters = {
    packets: 0,
    bytes: 0,
    drops: {
      replay: 0,
      badIcv: 0,
      badPadding: 0,
      badLength: 0,
      unknownNextHeader: 0,
      decryptFailed: 0,
      sequenceExhausted: 0,
      noRoom: 0,
    },
  };

  /** Throws ProtocolError when the keys do not fit the suite. */
  constructor(opts: EspSaOptions) {
    const { suite, keys } = opts;
    if (keys.encryption.length !== suite.encKeyLength || keys.salt.length !== suite.saltLength) {
      throw new ProtocolError(`${suite.name}: wrong encryption key or salt length`);
    }
    if (keys.integrity.length !== suite.authKeyLength) {
      throw new ProtocolError(`${suite.name}: wrong integrity key length`);
    }
    this.spi = opts.spi;
    this.suite = suite;
    this.keys = keys;
    this.ivSource = opts.ivSource ?? new RandomPool();
    this.cipher = createEspCipher({
      cipher: suite.cipher,
      encKey: keys.encryption,
      salt: keys.salt,
      hash: suite.hash,
      authKey: keys.integrity,
      icvLength: suite.icvLength,
      ivLength: suite.ivLength,
      ivMode: opts.ivSource === undefined ? 'whitened' : 'as-given',
    });
  }

  /** An SA from quick-mode KEYMAT for this direction. */
  static fromKeymat(spi: Spi, suite: EspSuite, keymat: Buffer, ivSource?: IvSource): EspSa {
    const keys = splitKeymat(suite, keymat);
    return new EspSa(ivSource === undefined ? { spi, suite, keys } : { spi, suite, keys, ivSource });
  }

  /** Time to replace this SA: 85 % of its kilobyte lifetime used, or (outbound) the sequence number near its end. */
  pastSoftLimit(): boolean {
    return this.counters.bytes >= this.softByteLimit || this.nextSeq >= ESP_SEQ_REKEY_AT;
  }

  /** Count a dropped packet; returns `status` so callers can `return sa.drop(...)`. */
  drop(status: EspStatus): EspStatus {
    const d = this.counters.drops;
    switch (status) {
      case EspStatus.REPLAY: d.replay++; break;
      case EspStatus.BAD_ICV: d.badIcv++; break;
      case EspStatus.BAD_PADDING: d.badPadding++; break;
      case EspStatus.BAD_LENGTH: d.badLength++; break;
      case EspStatus.UNKNOWN_NEXT_HEADER: d.unknownNextHeader++; break;
      case EspStatus.DECRYPT_FAILED: d.decryptFailed++; break;
      case EspStatus.SEQUENCE_EXHAUSTED: d.sequenceExhausted++; break;
      case EspStatus.NO_ROOM: d.noRoom++; break;
      case EspStatus.OK: break;
    }
    return status;
  }
}
