/**
 * Packet I/O: TUN/TAP devices, raw ESP and UDP sockets through the native addon, an in-memory pair for
 * tests, and the IPv4 header helper. See endpoint.ts for the shared PacketEndpoint interface.
 */
export {
  COUNTER_NAMES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_SLOT_SIZE,
  META_STRIDE,
  PacketBatch,
  setBatchEntry,
  type EndpointErrorHandler,
  type EndpointKind,
  type EndpointStats,
  type PacketEndpoint,
  type PacketHandler,
  type ReceiveOptions,
} from './endpoint.js';
export { IoErrorCode } from './errors.js';
export {
  IPV4_HEADER_LENGTH,
  IpProtocol,
  Ipv4DecodeError,
  decodeIpv4Header,
  encodeIpv4Header,
  ipv4Checksum,
  ipv4HeaderLength,
  type Ipv4Header,
  type Ipv4HeaderFields,
} from './ipv4.js';
export { MemoryEndpoint, createMemoryPair, type MemoryEndpointOptions } from './memory.js';
export { RawEspEndpoint, RawEspHeader, openRawEsp, type RawEspOptions } from './raw-esp.js';
export { pathMtu, setLinkMtu } from './link.js';
export { describeNetworkError, ErrorOrigin, type NetworkError } from './network-error.js';
export { watchRoutes, type RouteMonitor } from './route-monitor.js';
export { TunDevice, openTun, type TunInfo, type TunOptions } from './tun.js';
export { UDP_SLOT_SIZE, UdpEndpoint, openUdp, type UdpOptions } from './udp.js';
export { serviceNotifier, type ServiceNotifier } from './notify.js';
