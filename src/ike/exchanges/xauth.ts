/**
 * XAUTH, client side (draft-ietf-ipsec-isakmp-xauth-06, as vpnc answers it): the gateway sends CFG_REQUESTs
 * in transaction exchanges; we answer each with a CFG_REPLY; a final CFG_SET carries XAUTH_STATUS, which we
 * ACK. Pure: the session supplies the answers (the configured username and password, or prompted values).
 */
import { ProtocolError } from '../../errors.js';
import { NotifyType, PayloadType } from '../constants.js';
import { CfgAttribute, CfgType, XauthStatus, XauthType } from '../mode-cfg-constants.js';
import { attributeNumber, attributeString, type DataAttribute } from '../payloads/attributes.js';
import type { AttributePayload } from '../payloads/attribute-payload.js';

/** A value the gateway asks for. */
export type XauthField = 'username' | 'password' | 'passcode' | 'answer' | 'next-pin' | 'domain';

export interface XauthRequest {
  readonly identifier: number;
  readonly attributes: readonly DataAttribute[];
  /** XAUTH_MESSAGE texts (shown to the user on challenges or at debug level). */
  readonly messages: string[];
  /** The values to fill, in request order. */
  readonly fields: XauthField[];
  /** ANSWER or NEXT_PIN present: a challenge, whose secret must come from the user. */
  readonly challenge: boolean;
}

const FIELD_OF: Partial<Record<number, XauthField>> = {
  [CfgAttribute.XAUTH_USER_NAME]: 'username',
  [CfgAttribute.XAUTH_USER_PASSWORD]: 'password',
  [CfgAttribute.XAUTH_PASSCODE]: 'passcode',
  [CfgAttribute.XAUTH_ANSWER]: 'answer',
  [CfgAttribute.XAUTH_NEXT_PIN]: 'next-pin',
  [CfgAttribute.XAUTH_DOMAIN]: 'domain',
};

/** Secrets that the configured password can answer once; afterwards the user is asked. */
export function isSecretField(f: XauthField): boolean {
  return f === 'password' || f === 'passcode' || f === 'answer' || f === 'next-pin';
}

/** vpnc's prompt for a secret field: "Password for VPN user@gw: ". */
export function xauthPrompt(field: XauthField, username: string, gateway: string): string {
  const label = field === 'answer' ? 'Answer' : field === 'password' ? 'Password' : 'Passcode';
  return `${label} for VPN ${username}@${gateway}: `;
}

/** Checks a CFG_REQUEST and lists what it asks for. Unknown attributes are refused, as vpnc does. */
export function parseXauthRequest(p: AttributePayload): XauthRequest {
  if (p.cfgType !== CfgType.REQUEST) throw new ProtocolError(`expected an XAUTH request, got CFG type ${p.cfgType}`, NotifyType.INVALID_PAYLOAD_TYPE);
  const messages: string[] = [];
  const fields: XauthField[] = [];
  let challenge = false;
  for (const a of p.attributes) {
    const field = FIELD_OF[a.type];
    if (field) {
      fields.push(field);
      if (field === 'answer' || field === 'next-pin') challenge = true;
      continue;
    }
    switch (a.type) {
      case CfgAttribute.XAUTH_TYPE:
        if (attributeNumber(a) !== XauthType.GENERIC) {
          throw new ProtocolError(`gateway asks for XAUTH type ${attributeNumber(a)}; only generic (0) is supported`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
        }
        break;
      case CfgAttribute.XAUTH_MESSAGE:
        messages.push(a.tv ? String.fromCharCode(a.value[0]!, a.value[1]!) : attributeString(a));
        break;
      case CfgAttribute.CISCO_EXT_VENDOR:
      case CfgAttribute.CISCO_UNKNOWN_0015:
        break;
      default:
        throw new ProtocolError(`gateway's XAUTH request holds unsupported attribute ${a.type}`, NotifyType.ATTRIBUTES_NOT_SUPPORTED);
    }
  }
  return { identifier: p.identifier, attributes: p.attributes, messages, fields, challenge };
}

/** Builds the CFG_REPLY: TYPE and 0x0015 echoed, each requested field filled from `answers`. */
export function buildXauthReply(req: XauthRequest, answers: ReadonlyMap<XauthField, string>): AttributePayload {
  const attributes: DataAttribute[] = [];
  for (const a of req.attributes) {
    if (a.type === CfgAttribute.XAUTH_TYPE || a.type === CfgAttribute.CISCO_UNKNOWN_0015) {
      attributes.push(a);
      continue;
    }
    const field = FIELD_OF[a.type];
    if (!field) continue;
    const value = answers.get(field);
    if (value === undefined) throw new ProtocolError(`no value for the requested XAUTH ${field}`);
    attributes.push({ type: a.type, tv: false, value: Buffer.from(value, 'utf8') });
  }
  return { type: PayloadType.ATTRIBUTE, cfgType: CfgType.REPLY, identifier: req.identifier, attributes };
}

/**
 * Reads the final CFG_SET: exactly one XAUTH_STATUS attribute. Returns true for OK. Other SETs (netscreen
 * pushes mode config here) return undefined so the caller can handle them.
 */
export function parseXauthStatus(p: AttributePayload): boolean | undefined {
  if (p.cfgType !== CfgType.SET) return undefined;
  const status = p.attributes.find((a) => a.type === CfgAttribute.XAUTH_STATUS);
  if (!status) return undefined;
  return attributeNumber(status) === XauthStatus.OK;
}

/** The ACK of a CFG_SET: the same attributes, echoed (as vpnc does). */
export function buildAck(set: AttributePayload): AttributePayload {
  return { type: PayloadType.ATTRIBUTE, cfgType: CfgType.ACK, identifier: set.identifier, attributes: set.attributes };
}
