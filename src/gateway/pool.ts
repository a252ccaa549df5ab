/**
 * The mode-config address pool: a contiguous range handed out lowest first, and the CIDR blocks that cover
 * it exactly (routed via the gateway's TUN device).
 */
import { formatIpv4 } from '../wire/ipv4-text.js';

/** A range of IPv4 addresses, allocated one per client. Addresses are unsigned 32-bit numbers. */
export class AddressPool {
  private readonly used = new Set<number>();

  constructor(
    readonly first: number,
    readonly last: number,
  ) {
    if (first > last) throw new RangeError(`empty pool ${formatIpv4(first)}-${formatIpv4(last)}`);
  }

  /** Addresses still free. */
  get available(): number {
    return this.last - this.first + 1 - this.used.size;
  }

  /** The lowest free address, now taken; undefined when none is left. */
  allocate(): number | undefined {
    for (let a = this.first; a <= this.last; a++) {
      if (!this.used.has(a)) {
        this.used.add(a);
        return a;
      }
    }
    return undefined;
  }

  /** Gives an address back (unknown addresses are ignored). */
  release(address: number): void {
    this.used.delete(address);
  }

  /** True when the address is handed out. */
  has(address: number): boolean {
    return this.used.has(address);
  }
}

/** The fewest CIDR blocks (`a.b.c.d/n`) that cover first..last exactly. */
export function rangeToCidrs(first: number, last: number): string[] {
  const out: string[] = [];
  let start = first;
  while (start <= last) {
    let size = 1;
    let prefix = 32;
    // Grow the block while it stays aligned at `start` and inside the range.
    while (prefix > 0 && start % (size * 2) === 0 && start + size * 2 - 1 <= last) {
      size *= 2;
      prefix--;
    }
    out.push(`${formatIpv4(start)}/${prefix}`);
    start += size;
  }
  return out;
}
