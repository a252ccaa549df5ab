/** The network's reports in words: every ICMP kind we name, local errors, and what we do not know. */
import { describe, expect, it } from 'vitest';
import { describeNetworkError, ErrorOrigin, type NetworkError } from '../../../src/io/network-error.js';
import { parseIpv4 } from '../../../src/wire/ipv4-text.js';

const base: NetworkError = { origin: ErrorOrigin.icmp, type: 3, code: 3, info: 0, errno: 111, from: parseIpv4('192.0.2.1'), destination: parseIpv4('198.51.100.1'), destinationPort: 500 };
const say = (o: Partial<NetworkError>) => describeNetworkError({ ...base, ...o });

describe('describeNetworkError', () => {
  it('names each kind of unreachable, with who said it', () => {
    expect(say({ code: 0 })).toBe('network of 198.51.100.1 unreachable (ICMP from 192.0.2.1)');
    expect(say({ code: 1 })).toBe('host 198.51.100.1 unreachable (ICMP from 192.0.2.1)');
    expect(say({ code: 2 })).toBe("IP protocol unreachable at 198.51.100.1: the gateway's host does not take it (ICMP from 192.0.2.1)");
    expect(say({ code: 3 })).toBe('port 500 unreachable at 198.51.100.1: nothing listens there (ICMP from 192.0.2.1)');
    expect(say({ code: 4, info: 1300 })).toBe('fragmentation needed on the way to 198.51.100.1: the next hop carries 1300 bytes (ICMP from 192.0.2.1)');
    for (const code of [9, 10, 13]) expect(say({ code })).toBe('packets to 198.51.100.1 administratively prohibited (a firewall) (ICMP from 192.0.2.1)');
    expect(say({ code: 7 })).toBe('198.51.100.1 unreachable (ICMP code 7) (ICMP from 192.0.2.1)');
  });

  it('time exceeded, other ICMP types, no offender, local errors, unknown origins', () => {
    expect(say({ type: 11, code: 0 })).toBe('packets to 198.51.100.1 expire on the way (a routing loop?) (ICMP from 192.0.2.1)');
    expect(say({ type: 12, code: 0, from: 0 })).toBe('ICMP type 12 code 0 about 198.51.100.1');
    expect(say({ origin: ErrorOrigin.local, errno: 90, info: 1400 })).toBe('a packet to 198.51.100.1 is larger than the path MTU 1400');
    expect(say({ origin: ErrorOrigin.local, errno: 113 })).toBe('sending to 198.51.100.1 failed locally (errno 113)');
    expect(say({ origin: 5 })).toBe('an error report of origin 5 about 198.51.100.1');
  });
});
