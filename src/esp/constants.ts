/**
 * ESP numbers and buffer geometry (RFC 4303). One module, so the hot path, the native addon's arenas and the tests agree.
 */

/** SPI (4) + Sequence Number (4). */
export const ESP_HEADER_LENGTH = 8;
/** Largest explicit IV of the supported transforms (AES-CBC). */
export const ESP_MAX_IV_LENGTH = 16;
/** Largest ICV of the supported transforms (HMAC-SHA2-256-128, AES-GCM-16). */
export const ESP_MAX_ICV_LENGTH = 16;
/** Largest cipher block (AES); padding is at most one block minus one byte. */
export const ESP_MAX_BLOCK_SIZE = 16;

/** Outer IPv4 header without options, built for raw ESP (protocol 50). */
export const OUTER_IPV4_HEADER_LENGTH = 20;
/** UDP header for RFC 3948 / Cisco UDP encapsulation. */
export const UDP_HEADER_LENGTH = 8;
/** Longest marker before ESP: the 8-byte non-IKE marker of draft-ietf-ipsec-udp-encaps-00/01. */
export const MAX_ENCAP_MARKER_LENGTH = 8;

/**
 * Bytes a buffer must have free in front of the inner packet (the TUN read offset): outer IPv4 (20) + UDP (8)
 * + marker (8) + ESP header (8) + IV (16) = 60, rounded up to 64. The ESP header and IV are written there by
 * `encapsulate`; the transport writes its headers in front of them. Nothing is copied.
 */
export const ESP_HEADROOM = 64;

/**
 * Bytes a buffer must have free after the inner packet: padding (at most 15) + pad length (1) + next header (1)
 * + ICV (16) = 33, rounded up to 64 to leave room for longer ICVs later.
 */
export const ESP_TAILROOM = 64;

/** Largest inner packet carried by default (the usual Ethernet MTU; vpnc's TUN MTU is below it). */
export const ESP_DEFAULT_MAX_INNER = 1500;

/** Buffer size that holds an inner packet of ESP_DEFAULT_MAX_INNER with its headroom and tailroom. */
export const ESP_BUFFER_SIZE = ESP_HEADROOM + ESP_DEFAULT_MAX_INNER + ESP_TAILROOM;

/** Largest sequence number: RFC 4303 section 3.3.3 forbids cycling; the SA must be rekeyed before. */
export const ESP_SEQ_MAX = 0xffffffff;

/** Outbound sequence number at which the SA is replaced (85 % of the space, as for lifetimes). */
export const ESP_SEQ_REKEY_AT = Math.floor(ESP_SEQ_MAX * 0.85);

/** Share of an SA's lifetime (seconds or kilobytes) after which it is replaced. */
export const ESP_SOFT_LIFETIME_SHARE = 0.85;

/** Next Header values in the ESP trailer (IANA protocol numbers). */
export const NextHeader = {
  /** IPv4 in IP (tunnel mode, inner IPv4). */
  IPV4: 4,
  /** IPv6 (tunnel mode, inner IPv6). */
  IPV6: 41,
  /** No Next Header: dummy packets (RFC 4303 section 2.6), which the receiver discards. */
  NO_NEXT_HEADER: 59,
} as const;
export type NextHeader = (typeof NextHeader)[keyof typeof NextHeader];

/**
 * Result of `encapsulate` / `decapsulate`: OK, or why the packet was dropped. Numbers, so the data path returns
 * them without allocating; `espStatusName` gives the words for logs.
 */
export const EspStatus = {
  OK: 0,
  /** Inbound: sequence number 0, already seen, or older than the replay window. */
  REPLAY: 1,
  /** Inbound: the ICV (HMAC or GCM tag) did not verify. */
  BAD_ICV: 2,
  /** Inbound: pad length too large or padding bytes not 1, 2, 3, ... */
  BAD_PADDING: 3,
  /** Inbound: packet too short or text not a whole number of cipher blocks. */
  BAD_LENGTH: 4,
  /** Inbound: next header is not 4/41/59 or does not match the inner IP version; outbound: not IPv4/IPv6. */
  UNKNOWN_NEXT_HEADER: 5,
  /** Inbound: the cipher failed after the ICV verified. */
  DECRYPT_FAILED: 6,
  /** Outbound: the 32-bit sequence number is used up; the SA must be replaced. */
  SEQUENCE_EXHAUSTED: 7,
  /** Outbound: the buffer lacks headroom or tailroom for the ESP framing. */
  NO_ROOM: 8,
} as const;
export type EspStatus = (typeof EspStatus)[keyof typeof EspStatus];

const STATUS_NAMES: Readonly<Record<EspStatus, string>> = {
  0: 'ok',
  1: 'replay',
  2: 'bad ICV',
  3: 'bad padding',
  4: 'bad length',
  5: 'unknown next header',
  6: 'decrypt failure',
  7: 'sequence number exhausted',
  8: 'no room in buffer',
};

/** Words for an EspStatus, for logs. */
export function espStatusName(status: EspStatus): string {
  return STATUS_NAMES[status];
}


/**
 * Receive buffer of the sockets ESP arrives on. The kernel's default (about 208 KiB) overflows at a few hundred
 * Mbit/s while the event loop is busy; every packet lost there is counted by the gateway but not by us, which
 * also eats into the margin of a kilobyte lifetime. Root lifts the sysctl cap (SO_RCVBUFFORCE).
 */
export const ESP_SOCKET_BUFFER = 4 << 20;
