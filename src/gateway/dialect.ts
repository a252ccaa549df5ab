/**
 * The vendor dialects the gateway can speak (`Dialect` setting), each as vpnc's source and the field reports
 * describe that vendor on the wire, so that the client's handling of each has a peer to be tested against:
 *
 * - cisco: Unity VID; XAUTH, then the client asks for mode config (pull).
 * - netscreen (Juniper ScreenOS): a Netscreen VID, no Unity; mode config (address, netmask, DNS, WINS: no Unity
 *   attributes) pushed in a CFG_SET between the XAUTH reply and the status (vpnc's "netscreen modecfg extra");
 *   a client's CFG_REQUEST goes unanswered.
 * - fortigate: the FortiGate VID and Unity; pull; a phase-1 proposal longer than its keylife is refused
 *   ("peer SA proposal does not match local policy", ndpgroup/vpnc PR #9); AM2 carries the malformed
 *   RESPONDER-LIFETIME of openwrt/packages#2423 (LIFE_TYPE seconds, then a HASH attribute holding the value).
 * - watchguard: Unity, no VID of its own; pushes mode config during XAUTH like a Netscreen (with the Unity
 *   default domain, split include and split DNS), which makes vpnc
 *   with Vendor cisco fail with "xauth SET message rejected" (streambinder/vpnc#22); a pull is answered too
 *   (our model: the report does not say).
 */
import { VendorId } from '../ike/vendor-ids.js';

export const GATEWAY_DIALECTS = ['cisco', 'netscreen', 'fortigate', 'watchguard'] as const;
export type GatewayDialect = (typeof GATEWAY_DIALECTS)[number];

export interface DialectRules {
  /** Vendor IDs of the maker in AM2 (besides XAUTH, DPD and NAT-T, which follow the client's). */
  readonly vendorIds: readonly Buffer[];
  /** Announce Cisco Unity in AM2. */
  readonly unity: boolean;
  /** Push mode config in a CFG_SET after the XAUTH reply, before the status. */
  readonly pushModeConfig: boolean;
  /** Answer a client's CFG_REQUEST. */
  readonly answerPull: boolean;
  /** Refuse phase-1 transforms proposing a longer lifetime than this, in seconds; 0: any. */
  readonly maxIkeLifetime: number;
  /** AM2 carries FortiGate's malformed RESPONDER-LIFETIME notify. */
  readonly malformedResponderLifetime: boolean;
}

/** FortiOS's default phase-1 keylife, in seconds. */
export const FORTIGATE_KEYLIFE = 86400;

export const DIALECT_RULES: Readonly<Record<GatewayDialect, DialectRules>> = {
  cisco: { vendorIds: [], unity: true, pushModeConfig: false, answerPull: true, maxIkeLifetime: 0, malformedResponderLifetime: false },
  netscreen: { vendorIds: [VendorId.NETSCREEN_15], unity: false, pushModeConfig: true, answerPull: false, maxIkeLifetime: 0, malformedResponderLifetime: false },
  fortigate: { vendorIds: [VendorId.FORTIGATE], unity: true, pushModeConfig: false, answerPull: true, maxIkeLifetime: FORTIGATE_KEYLIFE, malformedResponderLifetime: true },
  watchguard: { vendorIds: [], unity: true, pushModeConfig: true, answerPull: true, maxIkeLifetime: 0, malformedResponderLifetime: false },
};
