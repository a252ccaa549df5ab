/** `vpnc --probe`: the report a person reads, for a gateway that accepts some groups, none, or not our secret. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../src/config/args.js';
import { UsageError } from '../../../src/errors.js';
import { formatProbe } from '../../../src/cli/probe.js';
import type { ProbeReport } from '../../../src/session/probe.js';

const peer = { xauth: true, dpd: true, unity: true, nattVersion: 2, vendorIds: [] };
const nat = { natdType: 20, localBehindNat: true, remoteBehindNat: false };

describe('vpnc --probe', () => {
  it('is a command of its own on the command line', () => {
    expect(parseArgs(['--probe', 'work'])).toMatchObject({ action: 'probe', profiles: ['work'] });
    expect(() => parseArgs(['--probe', '--status'])).toThrow(UsageError);
  });

  it('lists each group, what the gateway offers, the NAT seen and the lines that work (the strongest group accepted)', () => {
    const r: ProbeReport = {
      gateway: '198.51.100.1',
      localAddress: '198.51.100.130',
      rows: [
        { dhGroup: 2, answer: { kind: 'chose', transform: 'psk+xauth-aes256-sha1', lifetimeSeconds: 28800 } },
        { dhGroup: 5, answer: { kind: 'refused', why: 'gateway refused phase 1: NO-PROPOSAL-CHOSEN' } },
        { dhGroup: 14, answer: { kind: 'chose', transform: 'psk+xauth-aes128-sha256', lifetimeSeconds: 0 } },
        { dhGroup: 15, answer: { kind: 'silent' } },
      ],
      peer,
      nat,
    };
    expect(formatProbe(r, 'natt').split('\n')).toEqual([
      'gateway 198.51.100.1 (asked from 198.51.100.130), one aggressive mode per DH group:',
      '  group  answer',
      '  dh2    accepted: psk+xauth-aes256-sha1, ISAKMP SA lifetime 28800 s',
      '  dh5    refused: gateway refused phase 1: NO-PROPOSAL-CHOSEN',
      '  dh14   accepted: psk+xauth-aes128-sha256',
      '  dh15   no answer',
      'the gateway offers: XAUTH, Cisco Unity, DPD, NAT-T (RFC 3947 or draft-02+)',
      'NAT on the way: yes, in front of us',
      'profile lines that work:',
      '  IKE DH Group dh14',
      '  NAT Traversal Mode natt',
      '  DPD idle timeout (our side) 300',
      '',
    ]);
  });

  it('a gateway without NAT-T gets "NAT Traversal Mode none"; silence everywhere gets the hint; a wrong secret is named', () => {
    const noNatt: ProbeReport = { gateway: 'g', localAddress: 'l', rows: [{ dhGroup: 2, answer: { kind: 'chose', transform: 't', lifetimeSeconds: 0 } }], peer: { ...peer, nattVersion: -1, dpd: false }, nat: { natdType: 0, localBehindNat: false, remoteBehindNat: false } };
    const text = formatProbe(noNatt, 'natt');
    expect(text).toContain('  NAT Traversal Mode none\n');
    expect(text).not.toContain('DPD idle timeout');
    const silent: ProbeReport = { gateway: 'g', localAddress: 'l', rows: [{ dhGroup: 2, answer: { kind: 'silent' } }], peer: undefined, nat: undefined };
    expect(formatProbe(silent, 'natt')).toContain('the gateway answered no aggressive mode: is it the address of an IKEv1 gateway, and is UDP 500 open?');
    const wrong: ProbeReport = { gateway: 'g', localAddress: 'l', rows: [{ dhGroup: 2, answer: { kind: 'wrong-secret', why: 'hash comparison failed' } }], peer: undefined, nat: undefined };
    const w = formatProbe(wrong, 'natt');
    expect(w).toContain('  dh2    answered, but hash comparison failed\n');
    expect(w).toContain('the group secret or group name is not what the gateway has (HASH_R does not verify)');
    expect(w).not.toContain('profile lines that work');
  });
});
