/**
 * Errors of the route-script layer. Their codes are stable; `cli/` maps them to exit codes.
 */
import { VpncError, type ErrorCode } from '../errors.js';

/** Stable codes for {@link ScriptError}. */
export const ScriptErrorCode = {
  /** A value handed to the environment builder is malformed (a bug upstream, never gateway input we pass on). */
  badInput: 'VPNC_ERR_SCRIPT_INPUT',
  /** The configured script does not exist or is not executable. */
  missing: 'VPNC_ERR_SCRIPT_MISSING',
  /** The shell could not be started at all. */
  spawn: 'VPNC_ERR_SCRIPT_SPAWN',
  /** The state file kept for vpnc-disconnect cannot be read or is not ours. */
  state: 'VPNC_ERR_SCRIPT_STATE',
} as const satisfies Record<string, ErrorCode>;
export type ScriptErrorCode = (typeof ScriptErrorCode)[keyof typeof ScriptErrorCode];

/** A route script could not be prepared or started. A script that ran and failed is a result, not an error. */
export class ScriptError extends VpncError {
  constructor(code: ScriptErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
