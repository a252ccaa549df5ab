// Facts and settings of links and paths, optionally inside a named network namespace: the path MTU the kernel
// knows towards an address (IP_MTU of a connected UDP socket: the route's MTU, lowered by any "fragmentation
// needed" the kernel has learned), and setting a device's MTU (SIOCSIFMTU).
#include "link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "netns.h"

namespace packet_io {

namespace {

/**
 * A datagram socket of namespace `netns` (empty: ours), closed on scope exit; get() < 0 after a failure, which
 * has been thrown to JavaScript. A socket keeps its namespace: routes and ioctls on it act there.
 */
class Socket {
 public:
  Socket(Napi::Env env, const std::string& netns) {
    NetnsScope scope(netns);
    if (!scope.ok()) {
      ThrowErrno(env, scope.error(), scope.syscall());
      return;
    }
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) ThrowErrno(env, errno, "socket");
  }
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string ArgString(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsString() ? info[i].As<Napi::String>().Utf8Value() : std::string();
}

}  // namespace

Napi::Value PathMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowTypeError(env, "pathMtu(address, netns): address (uint32) expected");
    return env.Undefined();
  }
  uint32_t address = info[0].As<Napi::Number>().Uint32Value();
  Socket s(env, ArgString(info, 1));
  if (s.get() < 0) return env.Undefined();
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(address);
  to.sin_port = htons(500);
  if (connect(s.get(), reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ThrowErrno(env, errno, "connect");
    return env.Undefined();
  }
  int mtu = 0;
  socklen_t length = sizeof(mtu);
  if (getsockopt(s.get(), IPPROTO_IP, IP_MTU, &mtu, &length) != 0) {
    ThrowErrno(env, errno, "getsockopt IP_MTU");
    return env.Undefined();
  }
  return Napi::Number::New(env, mtu);
}

Napi::Value SetLinkMtu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    ThrowTypeError(env, "setLinkMtu(name, mtu, netns): name and mtu expected");
    return env.Undefined();
  }
  std::string name = info[0].As<Napi::String>().Utf8Value();
  uint32_t mtu = info[1].As<Napi::Number>().Uint32Value();
  if (name.empty() || name.size() >= IFNAMSIZ) {
    ThrowRangeError(env, "interface name must be 1..15 bytes");
    return env.Undefined();
  }
  Socket s(env, ArgString(info, 2));
  if (s.get() < 0) return env.Undefined();
  ifreq ifr{};
  memcpy(ifr.ifr_name, name.data(), name.size());
  ifr.ifr_mtu = static_cast<int>(mtu);
  if (ioctl(s.get(), SIOCSIFMTU, &ifr) != 0) {
    ThrowErrno(env, errno, "ioctl SIOCSIFMTU");
    return env.Undefined();
  }
  return env.Undefined();
}

}  // namespace packet_io
