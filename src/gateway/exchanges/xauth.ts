/**
 * XAUTH, gateway side (draft-ietf-ipsec-isakmp-xauth-06, generic type): after phase 1 the gateway sends a
 * CFG_REQUEST for user name and password, checks the CFG_REPLY, then sends a CFG_SET with XAUTH_STATUS,
 * which the client ACKs. Each pair is one transaction exchange under its own message id. Pure.
 */
import { timingSafeEqual } from 'node:crypto';
import { ProtocolError } from '../../errors.js';
import { NotifyType, PayloadType } from '../../ike/constants.js';
import { CfgAttribute, CfgType, XauthStatus, XauthType } from '../../ike/mode-cfg-constants.js';
import { attributeString, findAttribute, stringAttribute, tlvAttribute, tvAttribute, type DataAttribute } from '../../ike/payloads/attributes.js';
import type { AttributePayload } from '../../ike/payloads/attribute-payload.js';

/** The credentials a CFG_REPLY carried. */
export interface XauthCredentials {
  readonly username: string;
  readonly password: string;
}

/** A CFG_REQUEST of XAUTH type generic asking for `attributes`. */
function xauthRequest(identifier: number, attributes: DataAttribute[]): AttributePayload {
  return { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REQUEST, identifier, attributes: [tvAttribute(CfgAttribute.XAUTH_TYPE, XauthType.GENERIC), ...attributes] };
}

/**
 * The CFG_REQUEST: XAUTH_TYPE generic, USER_NAME and USER_PASSWORD (empty values ask for them); with `passcode`,
 * XAUTH_PASSCODE instead of the password (a token gateway).
 */
export function buildXauthRequest(identifier: number, passcode = false): AttributePayload {
  return xauthRequest(identifier, [tlvAttribute(CfgAttribute.XAUTH_USER_NAME), tlvAttribute(passcode ? CfgAttribute.XAUTH_PASSCODE : CfgAttribute.XAUTH_USER_PASSWORD)]);
}

/** The second round of a token user: a message and XAUTH_NEXT_PIN (the new PIN to set). */
export function buildNextPinRequest(identifier: number): AttributePayload {
  return xauthRequest(identifier, [stringAttribute(CfgAttribute.XAUTH_MESSAGE, 'Enter a new PIN'), tlvAttribute(CfgAttribute.XAUTH_NEXT_PIN)]);
}

/** The new PIN of the client's CFG_REPLY to buildNextPinRequest. Throws ProtocolError when it is missing. */
export function parseNextPinReply(p: AttributePayload): string {
  if (p.cfgType !== CfgType.REPLY) throw new ProtocolError(`expected an XAUTH reply, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  const pin = findAttribute(p.attributes, CfgAttribute.XAUTH_NEXT_PIN);
  if (!pin) throw new ProtocolError('XAUTH reply lacks the next PIN', NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  return attributeString(pin);
}

/**
 * Reads the client's CFG_REPLY. Throws ProtocolError when it is not a REPLY or lacks the user name or the
 * password (ATTRIBUTES_NOT_SUPPORTED), as a concentrator would refuse it.
 */
export function parseXauthReply(p: AttributePayload): XauthCredentials {
  if (p.cfgType !== CfgType.REPLY) throw new ProtocolError(`expected an XAUTH reply, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  const user = findAttribute(p.attributes, CfgAttribute.XAUTH_USER_NAME);
  const password = findAttribute(p.attributes, CfgAttribute.XAUTH_USER_PASSWORD) ?? findAttribute(p.attributes, CfgAttribute.XAUTH_PASSCODE);
  if (!user || !password) throw new ProtocolError('XAUTH reply lacks the user name or the password', NotifyType.ATTRIBUTES_NOT_SUPPORTED);
  return { username: attributeString(user), password: attributeString(password) };
}

/** True when `given` matches one of the accounts (compared in constant time per account). */
export function checkCredentials(accounts: ReadonlyArray<{ name: string; password: string }>, given: XauthCredentials): boolean {
  const account = accounts.find((a) => a.name === given.username);
  if (!account) return false;
  const want = Buffer.from(account.password, 'utf8');
  const got = Buffer.from(given.password, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

/** The CFG_SET with one XAUTH_STATUS attribute (TV), the only form vpnc accepts. */
export function buildXauthStatus(identifier: number, ok: boolean): AttributePayload {
  return {
    type: PayloadType.ATTRIBUTE,
    cfgType: CfgType.SET,
    identifier,
    attributes: [tvAttribute(CfgAttribute.XAUTH_STATUS, ok ? XauthStatus.OK : XauthStatus.FAIL)],
  };
}

/** Checks the client's ACK of our SET. */
export function checkXauthAck(p: AttributePayload): void {
  if (p.cfgType !== CfgType.ACK) throw new ProtocolError(`expected the ACK of XAUTH status, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
}
