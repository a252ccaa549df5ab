// sd_notify(3)'s transport: a connectionless AF_UNIX datagram socket, one sendto() per message.
#include "notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "errors.h"

namespace packet_io {

Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsBuffer()) {
    ThrowTypeError(env, "sendUnixDatagram(path, data): path and data expected");
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Buffer<uint8_t> data = info[1].As<Napi::Buffer<uint8_t>>();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    ThrowRangeError(env, "the notify socket path must be 1..107 bytes");
    return env.Undefined();
  }
  memcpy(addr.sun_path, path.data(), path.size());
  // An abstract socket ("@name"): the name starts with a NUL byte and is not NUL-terminated.
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ThrowErrno(env, errno, "socket AF_UNIX");
    return env.Undefined();
  }
  ssize_t sent = sendto(fd, data.Data(), data.Length(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (sent < 0) ThrowErrno(env, err, "sendto NOTIFY_SOCKET");
  return env.Undefined();
}

}  // namespace packet_io
