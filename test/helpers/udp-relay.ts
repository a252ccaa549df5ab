/**
 * A userspace UDP relay for slow and reordering paths (this kernel has no netem): in a namespace between client
 * and gateway, it listens on `listen`:PORT for each port, forwards every datagram to `upstream`:PORT from
 * `upstreamFrom`:PORT, and the answers back to the client that last spoke on that port. Each datagram is held
 * for its own random delay in [minDelayMs, maxDelayMs], so datagrams overtake one another; `reordered` counts
 * the datagrams forwarded after one that arrived later. The randomness is seeded (xorshift32).
 */
import { openUdp, type UdpEndpoint } from '../../src/io/index.js';
import { parseIpv4 } from '../../src/wire/ipv4-text.js';

export interface RelayOptions {
  netns: string;
  /** The address clients send to. */
  listen: string;
  /** The address the relay sends from towards the gateway. */
  upstreamFrom: string;
  upstream: string;
  ports: readonly number[];
  minDelayMs: number;
  maxDelayMs: number;
  seed?: number;
}

export interface Relay {
  /** Datagrams forwarded each way. */
  readonly forwarded: { up: number; down: number };
  /** Datagrams forwarded after a datagram of the same direction and port that arrived after them. */
  readonly reordered: { up: number; down: number };
  close(): void;
}

type Direction = 'up' | 'down';

/** Tracks, per direction and port, arrival numbers, to count forwards that happen after a later arrival's. */
class OrderWatch {
  private arrived = 0;
  private highestForwarded = -1;
  reordered = 0;
  arrival(): number {
    return this.arrived++;
  }
  forwarded(n: number): void {
    if (n < this.highestForwarded) this.reordered++;
    else this.highestForwarded = n;
  }
}

export function startRelay(o: RelayOptions): Relay {
  let state = (o.seed ?? 0x5eed1234) >>> 0 || 1;
  const random = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  const forwarded = { up: 0, down: 0 };
  const watches = new Map<string, OrderWatch>();
  const watch = (dir: Direction, port: number): OrderWatch => {
    const key = `${dir}:${port}`;
    let w = watches.get(key);
    if (!w) watches.set(key, (w = new OrderWatch()));
    return w;
  };
  const timers = new Set<NodeJS.Timeout>();
  const sockets: UdpEndpoint[] = [];
  const upstream = parseIpv4(o.upstream);
  let closed = false;

  const later = (dir: Direction, port: number, data: Buffer, send: (d: Buffer) => void): void => {
    const w = watch(dir, port);
    const n = w.arrival();
    const delay = o.minDelayMs + random() * (o.maxDelayMs - o.minDelayMs);
    const t = setTimeout(() => {
      timers.delete(t);
      if (closed) return;
      w.forwarded(n);
      forwarded[dir]++;
      send(data);
    }, delay);
    timers.add(t);
  };

  for (const port of o.ports) {
    const down = openUdp({ localAddress: o.listen, localPort: port, netns: o.netns });
    const up = openUdp({ localAddress: o.upstreamFrom, localPort: port, netns: o.netns });
    sockets.push(down, up);
    let client: { address: number; port: number } | undefined;
    down.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        client = { address: batch.address(i), port: batch.port(i) };
        const d = Buffer.from(batch.packet(i));
        later('up', port, d, (x) => up.send(x, 0, x.length, upstream, port));
      }
    });
    up.start((batch) => {
      for (let i = 0; i < batch.count; i++) {
        if (batch.address(i) !== upstream || !client) continue;
        const to = client;
        const d = Buffer.from(batch.packet(i));
        later('down', port, d, (x) => down.send(x, 0, x.length, to.address, to.port));
      }
    });
  }

  return {
    forwarded,
    get reordered() {
      const sum = (dir: Direction) => [...watches].filter(([k]) => k.startsWith(`${dir}:`)).reduce((a, [, w]) => a + w.reordered, 0);
      return { up: sum('up'), down: sum('down') };
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.close();
    },
  };
}
