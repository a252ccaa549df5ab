/**
 * IPv4 text for the gateway's configuration: the shared parser (src/wire/ipv4-text.ts) with plain Errors,
 * whose message the config parser puts after the file and line.
 */
import * as text from '../wire/ipv4-text.js';

export type Ipv4Network = text.Ipv4Cidr;
export { formatIpv4, ipv4ToBytes as ipv4Bytes, prefixToMask } from '../wire/ipv4-text.js';

const plain = (m: string) => new Error(m);

export function parseIpv4(value: string): number {
  return text.parseIpv4(value, plain);
}

export function parseNetmask(value: string): number {
  return text.parseNetmask(value, plain);
}

export function parseIpv4Cidr(value: string): Ipv4Network {
  return text.parseIpv4Cidr(value, plain);
}
