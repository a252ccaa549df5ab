/**
 * The `semantic` plaintext mutation: well-formed payloads carrying values a gateway should never send, where the
 * client acts on them after authentication. Mode config and XAUTH attributes (addresses 0.0.0.0 or the gateway's
 * own, non-contiguous netmasks, split networks covering the gateway, 40 DNS servers, huge or NUL-laden banners,
 * odd PFS groups and ports, an IPv6 address nobody asked for), SA attributes (lifetimes of 0 to 2 s, unknown
 * encapsulation modes and key lengths), nonces and KE values of bad sizes, DELETE SPI counts, DPD sequence
 * lengths, quick mode IDs naming other networks. Pure given the PRNG.
 */
import { CfgAttribute, IkeAttribute, IpsecAttribute, PayloadType, ProtocolId } from '../../ike/constants.js';
import { joinAttributes, joinSa, splitAttributes, splitSa, type RawAttribute, type RawPayload } from './chain.js';
import type { Prng } from './prng.js';
import { ipv4TextToBytes } from '../../wire/ipv4-text.js';

const ip = (text: string) => ipv4TextToBytes(text);
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const text = (s: string) => Buffer.from(s, 'utf8');
const ADDRESSES = ['0.0.0.0', '255.255.255.255', '127.0.0.1', '224.0.0.1', '198.51.100.1', '198.51.100.2', '192.0.2.255', '169.254.1.1'].map(ip);
const MASKS = ['0.0.0.0', '255.255.255.255', '255.0.255.0', '255.255.255.254', '128.0.0.0'].map(ip);
const NETWORKS: ReadonlyArray<readonly [string, string]> = [['0.0.0.0', '0.0.0.0'], ['198.51.100.0', '255.255.255.0'], ['198.51.100.1', '255.255.255.255'], ['203.0.113.0', '255.0.255.0'], ['255.255.255.255', '0.0.0.0'], ['192.0.2.0', '255.255.255.0']];
const split = (nets: ReadonlyArray<readonly [string, string]>) => Buffer.concat(nets.map(([a, m]) => Buffer.concat([ip(a), ip(m), Buffer.alloc(6)])));
const IPV6 = ['20010db8000000000000000000000001', '00000000000000000000000000000000', '00000000000000000000000000000001', 'fe800000000000000000000000000001'].map((h) => Buffer.from(h, 'hex'));
const STRINGS = ['', ' ', 'a..b', '$(touch /tmp/hostile)', 'x\ny', 'x\0y', '\0', 'é\xff', '\u001b[2J', 'a'.repeat(300), 'corp.example,,evil.example', '%s%s%n'].map(text);
const TV = [0, 1, 2, 3, 5, 14, 99, 500, 4500, 0x7fff, 0xffff].map(u16);
const LIFETIMES = [0, 1, 2, 0xffffffff].map(u32);

type Values = (rng: Prng) => Buffer;
const pick = (list: readonly Buffer[]): Values => (rng) => rng.pick(list);
const oneOf = (...sources: Values[]): Values => (rng) => rng.pick(sources)(rng);

/** Mode config and XAUTH attributes: the values to try, and whether the attribute is TV. */
const CFG_VALUES: ReadonlyArray<readonly [number, boolean, Values]> = [
  [CfgAttribute.INTERNAL_IP4_ADDRESS, false, oneOf(pick(ADDRESSES), pick([Buffer.alloc(0), Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(16)]))],
  [CfgAttribute.INTERNAL_IP4_NETMASK, false, pick(MASKS)],
  [CfgAttribute.INTERNAL_IP4_DNS, false, pick(ADDRESSES)],
  [CfgAttribute.INTERNAL_IP4_NBNS, false, pick(ADDRESSES)],
  [CfgAttribute.INTERNAL_ADDRESS_EXPIRY, false, pick(LIFETIMES)],
  [CfgAttribute.INTERNAL_IP6_ADDRESS, false, (rng) => Buffer.concat([rng.pick(IPV6), rng.chance(0.7) ? Buffer.from([rng.pick([0, 1, 64, 127, 128, 129, 255])]) : Buffer.alloc(0)])],
  [CfgAttribute.INTERNAL_IP6_NETMASK, false, (rng) => (rng.chance(0.5) ? rng.pick(IPV6) : Buffer.from('ffff0000ffff00000000000000000000', 'hex'))],
  [CfgAttribute.INTERNAL_IP6_DNS, false, pick(IPV6)],
  [CfgAttribute.INTERNAL_IP6_SUBNET, false, (rng) => Buffer.concat([rng.pick(IPV6), Buffer.from([rng.pick([0, 48, 128, 129])])])],
  [CfgAttribute.UNITY_BANNER, false, oneOf(pick(STRINGS), (rng) => text(`line\n`.repeat(rng.between(100, 2000))))],
  [CfgAttribute.UNITY_DEF_DOMAIN, false, pick(STRINGS)],
  [CfgAttribute.UNITY_SPLITDNS_NAME, false, pick(STRINGS)],
  [CfgAttribute.UNITY_SPLIT_INCLUDE, false, oneOf((rng) => split([rng.pick(NETWORKS)]), () => split(NETWORKS), (rng) => split(Array.from({ length: rng.between(50, 300) }, (_, i) => [`10.${i >> 8}.${i & 255}.0`, '255.255.255.0'] as const)), () => Buffer.alloc(13))],
  [CfgAttribute.UNITY_LOCAL_LAN, false, (rng) => split([rng.pick(NETWORKS)])],
  [CfgAttribute.UNITY_BACKUP_SERVERS, false, oneOf(pick(STRINGS), pick(['0.0.0.0', '198.51.100.1,198.51.100.1', 'localhost', '127.0.0.1 ::1', 'a'.repeat(260)].map(text)))],
  [CfgAttribute.UNITY_PFS, true, pick(TV)],
  [CfgAttribute.UNITY_NATT_PORT, true, pick(TV)],
  [CfgAttribute.UNITY_SAVE_PASSWD, true, pick(TV)],
  [CfgAttribute.XAUTH_STATUS, true, pick(TV)],
  [CfgAttribute.XAUTH_TYPE, true, pick(TV)],
  [CfgAttribute.XAUTH_MESSAGE, false, oneOf(pick(STRINGS), (rng) => text('m\n'.repeat(rng.between(100, 3000))))],
  [CfgAttribute.XAUTH_CHALLENGE, false, pick(STRINGS)],
  [CfgAttribute.XAUTH_NEXT_PIN, false, () => Buffer.alloc(0)],
  [CfgAttribute.XAUTH_DOMAIN, false, () => Buffer.alloc(0)],
  [CfgAttribute.XAUTH_PASSCODE, false, () => Buffer.alloc(0)],
];

/** SA transform attributes: phase 2 (ESP), phase 1 (ISAKMP). */
const ESP_VALUES: ReadonlyArray<readonly [number, boolean, Values]> = [
  [IpsecAttribute.SA_LIFE_TYPE, true, pick([0, 1, 2, 3].map(u16))],
  [IpsecAttribute.SA_LIFE_DURATION, false, oneOf(pick(LIFETIMES), () => Buffer.alloc(8, 0xff), () => Buffer.alloc(0))],
  [IpsecAttribute.GROUP_DESCRIPTION, true, pick([0, 1, 2, 14, 99, 0xffff].map(u16))],
  [IpsecAttribute.ENCAPSULATION_MODE, true, pick([0, 1, 2, 3, 4, 61443, 61444, 0xffff].map(u16))],
  [IpsecAttribute.AUTHENTICATION_ALGORITHM, true, pick([0, 1, 2, 5, 7, 9, 0xffff].map(u16))],
  [IpsecAttribute.KEY_LENGTH, true, pick([0, 1, 64, 128, 129, 192, 256, 512, 0xffff].map(u16))],
];
const IKE_VALUES: ReadonlyArray<readonly [number, boolean, Values]> = [
  [IkeAttribute.LIFE_TYPE, true, pick([0, 1, 2, 3].map(u16))],
  [IkeAttribute.LIFE_DURATION, false, oneOf(pick(LIFETIMES), () => Buffer.alloc(8, 0xff))],
  [IkeAttribute.ENCRYPTION_ALGORITHM, true, pick([0, 1, 5, 7, 0xffff].map(u16))],
  [IkeAttribute.HASH_ALGORITHM, true, pick([0, 1, 2, 4, 6, 0xffff].map(u16))],
  [IkeAttribute.AUTHENTICATION_METHOD, true, pick([0, 1, 3, 65001, 65002, 0xffff].map(u16))],
  [IkeAttribute.GROUP_DESCRIPTION, true, pick([0, 1, 2, 5, 14, 99].map(u16))],
  [IkeAttribute.KEY_LENGTH, true, pick([0, 1, 128, 129, 256, 0xffff].map(u16))],
];

/** Replaces (or adds, or repeats 40 times) one attribute of `list` with a value from `table`. */
function attributes(rng: Prng, list: Buffer, table: ReadonlyArray<readonly [number, boolean, Values]>): { bytes: Buffer; what: string } {
  const attrs: RawAttribute[] = splitAttributes(list) ?? [];
  const present = table.filter(([t]) => attrs.some((a) => a.type === t));
  const [type, tv, values] = present.length > 0 && rng.chance(0.6) ? rng.pick(present) : rng.pick(table);
  const value = values(rng);
  const attr: RawAttribute = { type, tv: tv && value.length === 2, value };
  const at = attrs.findIndex((a) => a.type === type);
  const how = rng.below(10);
  if (how === 0) attrs.push(...Array.from({ length: 40 }, () => attr));
  else if (at >= 0 && how > 2) attrs[at] = attr;
  else attrs.splice(rng.below(attrs.length + 1), 0, attr);
  return { bytes: joinAttributes(attrs), what: `attribute ${type} = ${value.length > 24 ? `${value.length} bytes` : `0x${value.toString('hex')}`}${how === 0 ? ' x40' : at >= 0 && how > 2 ? '' : ' added'}` };
}

/** One payload of `payloads` given a hostile value; undefined when none has anything to change. */
export function mutateSemantic(rng: Prng, payloads: RawPayload[], from: number): { payloads: RawPayload[]; what: string } | undefined {
  const candidates = payloads.map((p, i) => [p, i] as const).filter(([p, i]) => i >= from && HANDLED.has(p.type));
  if (candidates.length === 0) return undefined;
  const [p, i] = rng.pick(candidates);
  const body = handle(rng, p);
  if (!body) return undefined;
  const out = [...payloads];
  out[i] = { type: p.type, body: body.bytes };
  return { payloads: out, what: `payload ${i} (type ${p.type}): ${body.what}` };
}

const HANDLED = new Set<number>([PayloadType.ATTRIBUTE, PayloadType.SA, PayloadType.NONCE, PayloadType.KE, PayloadType.ID, PayloadType.DELETE, PayloadType.NOTIFICATION, PayloadType.NAT_D, PayloadType.NAT_D_DRAFT]);

function handle(rng: Prng, p: RawPayload): { bytes: Buffer; what: string } | undefined {
  const b = p.body;
  switch (p.type) {
    case PayloadType.ATTRIBUTE: {
      if (b.length < 4) return undefined;
      const m = attributes(rng, b.subarray(4), CFG_VALUES);
      return { bytes: Buffer.concat([b.subarray(0, 4), m.bytes]), what: m.what };
    }
    case PayloadType.SA: {
      const sa = splitSa(b);
      const prop = sa ? rng.pick(sa.proposals) : undefined;
      if (!sa || !prop || prop.transforms.length === 0) return undefined;
      const ti = rng.below(prop.transforms.length);
      const m = attributes(rng, prop.transforms[ti]!.attrs, prop.protocol === ProtocolId.ISAKMP ? IKE_VALUES : ESP_VALUES);
      prop.transforms[ti] = { ...prop.transforms[ti]!, attrs: m.bytes };
      return { bytes: joinSa(sa), what: `transform ${ti}: ${m.what}` };
    }
    case PayloadType.NONCE:
    case PayloadType.KE:
    case PayloadType.NAT_D:
    case PayloadType.NAT_D_DRAFT: {
      const len = rng.pick([0, 1, 7, 8, 255, 256, 257, 1024, b.length + 1, Math.max(0, b.length - 1)]);
      const fill = rng.pick([0x00, 0xff, 0x01]);
      const bytes = p.type === PayloadType.KE && len === b.length + 1 ? Buffer.concat([Buffer.alloc(len - 1), Buffer.from([1])]) : Buffer.alloc(len, fill);
      return { bytes, what: `${len} bytes of 0x${fill.toString(16)}` };
    }
    case PayloadType.ID: {
      if (b.length < 4) return undefined;
      const [type, data] = rng.pick([[1, ip('198.51.100.1')], [4, Buffer.concat([ip('0.0.0.0'), ip('0.0.0.0')])], [4, Buffer.concat([ip('198.51.100.0'), ip('255.255.255.0')])], [7, Buffer.concat([ip('192.0.2.20'), ip('192.0.2.10')])], [5, Buffer.alloc(16)], [1, Buffer.alloc(16)], [11, text('gateway')]] as const);
      return { bytes: Buffer.concat([Buffer.from([type]), b.subarray(1, 4), data]), what: `ID type ${type} with ${data.length} bytes` };
    }
    case PayloadType.DELETE: {
      if (b.length < 8) return undefined;
      const spiSize = b[5]!;
      const count = rng.pick([0, 1, 2, 255, 1000]);
      const head = Buffer.from(b.subarray(0, 8));
      head.writeUInt16BE(rng.chance(0.5) ? count : b.readUInt16BE(6), 6);
      return { bytes: Buffer.concat([head, rng.bytes(Math.min(count, 300) * spiSize)]), what: `${count} SPIs of ${spiSize} bytes` };
    }
    case PayloadType.NOTIFICATION: {
      if (b.length < 8) return undefined;
      const spiEnd = 8 + b[5]!;
      const data = rng.pick([Buffer.alloc(0), Buffer.alloc(3), Buffer.alloc(5), Buffer.alloc(8, 0xff), u32(0), u32(0xffffffff)]);
      return { bytes: Buffer.concat([b.subarray(0, Math.min(spiEnd, b.length)), data]), what: `notify data of ${data.length} bytes` };
    }
    default:
      return undefined;
  }
}
