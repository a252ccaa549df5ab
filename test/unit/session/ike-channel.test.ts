/**
 * IkeChannel over real UDP sockets on loopback (the addon's socket for the client, node:dgram for a fake
 * gateway; no root, ports chosen by the kernel, and 127.0.0.2:4500 for the NAT-T float): retransmission
 * with identical bytes on the backoff schedule until the IKE timeout (on a fake clock, jitter pinned), a
 * request that answers the gateway's last message resent at once when that is repeated, duplicate suppression
 * and the repeated answer, NAT keepalives, foreign senders, the non-ESP marker and the ESP sink after floatTo4500,
 * next()/expect()/interrupt()/close().
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PeerTimeoutError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { IkeChannel, type IkeChannelOptions } from '../../../src/session/ike-channel.js';
import { Timers } from '../../../src/session/timers.js';

/** A fake gateway: a dgram socket that records what it receives. */
class Gateway {
  readonly received: Buffer[] = [];
  private wanted: { n: number; resolve: () => void } | undefined;
  private constructor(private readonly socket: Socket) {
    socket.on('message', (msg) => {
      if (tag(msg).startsWith(PRIME)) return;
      this.received.push(msg);
      if (this.wanted && this.received.length >= this.wanted.n) this.wanted.resolve();
    });
  }

  static open(address = '127.0.0.1', port = 0): Promise<Gateway> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, address, () => resolve(new Gateway(socket)));
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Resolves once `n` datagrams have arrived in all. */
  waitFor(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => (this.wanted = { n, resolve }));
  }

  send(data: Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    this.socket.close();
  }
}

const cleanup: Array<() => void> = [];
afterEach(() => {
  vi.useRealTimers();
  for (const f of cleanup.splice(0)) f();
});

async function gateway(address?: string, port?: number): Promise<Gateway> {
  const g = await Gateway.open(address, port);
  cleanup.push(() => g.close());
  return g;
}

function channel(gatewayPort: number, gatewayAddress = '127.0.0.1', o: Partial<IkeChannelOptions> = {}): IkeChannel {
  const c = new IkeChannel({ localAddress: '127.0.0.1', localPort: 0, gateway: gatewayAddress, gatewayPort, log: silentLogger, ...o });
  cleanup.push(() => c.close());
  c.send(ike(PRIME));
  return c;
}

/** The initiator cookie of every test datagram: the channel takes only datagrams with a cookie it has sent. */
const COOKIE = 'OURCOOKI';
/** An ISAKMP-sized datagram (IkeChannel drops anything under 28 bytes): our cookie, then `tag`. */
const ike = (tag: string, len = 40, cookie = COOKIE): Buffer => {
  const b = Buffer.alloc(len, 0x11);
  b.write(cookie);
  b.write(tag, 8);
  return b;
};
/** The tag of a test datagram. */
const tag = (d: Buffer): string => d.subarray(8).toString();
/** What each channel sends first, so that it knows COOKIE; the fake gateway does not record it. */
const PRIME = 'PRIME';

describe('IkeChannel: sending and receiving', () => {
  it('sends datagrams unchanged before a float and hands received ones to next() as copies', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    expect(ch.localPort).toBeGreaterThan(1024);
    expect([ch.floated, ch.remotePort]).toEqual([false, gw.port]);
    ch.send(ike('request'));
    await gw.waitFor(1);
    expect(gw.received[0]).toEqual(ike('request'));
    expect(await ch.next(10)).toBeNull();
    await gw.send(ike('answer'), ch.localPort);
    const d = await ch.next(2000);
    expect(d).toEqual(ike('answer'));
  });

  it('drops datagrams shorter than a header, repeated datagrams and NAT keepalives; ignores other senders', async () => {
    const gw = await gateway();
    const stranger = await gateway('127.0.0.3');
    const ch = channel(gw.port);
    const before = ch.lastReceive;
    await stranger.send(ike('from a stranger'), ch.localPort);
    for (const d of [ike('X'), ike('X'), Buffer.from([0xff]), ike('short', 27), ike('Y'), ike('X')]) await gw.send(d, ch.localPort);
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await ch.next(2000))!.subarray(8, 9).toString());
    expect(got).toEqual(['X', 'Y', 'X']);
    expect(await ch.next(50)).toBeNull();
    expect(ch.lastReceive).toBeGreaterThanOrEqual(before);
  });

  it('drops datagrams with an initiator cookie it never sent, before any work, and counts them', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    for (let i = 0; i < 5; i++) await gw.send(ike(`stranger ${i}`, 40, 'STRANGER'), ch.localPort);
    await gw.send(ike('ours'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('ours'));
    expect(await ch.next(50)).toBeNull();
    expect(ch.dropped).toEqual({ stranger: 5, queueFull: 0 });
  });

  it('keeps at most 64 datagrams waiting; the rest of a flood is dropped and counted', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    for (let i = 0; i < 100; i++) await gw.send(ike(`flood ${i}`), ch.localPort);
    await new Promise((r) => setTimeout(r, 200));
    expect(ch.dropped).toEqual({ stranger: 0, queueFull: 36 });
    const got: string[] = [];
    for (let d = await ch.next(50); d; d = await ch.next(50)) got.push(tag(d).replace(/\x11+$/, ''));
    expect(got).toEqual(Array.from({ length: 64 }, (_, i) => `flood ${i}`));
  });

  it('answers a repeated datagram with the reply() already sent for it, and only that datagram', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    await gw.send(ike('request from gateway'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('request from gateway'));
    ch.reply(ike('our answer'));
    await gw.send(ike('request from gateway'), ch.localPort);
    await gw.waitFor(2);
    expect(gw.received).toEqual([ike('our answer'), ike('our answer')]);
    await gw.send(ike('next request'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('next request'));
  });
});

describe('IkeChannel: exchange() and retransmission', () => {
  it('resends the identical bytes after 1 s and returns the answer; declined datagrams go to other()', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const started = Date.now();
    const others: Buffer[] = [];
    const answer = ch.exchange(ike('AM1'), (d) => tag(d).startsWith('AM2'), { other: (d) => others.push(d) });
    await gw.waitFor(1);
    await gw.send(ike('DPD meanwhile'), ch.localPort);
    await gw.waitFor(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(Timers.retransmit.firstMs * (1 - Timers.retransmit.jitter) - 50);
    expect(gw.received[1]).toEqual(gw.received[0]);
    await gw.send(ike('AM2'), ch.localPort);
    expect(await answer).toEqual(ike('AM2'));
    expect(others).toEqual([ike('DPD meanwhile')]);
  });

  it('with the jitter at its middle: sends at 0, 1, 3, 7, 11, ... 27 s, then fails with "no response from target" at 30 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const gw = await gateway();
    const ch = channel(gw.port, undefined, { random: () => 0.5 });
    const request = ike('QM1', 200);
    let outcome: unknown;
    const done = ch.exchange(request, () => false).then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    const sent = () => ch.endpoint.stats.txPackets;
    const sendTimes = [0];
    let count = sent();
    for (let ms = 1; ms < 30_000; ms++) {
      await vi.advanceTimersByTimeAsync(1);
      if (sent() !== count) sendTimes.push(ms), (count = sent());
    }
    expect(sendTimes).toEqual([0, 1000, 3000, 7000, 11000, 15000, 19000, 23000, 27000]);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(outcome).toBeInstanceOf(PeerTimeoutError);
    expect((outcome as Error).message).toBe(`no response from target 127.0.0.1:${gw.port}`);
    await gw.waitFor(9);
    expect(gw.received).toEqual(Array(9).fill(request));
  }, 30_000);

  it('--ike-timeout sets the total: 5 s gives sends at 0, 1 and 3 s and the end at 5 s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const gw = await gateway();
    const ch = channel(gw.port, undefined, { random: () => 0.5, retransmit: { ...Timers.retransmit, totalMs: 5_000 } });
    let outcome: unknown;
    void ch.exchange(ike('AM1'), () => false).catch((err: unknown) => (outcome = err));
    await vi.advanceTimersByTimeAsync(4_999);
    expect([ch.endpoint.stats.txPackets - 1, outcome]).toEqual([3, undefined]); // less the PRIME
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBeInstanceOf(PeerTimeoutError);
  });

  it('a request that answers the last message (AM3 to AM2) is resent at once when the gateway repeats that message', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    await gw.send(ike('AM2'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('AM2'));
    const started = Date.now();
    const answer = ch.exchange(ike('AM3'), (d) => tag(d).startsWith('XAUTH'), { answersLast: true });
    await gw.waitFor(1);
    await gw.send(ike('AM2'), ch.localPort); // AM3 was lost: the gateway repeats AM2
    await gw.waitFor(2);
    expect(Date.now() - started).toBeLessThan(Timers.retransmit.firstMs * (1 - Timers.retransmit.jitter));
    expect(gw.received).toEqual([ike('AM3'), ike('AM3')]);
    await gw.send(ike('XAUTH request'), ch.localPort);
    expect(await answer).toEqual(ike('XAUTH request'));
  });

  it('a request that answers nothing (QM1) is not sent again for a repeated earlier message', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    await gw.send(ike('status'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('status'));
    ch.reply(ike('ack'));
    const answer = ch.exchange(ike('QM1'), (d) => tag(d).startsWith('QM2'));
    await gw.waitFor(2);
    await gw.send(ike('status'), ch.localPort); // our ACK was lost: the ACK is repeated, not QM1
    await gw.waitFor(3);
    expect(gw.received.map((d) => d.subarray(8, 11).toString())).toEqual(['ack', 'QM1', 'ack']);
    await gw.send(ike('QM2'), ch.localPort);
    expect(await answer).toEqual(ike('QM2'));
  });

  it('expect() waits for an accepted datagram and times out with what it waited for', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const others: string[] = [];
    const p = ch.expect((d) => tag(d).startsWith('XAUTH'), 5000, 'the XAUTH request', (d) => others.push(d.subarray(8, 12).toString()));
    await gw.send(ike('INFO'), ch.localPort);
    await gw.send(ike('XAUTH'), ch.localPort);
    expect(await p).toEqual(ike('XAUTH'));
    expect(others).toEqual(['INFO']);
    const err = await ch.expect(() => true, 200, 'the XAUTH status').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerTimeoutError);
    expect((err as Error).message).toBe('no response from target 127.0.0.1: waited 0 s for the XAUTH status');
  });
});

describe('IkeChannel: interrupt() and close()', () => {
  it('interrupt() makes a pending next() return null at once (regression: it used to wait out its timeout)', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const started = Date.now();
    const pending = ch.next(5000);
    setTimeout(() => ch.interrupt(), 20);
    expect(await pending).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
    // An interrupt while nobody waits is not lost (regression: a soft lifetime limit reached while the main
    // loop was busy went unnoticed for a whole tick): the next wait ends at once, and only that one.
    ch.interrupt();
    const again = Date.now();
    expect(await ch.next(5000)).toBeNull();
    expect(Date.now() - again).toBeLessThan(1000);
    const later = ch.next(2000);
    await gw.send(ike('after'), ch.localPort);
    expect(await later).toEqual(ike('after'));
  });

  it('cancel() ends a pending exchange() with an INTERRUPTED error at once, and every later wait too; sending still works', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const started = Date.now();
    const pending = ch.exchange(ike('request'), () => false);
    setTimeout(() => ch.cancel(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'VPNC_ERR_INTERRUPTED', message: 'stopped while waiting for the gateway' });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(ch.expect(() => false, 10_000, 'anything')).rejects.toMatchObject({ code: 'VPNC_ERR_INTERRUPTED' });
    expect(await ch.next(5000)).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
    ch.send(ike('delete'));
    await gw.waitFor(2);
    expect(gw.received.map((b) => b.toString())).toEqual([ike('request').toString(), ike('delete').toString()]);
  });

  it('interrupt() does not cut expect() short', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const p = ch.expect(() => true, 3000, 'anything');
    ch.interrupt();
    await gw.send(ike('late'), ch.localPort);
    expect(await p).toEqual(ike('late'));
  });

  it('close() wakes a pending next() with null; sending afterwards does nothing; closing twice is harmless', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    const pending = ch.next(5000);
    ch.close();
    expect(await pending).toBeNull();
    expect(ch.closed).toBe(true);
    ch.send(ike('after close'));
    ch.close();
    expect(await ch.next(1000)).toBeNull();
  });
});

describe('IkeChannel: NAT-T float to port 4500', () => {
  it('keeps a non-500 local port, sends to 4500 with the non-ESP marker, strips it on receive, routes ESP to the sink', async () => {
    // The gateway on 127.0.0.2: its IKE port, and port 4500 (unprivileged, so no root needed).
    const gw500 = await gateway('127.0.0.2');
    const gw4500 = await gateway('127.0.0.2', 4500);
    const ch = channel(gw500.port, '127.0.0.2');
    const port = ch.localPort;
    ch.send(ike('AM1'));
    await gw500.waitFor(1);
    ch.floatTo4500();
    expect([ch.floated, ch.remotePort, ch.localPort]).toEqual([true, 4500, port]);

    ch.send(ike('AM3'));
    await gw4500.waitFor(1);
    expect(gw4500.received[0]).toEqual(Buffer.concat([Buffer.alloc(4), ike('AM3')]));
    expect(ch.sendRaw(Buffer.from('raw esp bytes'), 4, 3)).toBe(true);
    await gw4500.waitFor(2);
    expect(gw4500.received[1]).toEqual(Buffer.from('esp'));

    const esp: Buffer[] = [];
    const espPacket = Buffer.concat([Buffer.from('c0ffee01000000010000', 'hex'), Buffer.alloc(30, 7)]);
    await gw4500.send(espPacket, port); // no sink yet: dropped, not taken for IKE
    await gw4500.send(Buffer.concat([Buffer.alloc(4), ike('AM2-ish')]), port);
    expect(await ch.next(2000)).toEqual(ike('AM2-ish'));
    ch.setEspSink((buf, off, len) => esp.push(Buffer.from(buf.subarray(off, off + len))));
    await gw4500.send(espPacket, port);
    await gw4500.send(Buffer.from([0xff]), port); // NAT keepalive
    await gw4500.send(Buffer.from('0102030405060708', 'hex'), port); // 8 bytes without marker: neither IKE nor ESP
    await gw4500.send(Buffer.concat([Buffer.alloc(4), ike('XAUTH request')]), port);
    expect(await ch.next(2000)).toEqual(ike('XAUTH request'));
    expect(esp).toEqual([espPacket]);
    expect(await ch.next(50)).toBeNull();
  });
});

describe('IkeChannel: the cookies it knows (found by review)', () => {
  it('the SA in use stays known while 16 newer cookies come and go, as long as it is spoken on', async () => {
    const gw = await gateway();
    const ch = channel(gw.port);
    for (let i = 0; i < 20; i++) {
      ch.send(ike(`attempt ${i}`, 40, `ATTEMPT${String.fromCharCode(65 + i)}`)); // a failed re-authentication each
      if (i % 5 === 4) {
        await gw.send(ike(`DPD ${i} on the SA in use`), ch.localPort);
        expect(await ch.next(2000)).toEqual(ike(`DPD ${i} on the SA in use`));
      }
    }
    await gw.send(ike('QM1 on the SA in use'), ch.localPort);
    expect(await ch.next(2000)).toEqual(ike('QM1 on the SA in use'));
    expect(ch.dropped.stranger).toBe(0);
    await gw.send(ike('for the first attempt', 40, 'ATTEMPTA'), ch.localPort); // forgotten: the least recently used
    expect(await ch.next(200)).toBeNull();
    expect(ch.dropped.stranger).toBe(1);
  });
});
