/**
 * Garbage never crashes the responder: a first message either gets an AM2 or a typed VpncError (whose notify
 * the gateway sends back), and a peer answers any datagram for its cookies with a list of actions.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VpncError } from '../../../src/errors.js';
import { parseGatewayConfig } from '../../../src/gateway/config.js';
import { AggressiveModeResponder } from '../../../src/gateway/exchanges/aggressive-mode.js';
import { GatewayPeer } from '../../../src/gateway/peer.js';
import { responderParams } from '../../../src/gateway/phase1-setup.js';

const config = parseGatewayConfig(['Listen 198.51.100.1', 'Group mygroup', 'Group secret s', 'User u p', 'Pool 192.0.2.10-192.0.2.20'].join('\n'), 'fuzz.conf');
const am1 = Buffer.from(readFileSync(new URL('../../vectors/vpnc-am1.hex', import.meta.url), 'utf8').trim(), 'hex');
const params = responderParams(config, { address: '198.51.100.2', port: 500 }, 500);

/** AM1 with some bytes (after the header's cookies) replaced. */
const mutatedAm1 = fc
  .array(fc.tuple(fc.nat({ max: am1.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
  .map((edits) => {
    const b = Buffer.from(am1);
    for (const [at, v] of edits) b[Math.max(at, 8)] = v;
    return b;
  });

describe('responder robustness', () => {
  it('a mutated AM1 yields an AM2 or a VpncError, nothing else', () => {
    fc.assert(
      fc.property(mutatedAm1, (bytes) => {
        try {
          expect(AggressiveModeResponder.start(bytes, params).am2.length).toBeGreaterThan(28);
        } catch (err) {
          expect(err).toBeInstanceOf(VpncError);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('a peer takes any datagram carrying its cookies without throwing', () => {
    const responder = AggressiveModeResponder.start(am1, params);
    const peer = new GatewayPeer({ config, allocateAddress: () => 1 }, responder, am1);
    const header = responder.am2.subarray(0, 16);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.constantFrom(4, 5, 6, 32), fc.integer({ min: 0, max: 3 }), (body, exchange, flags) => {
        const d = Buffer.alloc(28 + body.length);
        header.copy(d, 0);
        d[16] = 8;
        d[17] = 0x10;
        d[18] = exchange;
        d[19] = flags;
        d.writeUInt32BE(d.length, 24);
        Buffer.from(body).copy(d, 28);
        expect(Array.isArray(peer.receive(d))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
