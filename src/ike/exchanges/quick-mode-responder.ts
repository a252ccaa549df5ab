/**
 * Quick mode when the gateway starts it (it rekeys the ESP SAs before they expire), client side:
 *
 *   QM1  <-  HDR*, HASH(1), SA, Ni, [KE], [IDci, IDcr]
 *   QM2  ->  HDR*, HASH(2), SA, Nr, [KE], [IDci, IDcr]
 *   QM3  <-  HDR*, HASH(3)
 *
 * We accept a proposal with a transform we would have offered ourselves, the encapsulation mode in use, and
 * the PFS group the user configured (`--pfs`: a rekey may not drop PFS; with no PFS configured, the gateway
 * may still ask for a group). The IDs must be this tunnel's: our address, and inside the target network.
 */
import { randomBytes } from 'node:crypto';
import { createDh, isDhGroupId } from '../../crypto/dh-groups.js';
import { resolveEspSuite } from '../../esp/transforms.js';
import { ProtocolError } from '../../errors.js';
import { Doi, ExchangeType, IpsecSituation, NotifyType, PayloadType, ProtocolId } from '../constants.js';
import type { IkeSa, OpenedMessage } from '../ike-sa.js';
import { IpsecAttribute } from '../ipsec-attributes.js';
import { hash3, keymat } from '../keys.js';
import type { Payload } from '../payloads/payload.js';
import type { SaPayload } from '../payloads/sa.js';
import { readLifetimes } from '../proposals.js';
import type { IdPayload } from '../payloads/id.js';
import { espChoices, isOffered, readEspTransform, type EspPolicy, type QuickModeResult } from './quick-mode.js';
import { checkQuickModeIds, type IpFamily, type TunnelIds } from './quick-mode-ids.js';
import { checkedNonce } from './nonce.js';

export interface QuickModeResponderParams {
  readonly sa: IkeSa;
  readonly policy: EspPolicy;
  /** The encapsulation mode of the running tunnel. */
  readonly encapMode: number;
  /** Our new inbound SPI. */
  readonly spiIn: Buffer;
  /** The PFS group the tunnel uses (configured or pushed by mode config); 0: none required. */
  readonly pfsGroup: number;
  /** What the tunnel was set up for: the IDs of a rekey must match. */
  readonly tunnel: TunnelIds;
  readonly random?: (n: number) => Buffer;
}

export class QuickModeResponder {
  private nonceI: Buffer | undefined;
  private nonceR: Buffer | undefined;
  private pending: Omit<QuickModeResult, 'qm3'> | undefined;

  constructor(private readonly p: QuickModeResponderParams) {}

  /** The family of the tunnel this quick mode rekeys. */
  get family(): IpFamily {
    return this.p.tunnel.ours.family;
  }

  /** Processes the gateway's QM1 (opened, not yet verified) and returns QM2. */
  receive(msg: OpenedMessage): Buffer {
    const { sa } = this.p;
    sa.verifyHash(msg);
    const msgId = msg.header.messageId;
    let saI: SaPayload | undefined;
    let ke: Buffer | undefined;
    const ids: IdPayload[] = [];
    for (const pl of msg.payloads.slice(1)) {
      if (pl.type === PayloadType.SA) saI = pl;
      else if (pl.type === PayloadType.NONCE) this.nonceI = checkedNonce(pl.data, "the gateway's QM1");
      else if (pl.type === PayloadType.KE) ke = pl.data;
      else if (pl.type === PayloadType.ID) ids.push(pl);
    }
    if (!saI || !this.nonceI) throw new ProtocolError('gateway quick mode lacks SA or nonce', NotifyType.PAYLOAD_MALFORMED);
    checkQuickModeIds(ids, 1, this.p.tunnel);
    const choices = espChoices(this.p.policy);
    for (const prop of saI.proposals) {
      if (prop.protocol !== ProtocolId.IPSEC_ESP || prop.spi.length !== 4) continue;
      for (const t of prop.transforms) {
        const { auth, keyBits, encap, group } = readEspTransform(t);
        const ok = isOffered(choices, t.id, auth, keyBits);
        if (!ok || encap !== this.p.encapMode || (group !== 0) !== (ke !== undefined)) continue;
        if (group && !isDhGroupId(group)) continue;
        if (this.p.pfsGroup && group !== this.p.pfsGroup) continue;
        const suite = resolveEspSuite(t.id, keyBits, auth);
        this.nonceR = (this.p.random ?? randomBytes)(20);
        let gxy: Buffer | undefined;
        const reply: Payload[] = [];
        const ourSa: SaPayload = {
          type: PayloadType.SA,
          doi: Doi.IPSEC,
          situation: IpsecSituation.IDENTITY_ONLY,
          proposals: [{ number: prop.number, protocol: ProtocolId.IPSEC_ESP, spi: this.p.spiIn, transforms: [t] }],
        };
        reply.push(ourSa, { type: PayloadType.NONCE, data: this.nonceR });
        if (group && ke && isDhGroupId(group)) {
          const dh = createDh(group);
          gxy = dh.computeSecret(ke);
          reply.push({ type: PayloadType.KE, data: dh.publicValue });
        }
        reply.push(...ids);
        const input = (spi: Buffer) => ({ protocol: ProtocolId.IPSEC_ESP, spi, nonceI: this.nonceI!, nonceR: this.nonceR!, ...(gxy ? { gxy } : {}) });
        const life = readLifetimes(t.attributes, IpsecAttribute.SA_LIFE_TYPE, IpsecAttribute.SA_LIFE_DURATION);
        this.pending = {
          suite,
          spiIn: this.p.spiIn,
          spiOut: Buffer.from(prop.spi),
          keymatIn: keymat(sa.prf, sa.keys.skeyidD, input(this.p.spiIn), suite.keymatLength),
          keymatOut: keymat(sa.prf, sa.keys.skeyidD, input(prop.spi), suite.keymatLength),
          lifetimeSeconds: life.seconds,
          lifetimeKilobytes: life.kilobytes,
        };
        return sa.sealHashed(ExchangeType.QUICK, msgId, reply, this.nonceI);
      }
    }
    const pfs = this.p.pfsGroup ? ` with PFS group ${this.p.pfsGroup}` : '';
    throw new ProtocolError(`none of the gateway's quick mode proposals is acceptable${pfs}`, NotifyType.NO_PROPOSAL_CHOSEN);
  }

  /** Checks QM3 (HASH(3)) and returns the new SAs' keys. */
  finish(msg: OpenedMessage): Omit<QuickModeResult, 'qm3'> {
    const first = msg.payloads[0];
    if (!this.pending || !this.nonceI || !this.nonceR) throw new ProtocolError('QM3 before QM1');
    const expected = hash3(this.p.sa.prf, this.p.sa.keys.skeyidA, msg.header.messageId, this.nonceI, this.nonceR);
    if (!first || first.type !== PayloadType.HASH || !expected.equals(first.data)) {
      throw new ProtocolError('QM3 HASH(3) does not match', NotifyType.INVALID_HASH_INFORMATION);
    }
    this.p.sa.ivs.forget(msg.header.messageId);
    return this.pending;
  }
}
