// The service manager's notify protocol (sd_notify(3)): one datagram to the AF_UNIX socket named in
// NOTIFY_SOCKET. Node's dgram module has no AF_UNIX datagrams, so the addon sends it; the text is built in
// TypeScript (src/io/notify.ts).
#pragma once

#include <napi.h>

namespace packet_io {

/** sendUnixDatagram(path, data): one datagram to a path or, with a leading '@', an abstract socket. */
Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info);

}  // namespace packet_io
