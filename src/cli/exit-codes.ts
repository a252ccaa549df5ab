/**
 * Exit codes, as vpnc and NetworkManager-vpnc use them: 0 normal end, 1 connection or configuration failure,
 * 2 authentication failure. Only cli/ maps errors to codes.
 */
import { VpncError, type ErrorCode } from '../errors.js';

export const ExitCode = {
  ok: 0,
  failure: 1,
  authFailure: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code of every error code (vpnc's: only authentication failures are 2). */
export const EXIT_CODE_OF: Readonly<Record<ErrorCode, ExitCode>> = {
  VPNC_ERR_CONFIG: ExitCode.failure,
  VPNC_ERR_USAGE: ExitCode.failure,
  VPNC_ERR_AUTH: ExitCode.authFailure,
  VPNC_ERR_PEER_TIMEOUT: ExitCode.failure,
  VPNC_ERR_PROTOCOL: ExitCode.failure,
  VPNC_ERR_INTERRUPTED: ExitCode.failure,
  VPNC_ERR_DECODE: ExitCode.failure,
  VPNC_ERR_ENCODE: ExitCode.failure,
  VPNC_ERR_IPV4_DECODE: ExitCode.failure,
  VPNC_ERR_CIPHER_UNAVAILABLE: ExitCode.failure,
  VPNC_ERR_TUN_OPEN: ExitCode.failure,
  VPNC_ERR_TAP: ExitCode.failure,
  VPNC_ERR_UDP_OPEN: ExitCode.failure,
  VPNC_ERR_RAW_ESP_OPEN: ExitCode.failure,
  VPNC_ERR_IO: ExitCode.failure,
  VPNC_ERR_ADDON: ExitCode.failure,
  VPNC_ERR_NO_ROUTE: ExitCode.failure,
  VPNC_ERR_TRACE_FILE: ExitCode.failure,
  VPNC_ERR_SCRIPT_INPUT: ExitCode.failure,
  VPNC_ERR_SCRIPT_MISSING: ExitCode.failure,
  VPNC_ERR_SCRIPT_SPAWN: ExitCode.failure,
  VPNC_ERR_SCRIPT_STATE: ExitCode.failure,
  VPNC_ERR_GATEWAY_NET: ExitCode.failure,
  VPNC_ERR_CONTROL: ExitCode.failure,
  VPNC_ERR_REDIRECT: ExitCode.failure,
};

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof VpncError) return EXIT_CODE_OF[err.code];
  return ExitCode.failure;
}

/** One line for the user: typed errors print their message; anything else is an internal error with a stack. */
export function describeError(err: unknown): string {
  if (err instanceof VpncError) return err.message;
  return `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
