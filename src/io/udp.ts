/**
 * A UDP socket made by the addon: batched receive (recvmmsg) with each datagram's source address and port,
 * sendto and sendmmsg, IP_TOS. The session layer runs IKE (500) and ESP-in-UDP (4500, RFC 3948; Cisco UDP)
 * over it; it is faster than node:dgram because one readiness event delivers many datagrams.
 */
import { receiveShape, type ReceiveOptions } from './endpoint.js';
import { udpOpenError } from './errors.js';
import { loadBinding, openNativeSocket, type NativeEndpoint, type SocketOptions } from './native.js';
import { NativePacketEndpoint } from './native-endpoint.js';
import { formatIpv4, parseIpv4 } from '../wire/ipv4-text.js';

/** Default receive slot for UDP: room for IKE messages with certificates. */
export const UDP_SLOT_SIZE = 8192;

/** Options of openUdp; the receive arena's slots are UDP_SLOT_SIZE bytes by default. */
export interface UdpOptions extends SocketOptions {
  /** Local port (vpnc's --local-port); 0 lets the kernel choose. */
  localPort?: number;
  /** IP_TOS for outgoing datagrams. */
  tos?: number;
}

/** A bound UDP socket. Send with a destination: `send(buf, off, len, address, port)`. */
export class UdpEndpoint extends NativePacketEndpoint {
  constructor(
    handle: NativeEndpoint,
    receive: Required<ReceiveOptions>,
    /** Bound local address (unsigned 32-bit). */
    readonly localAddress: number,
    /** Bound local port (the kernel's choice when 0 was asked). */
    readonly localPort: number,
  ) {
    super(handle, 'udp', `UDP socket ${formatIpv4(localAddress)}:${localPort}`, receive);
  }

  /** Sets IP_TOS (0..255) for datagrams sent from now on. */
  setTos(tos: number): void {
    this.handle.setTos(tos);
  }
}

/** Opens and binds a UDP socket. Throws SystemError VPNC_ERR_UDP_OPEN with a hint. */
export function openUdp(options: UdpOptions = {}): UdpEndpoint {
  const receive = receiveShape(options.receive, UDP_SLOT_SIZE);
  const localAddressText = options.localAddress ?? '0.0.0.0';
  const address = parseIpv4(localAddressText);
  const port = options.localPort ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`local port must be 0..65535, got ${port}`);
  const binding = loadBinding();
  const opened = openNativeSocket(options, address, (socket) => binding.openUdp({ ...socket, port }), udpOpenError, `UDP socket ${localAddressText}:${port}`);
  const endpoint = new UdpEndpoint(opened.endpoint, receive, opened.address, opened.port);
  if (options.tos !== undefined) {
    try {
      endpoint.setTos(options.tos);
    } catch (err) {
      endpoint.close();
      throw err;
    }
  }
  return endpoint;
}
