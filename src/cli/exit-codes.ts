/**
 * Exit codes, as vpnc and NetworkManager-vpnc use them: 0 normal end, 1 connection or configuration failure,
 * 2 authentication failure. Only cli/ maps errors to codes.
 */
import { AuthError, VpncError } from '../errors.js';

export const ExitCode = {
  ok: 0,
  failure: 1,
  authFailure: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof AuthError) return ExitCode.authFailure;
  if (err instanceof VpncError) return ExitCode.failure;
  return ExitCode.failure;
}

/** One line for the user: typed errors print their message; anything else is an internal error with a stack. */
export function describeError(err: unknown): string {
  if (err instanceof VpncError) return err.message;
  return `internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
