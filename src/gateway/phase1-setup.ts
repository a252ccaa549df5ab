/**
 * Which phase 1 a client's first message starts, with the parameters the configuration gives it: aggressive
 * mode with the group's pre-shared key, main mode with the gateway's certificate. XAUTH is negotiated in either
 * when the gateway has accounts (XAUTHInitPreShared, XAUTHInitRSA), else plain PSK or RSA signatures.
 */
import { ProtocolError } from '../errors.js';
import { ExchangeType, IkeAuthMethod, NotifyType } from '../ike/constants.js';
import type { SocketAddress } from '../ike/exchanges/phase1-common.js';
import type { GatewayConfig } from './config.js';
import { DIALECT_RULES } from './dialect.js';
import { AggressiveModeResponder, type AggressiveModeResponderParams } from './exchanges/aggressive-mode.js';
import { MainModeResponder } from './exchanges/main-mode.js';
import type { Phase1Responder, Phase1ResponderParams } from './exchanges/phase1-responder.js';

/** The phase-1 auth method the gateway negotiates in a mode: with XAUTH when it has accounts. */
function authMethodFor(config: GatewayConfig, mode: 'aggressive' | 'main' = 'aggressive'): number {
  const xauth = config.users.length > 0;
  if (mode === 'main') return xauth ? IkeAuthMethod.XAUTHInitRSA : IkeAuthMethod.RSA_SIGNATURES;
  return xauth ? IkeAuthMethod.XAUTHInitPreShared : IkeAuthMethod.PRESHARED_KEY;
}

function commonParams(config: GatewayConfig, mode: 'aggressive' | 'main', remote: SocketAddress, localPort: number, random?: (n: number) => Buffer): Phase1ResponderParams {
  return {
    policy: { proposals: config.ikeProposals, dhGroups: config.dhGroups, authMethod: authMethodFor(config, mode), maxLifetimeSeconds: DIALECT_RULES[config.dialect].maxIkeLifetime },
    dialect: DIALECT_RULES[config.dialect],
    dpd: config.dpdIdle > 0,
    local: { address: config.listen, port: localPort },
    remote,
    ...(random ? { random } : {}),
  };
}

/** Responder parameters for aggressive mode from the config (a gateway without a group takes none). */
export function responderParams(config: GatewayConfig, remote: SocketAddress, localPort: number, random?: (n: number) => Buffer): AggressiveModeResponderParams {
  if (config.group === undefined || config.groupSecret === undefined) {
    throw new ProtocolError('aggressive mode, which this gateway does not take (it has no Group: certificates only, in main mode)', NotifyType.INVALID_EXCHANGE_TYPE);
  }
  return { ...commonParams(config, 'aggressive', remote, localPort, random), groupName: config.group, psk: Buffer.from(config.groupSecret, 'utf8') };
}

/** The responder a first message starts (AM1 or MM1). Throws ProtocolError with the notify to refuse it with. */
export function startPhase1(first: Buffer, exchangeType: number, config: GatewayConfig, remote: SocketAddress, localPort: number, random?: (n: number) => Buffer): Phase1Responder {
  if (exchangeType === ExchangeType.AGGRESSIVE) return AggressiveModeResponder.start(first, responderParams(config, remote, localPort, random));
  if (!config.certificate) throw new ProtocolError('main mode, which this gateway does not take (it has no Certificate: pre-shared keys only, in aggressive mode)', NotifyType.INVALID_EXCHANGE_TYPE);
  return MainModeResponder.start(first, { ...commonParams(config, 'main', remote, localPort, random), certificate: config.certificate });
}
