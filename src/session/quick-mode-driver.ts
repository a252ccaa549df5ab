/**
 * Runs quick mode as initiator over the IKE channel and turns the result into ESP SAs.
 */
import { EspSa } from '../esp/sa.js';
import type { Logger } from '../log.js';
import { ExchangeType } from '../ike/constants.js';
import { QuickModeInitiator } from '../ike/exchanges/quick-mode.js';
import { randomMessageId, type IkeSa } from '../ike/ike-sa.js';
import { EncapsulationMode } from '../ike/ipsec-attributes.js';
import { decodeHeader } from '../ike/message.js';
import type { VpncConfig } from '../config/validate.js';
import type { IkeChannel } from './ike-channel.js';
import { addressRange, type IpFamily } from '../ike/exchanges/quick-mode-ids.js';
import { formatSpi, randomSpi, sameCookie } from '../wire/sa-ids.js';

export interface EspPair {
  /** The inner traffic it carries: each family has its own quick mode. */
  family: IpFamily;
  inbound: EspSa;
  outbound: EspSa;
  lifetimeSeconds: number;
  lifetimeKilobytes: number;
  description: string;
}

/** The PFS group to use: vpnc's "server" means dh2 when the gateway's UNITY_PFS says so. */
export function pfsGroupFor(setting: VpncConfig['pfs'], gatewayPfs: number | undefined): number {
  if (setting === 'server') return gatewayPfs ? 2 : 0;
  return setting;
}

export function encapModeFor(natt: 'none' | 'rfc' | 'draft'): number {
  if (natt === 'rfc') return EncapsulationMode.UDP_TUNNEL;
  if (natt === 'draft') return EncapsulationMode.UDP_TUNNEL_DRAFT;
  return EncapsulationMode.TUNNEL;
}

export async function runQuickMode(
  sa: IkeSa,
  channel: IkeChannel,
  log: Logger,
  /** `localAddress` is our IPv4 or IPv6 tunnel address; `remote` the network of that family (the target network, ::/0). */
  p: { config: VpncConfig; localAddress: string; remote: { address: string; prefixLength: number }; pfsGroup: number; encapMode: number },
  /** Gets every other message meanwhile (informational ones included); throws to abandon the exchange. */
  other: (d: Buffer) => void,
): Promise<EspPair> {
  const msgId = randomMessageId();
  const spiIn = randomSpi();
  const qm = new QuickModeInitiator({
    sa,
    msgId,
    spiIn,
    pfsGroup: p.pfsGroup,
    encapMode: p.encapMode,
    localAddress: p.localAddress,
    remote: p.remote,
    policy: { weakEncryption: p.config.weakEncryption, weakAuthentication: p.config.weakAuthentication, noEncryption: p.config.noEncryption },
  });
  log.at(2)?.('S7.1 QM_packet1');
  const reply = await channel.exchange(
    qm.start(),
    (d) => {
      try {
        const h = decodeHeader(d);
        // A datagram of ours whose HASH(2) does not verify is forged or mangled: passed over, the real QM2 awaited.
        return sameCookie(h.initiatorCookie, sa.cookieI) && h.exchangeType === ExchangeType.QUICK && h.messageId === msgId && qm.isAnswer(d);
      } catch {
        return false;
      }
    },
    { other },
  );
  const r = qm.receive(sa.open(reply));
  // QM3 answers QM2: should the gateway repeat QM2 (QM3 lost), the channel resends it.
  channel.reply(r.qm3);
  const inbound = EspSa.fromKeymat(r.spiIn, r.suite, r.keymatIn);
  const outbound = EspSa.fromKeymat(r.spiOut, r.suite, r.keymatOut);
  const family = addressRange(p.localAddress)?.family ?? 4;
  const description = `${family === 6 ? 'IPv6: ' : ''}${r.suite.name}, SPI in ${formatSpi(r.spiIn)} out ${formatSpi(r.spiOut)}${p.pfsGroup ? `, PFS dh${p.pfsGroup}` : ''}`;
  log.at(1)?.(`IPSEC SA selected ${description}`);
  log.at(2)?.(`ESP lifetime ${r.lifetimeSeconds ? `${r.lifetimeSeconds} s` : 'not stated'}${r.lifetimeKilobytes ? `, ${r.lifetimeKilobytes} kB` : ''}`);
  return { family, inbound, outbound, lifetimeSeconds: r.lifetimeSeconds, lifetimeKilobytes: r.lifetimeKilobytes, description };
}
