/**
 * Typed errors with stable codes. Protocol and system code throws these; only `cli/` turns them into
 * exit codes and messages (see cli/exit-codes.ts).
 */
export class VpncError extends Error {
  /** Stable machine-readable code, e.g. `VPNC_ERR_CONFIG`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
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
  constructor(message: string) {
    super('VPNC_ERR_PEER_TIMEOUT', message);
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
  constructor(code: string, message: string, errno?: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.errno = errno;
  }
}
