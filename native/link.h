// Path MTU towards an address and a device's MTU, optionally inside a named network namespace.
#pragma once

#include <napi.h>

namespace packet_io {

/** pathMtu(address uint32, netns?) -> the MTU the kernel would use towards address (route, learned PMTU). */
Napi::Value PathMtu(const Napi::CallbackInfo& info);
/** setLinkMtu(name, mtu, netns?) -> undefined; throws an errno-carrying Error. */
Napi::Value SetLinkMtu(const Napi::CallbackInfo& info);

}  // namespace packet_io
