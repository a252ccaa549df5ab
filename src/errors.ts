/**
 * Typed errors with stable codes. Protocol and system code throws these; only `cli/` turns them into
 * exit codes and messages (see cli/exit-codes.ts).
 */

/**
 * Every error code, in one place, with what it means. A code is stable: scripts and NetworkManager may match
 * on it. `cli/exit-codes.ts` gives each its exit code (the type makes that table complete).
 */
export const ERROR_CODES = {
  VPNC_ERR_CONFIG: 'the configuration (command line, profile, gateway file) is wrong or incomplete',
  VPNC_ERR_USAGE: 'the command line cannot be understood',
  VPNC_ERR_AUTH: 'authentication failed: group secret, XAUTH password, or no password to be had',
  VPNC_ERR_PEER_TIMEOUT: 'the gateway did not answer in time',
  VPNC_ERR_PROTOCOL: 'the gateway said or did something the protocol does not allow, or refused a proposal',
  VPNC_ERR_INTERRUPTED: 'the connection was stopped (signal, gateway DELETE) while an exchange was waiting',
  VPNC_ERR_DECODE: 'a received message is malformed',
  VPNC_ERR_ENCODE: 'a message could not be encoded (a value out of range)',
  VPNC_ERR_IPV4_DECODE: 'a packet carries a malformed IPv4 header',
  VPNC_ERR_CIPHER_UNAVAILABLE: 'the runtime cannot provide a negotiated cipher (single DES)',
  VPNC_ERR_TUN_OPEN: 'the TUN/TAP device cannot be opened',
  VPNC_ERR_TAP: 'the TAP device cannot be used (no MAC address)',
  VPNC_ERR_UDP_OPEN: 'a UDP socket cannot be opened or bound',
  VPNC_ERR_RAW_ESP_OPEN: 'the raw ESP socket cannot be opened',
  VPNC_ERR_IO: 'packet I/O on an open device or socket failed',
  VPNC_ERR_ADDON: 'the native packet I/O addon is missing or does not match',
  VPNC_ERR_NO_ROUTE: 'there is no route to the gateway',
  VPNC_ERR_TRACE_FILE: 'the trace or keys file cannot be written',
  VPNC_ERR_SCRIPT_INPUT: 'a value for the route script environment is malformed',
  VPNC_ERR_SCRIPT_MISSING: 'the route script does not exist or is not executable',
  VPNC_ERR_SCRIPT_SPAWN: 'the route script cannot be started',
  VPNC_ERR_SCRIPT_STATE: 'the state file kept for vpnc-disconnect cannot be read or is not ours',
  VPNC_ERR_GATEWAY_NET: 'the project gateway cannot set up its device or routes',
  VPNC_ERR_REDIRECT: 'the gateway redirected the connection elsewhere (Cisco load balancing), more often than followed',
  VPNC_ERR_CONTROL: 'the control socket of a running client cannot be opened, reached or read (vpnc --status)',
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class VpncError extends Error {
  /**
   * Whether typed errors record a stack trace. They are expected outcomes (a malformed packet, a refusal), shown
   * as one line and never with a stack; recording one costs more than the rest of rejecting junk (a flood of
   * it measured ~20 us an error). The CLI turns it off, and on again for debugging (Debug 3 and up).
   */
  static captureStacks = true;
  /** Stable machine-readable code from ERROR_CODES, e.g. `VPNC_ERR_CONFIG`. */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    const limit = Error.stackTraceLimit;
    if (!VpncError.captureStacks) Error.stackTraceLimit = 0;
    try {
      super(message, options);
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.code = code;
    this.name = new.target.name;
  }
}

/** The user's configuration or command line is wrong: one line, no stack. */
export class ConfigError extends VpncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VPNC_ERR_CONFIG', message, options);
  }
}

/** The command line could not be understood (unknown option, missing argument). */
export class UsageError extends VpncError {
  constructor(message: string) {
    super('VPNC_ERR_USAGE', message);
  }
}

/** Authentication failed: wrong group secret, wrong XAUTH password, no password obtainable. */
export class AuthError extends VpncError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VPNC_ERR_AUTH', message, options);
  }
}

/** The peer did not answer in time ("no response from target"). */
export class PeerTimeoutError extends VpncError {
  constructor(
    message: string,
    /** Nothing at all came back to the first message (AM1): the gateway may be down, not just slow. */
    readonly unanswered = false,
  ) {
    super('VPNC_ERR_PEER_TIMEOUT', message);
  }
}

/** A cluster member sent us to another gateway (Cisco load balancing, notify 40501) during setup. */
export class GatewayRedirect extends VpncError {
  constructor(readonly address: string) {
    super('VPNC_ERR_REDIRECT', `the gateway redirects to ${address} (Cisco load balancing)`);
  }
}

/** The peer said or did something the protocol does not allow, or refused what we asked. */
export class ProtocolError extends VpncError {
  /** ISAKMP notify message type to answer with, when there is one. */
  readonly notify: number | undefined;
  constructor(message: string, notify?: number, options?: { cause?: unknown }) {
    super('VPNC_ERR_PROTOCOL', message, options);
    this.notify = notify;
  }
}

/** An operating-system resource could not be had (device, socket, file); the message carries a hint. */
export class SystemError extends VpncError {
  readonly errno: string | undefined;
  constructor(code: ErrorCode, message: string, errno?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.errno = errno;
  }
}
