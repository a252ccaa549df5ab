/**
 * A raw IPv4 socket for protocol 50 (ESP, RFC 4303) without UDP encapsulation (vpnc's natt-mode none).
 * IP_HDRINCL is on: the caller writes the outer IPv4 header (see ipv4.ts) in front of every ESP packet.
 * Received packets include their IPv4 header; the batch also reports each packet's source address.
 */
import { receiveShape, type ReceiveOptions } from './endpoint.js';
import { rawEspOpenError } from './errors.js';
import { encodeIpv4Header, IPV4_HEADER_LENGTH, IpProtocol } from './ipv4.js';
import { loadBinding, openNativeSocket, type NativeEndpoint, type SocketOptions } from './native.js';
import { NativePacketEndpoint } from './native-endpoint.js';
import { formatIpv4, parseIpv4 } from '../wire/ipv4-text.js';

/** Options of openRawEsp: only ESP packets sent to the local address are received; slots are 4096 bytes by default. */
export type RawEspOptions = SocketOptions;

/** A raw ESP socket. Send whole IPv4 packets: `send(buf, off, len, destinationAddress)`. */
export class RawEspEndpoint extends NativePacketEndpoint {
  constructor(
    handle: NativeEndpoint,
    receive: Required<ReceiveOptions>,
    /** Bound local address (unsigned 32-bit; 0 for any). */
    readonly localAddress: number,
  ) {
    super(handle, 'raw-esp', `raw ESP socket ${formatIpv4(localAddress)}`, receive);
  }
}

/**
 * The outer IPv4 header of the raw ESP packets one host sends (client and gateway alike): written in the 20
 * bytes before the ESP packet, protocol 50, TTL 64, DF clear, each packet with the next identification.
 */
export class RawEspHeader {
  /** Identification of the last packet written; starts at random. */
  private ipId = Math.floor(Math.random() * 0x10000);

  /** `source`: our outside address (unsigned 32-bit). */
  constructor(private readonly source: number) {}

  /** Writes the header of the `len` ESP bytes at `off` to `destination`; returns where the IPv4 packet starts. */
  write(buf: Buffer, off: number, len: number, destination: number, tos: number): number {
    const start = off - IPV4_HEADER_LENGTH;
    this.ipId = (this.ipId + 1) & 0xffff;
    encodeIpv4Header(buf, start, {
      totalLength: len + IPV4_HEADER_LENGTH,
      protocol: IpProtocol.ESP,
      source: this.source,
      destination,
      tos,
      identification: this.ipId,
      ttl: 64,
    });
    return start;
  }
}

/** Opens a raw ESP socket. Throws SystemError VPNC_ERR_RAW_ESP_OPEN with a hint. */
export function openRawEsp(options: RawEspOptions = {}): RawEspEndpoint {
  const receive = receiveShape(options.receive);
  const localAddressText = options.localAddress ?? '0.0.0.0';
  const address = parseIpv4(localAddressText);
  const binding = loadBinding();
  const opened = openNativeSocket(
    options,
    address,
    (socket) => binding.openRawIp({ ...socket, protocol: IpProtocol.ESP, headerIncluded: true }),
    rawEspOpenError,
    `raw ESP socket on ${localAddressText}`,
  );
  return new RawEspEndpoint(opened.endpoint, receive, opened.address);
}
