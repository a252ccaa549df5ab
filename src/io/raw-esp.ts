/**
 * A raw IPv4 socket for protocol 50 (ESP, RFC 4303) without UDP encapsulation (vpnc's natt-mode none).
 * IP_HDRINCL is on: the caller writes the outer IPv4 header (see ipv4.ts) in front of every ESP packet.
 * Received packets include their IPv4 header; the batch also reports each packet's source address.
 */
import { receiveShape, type ReceiveOptions } from './endpoint.js';
import { rawEspOpenError } from './errors.js';
import { IpProtocol } from './ipv4.js';
import { loadBinding, type NativeEndpoint } from './native.js';
import { NativePacketEndpoint } from './native-endpoint.js';
import { formatIpv4, parseIpv4 } from '../wire/ipv4-text.js';

/** Options of openRawEsp. */
export interface RawEspOptions {
  /** Local IPv4 address: only ESP packets sent to it are received; default 0.0.0.0 (all). */
  localAddress?: string;
  /** Network namespace to open the socket in (name under /run/netns or a path). */
  netns?: string;
  /** Receive arena shape (default 64 slots of 4096 bytes). */
  receive?: ReceiveOptions;
  /** SO_RCVBUF in bytes. */
  receiveBufferSize?: number;
  /** SO_SNDBUF in bytes. */
  sendBufferSize?: number;
}

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

/** Opens a raw ESP socket. Throws SystemError VPNC_ERR_RAW_ESP_OPEN with a hint. */
export function openRawEsp(options: RawEspOptions = {}): RawEspEndpoint {
  const receive = receiveShape(options.receive);
  const localAddressText = options.localAddress ?? '0.0.0.0';
  const address = parseIpv4(localAddressText);
  let opened: ReturnType<ReturnType<typeof loadBinding>['openRawIp']>;
  const binding = loadBinding();
  try {
    opened = binding.openRawIp({
      protocol: IpProtocol.ESP,
      headerIncluded: true,
      address,
      netns: options.netns ?? '',
      receiveBufferSize: options.receiveBufferSize ?? 0,
      receiveErrors: true,
      sendBufferSize: options.sendBufferSize ?? 0,
    });
  } catch (err) {
    const where = options.netns === undefined ? '' : ` in network namespace ${options.netns}`;
    throw rawEspOpenError(err, { what: `raw ESP socket on ${localAddressText}${where}`, netns: options.netns });
  }
  return new RawEspEndpoint(opened.endpoint, receive, opened.address);
}
