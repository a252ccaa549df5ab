// Opening descriptors: TUN/TAP devices, UDP sockets and raw IPv4 sockets, optionally inside a named
// network namespace. Each returns { endpoint, ...interface facts } or throws an errno-carrying Error.
#pragma once

#include <napi.h>

namespace packet_io {

/** openTun({ name, tap, netns, devicePath, blocking }) -> { endpoint, name, ifindex, mac } */
Napi::Value OpenTun(const Napi::CallbackInfo& info);
/** openUdp({ address, port, netns, receiveBufferSize, sendBufferSize }) -> { endpoint, address, port } */
Napi::Value OpenUdp(const Napi::CallbackInfo& info);
/** openRawIp({ protocol, address, netns, headerIncluded, receiveBufferSize, sendBufferSize }) -> { endpoint, address } */
Napi::Value OpenRawIp(const Napi::CallbackInfo& info);

/**
 * openRouteMonitor({ netns }) -> { endpoint }: a NETLINK_ROUTE socket subscribed to link, IPv4 address and
 * IPv4 route changes; each notification arrives as one datagram (read, not interpreted, by the caller).
 */
Napi::Value OpenRouteMonitor(const Napi::CallbackInfo& info);

}  // namespace packet_io
