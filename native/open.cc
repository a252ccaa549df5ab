#include "open.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "endpoint.h"
#include "errors.h"
#include "netns.h"

namespace packet_io {

namespace {

/** Closes a descriptor on scope exit unless released. */
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string OptString(const Napi::Object& opts, const char* key) {
  Napi::Value v = opts.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

uint32_t OptU32(const Napi::Object& opts, const char* key, uint32_t fallback) {
  Napi::Value v = opts.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
}

bool OptBool(const Napi::Object& opts, const char* key) {
  Napi::Value v = opts.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

/** IP_RECVERR on: ICMP errors about what we sent come to the error queue (Endpoint::DrainErrors). */
bool SetReceiveErrors(int fd, bool on) {
  int value = 1;
  return !on || setsockopt(fd, IPPROTO_IP, IP_RECVERR, &value, sizeof(value)) == 0;
}

bool GetOptions(const Napi::CallbackInfo& info, Napi::Object* opts) {
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowTypeError(info.Env(), "options object expected");
    return false;
  }
  *opts = info[0].As<Napi::Object>();
  return true;
}

/** Copies an interface name into ifr_name (zero-filled, at most IFNAMSIZ - 1 bytes). */
void CopyName(ifreq* ifr, const char* name) {
  memset(ifr->ifr_name, 0, IFNAMSIZ);
  memcpy(ifr->ifr_name, name, strnlen(name, IFNAMSIZ - 1));
}

/** Sets SO_RCVBUF/SO_SNDBUF when asked; the FORCE variants lift the sysctl caps when privileged. */
bool SetBufferSizes(int fd, uint32_t receive, uint32_t send, const char** syscall) {
  int value;
  if (receive > 0) {
    value = static_cast<int>(receive);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &value, sizeof(value)) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &value, sizeof(value)) != 0) {
      *syscall = "setsockopt SO_RCVBUF";
      return false;
    }
  }
  if (send > 0) {
    value = static_cast<int>(send);
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &value, sizeof(value)) != 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, sizeof(value)) != 0) {
      *syscall = "setsockopt SO_SNDBUF";
      return false;
    }
  }
  return true;
}

/** Interface index and (for TAP) hardware address, asked through a control socket in the current namespace. */
bool InterfaceFacts(const char* name, bool tap, int* ifindex, uint8_t mac[6], const char** syscall) {
  FdGuard ctl(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (ctl.get() < 0) {
    *syscall = "socket";
    return false;
  }
  ifreq ifr{};
  CopyName(&ifr, name);
  if (ioctl(ctl.get(), SIOCGIFINDEX, &ifr) != 0) {
    *syscall = "ioctl SIOCGIFINDEX";
    return false;
  }
  *ifindex = ifr.ifr_ifindex;
  if (tap) {
    if (ioctl(ctl.get(), SIOCGIFHWADDR, &ifr) != 0) {
      *syscall = "ioctl SIOCGIFHWADDR";
      return false;
    }
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  }
  return true;
}

}  // namespace

Napi::Value OpenTun(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts;
  if (!GetOptions(info, &opts)) return env.Undefined();
  std::string name = OptString(opts, "name");
  std::string devicePath = OptString(opts, "devicePath");
  if (devicePath.empty()) devicePath = "/dev/net/tun";
  bool tap = OptBool(opts, "tap");
  bool blocking = OptBool(opts, "blocking");
  if (name.size() >= IFNAMSIZ) {
    ThrowRangeError(env, "interface name longer than 15 bytes");
    return env.Undefined();
  }

  NetnsScope netns(OptString(opts, "netns"));
  if (!netns.ok()) {
    ThrowErrno(env, netns.error(), netns.syscall());
    return env.Undefined();
  }
  FdGuard fd(open(devicePath.c_str(), O_RDWR | O_CLOEXEC | (blocking ? 0 : O_NONBLOCK)));
  if (fd.get() < 0) {
    ThrowErrno(env, errno, "open tun device");
    return env.Undefined();
  }
  ifreq ifr{};
  ifr.ifr_flags = static_cast<short>((tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI);
  CopyName(&ifr, name.c_str());
  if (ioctl(fd.get(), TUNSETIFF, &ifr) != 0) {
    ThrowErrno(env, errno, "ioctl TUNSETIFF");
    return env.Undefined();
  }
  int ifindex = 0;
  uint8_t mac[6] = {0};
  const char* syscall = "";
  if (!InterfaceFacts(ifr.ifr_name, tap, &ifindex, mac, &syscall)) {
    ThrowErrno(env, errno, syscall);
    return env.Undefined();
  }

  Napi::Object result = Napi::Object::New(env);
  result.Set("name", Napi::String::New(env, ifr.ifr_name));
  result.Set("ifindex", Napi::Number::New(env, ifindex));
  result.Set("mac", tap ? Napi::Value(Napi::Buffer<uint8_t>::Copy(env, mac, 6)) : env.Null());
  result.Set("endpoint", Endpoint::Wrap(env, fd.release(), EndpointKind::kDevice));
  return result;
}

Napi::Value OpenUdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts;
  if (!GetOptions(info, &opts)) return env.Undefined();
  uint32_t port = OptU32(opts, "port", 0);
  if (port > 0xffff) {
    ThrowRangeError(env, "port above 65535");
    return env.Undefined();
  }
  NetnsScope netns(OptString(opts, "netns"));
  if (!netns.ok()) {
    ThrowErrno(env, netns.error(), netns.syscall());
    return env.Undefined();
  }
  FdGuard fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (fd.get() < 0) {
    ThrowErrno(env, errno, "socket");
    return env.Undefined();
  }
  const char* syscall = "";
  if (!SetBufferSizes(fd.get(), OptU32(opts, "receiveBufferSize", 0), OptU32(opts, "sendBufferSize", 0), &syscall)) {
    ThrowErrno(env, errno, syscall);
    return env.Undefined();
  }
  if (!SetReceiveErrors(fd.get(), OptBool(opts, "receiveErrors"))) {
    ThrowErrno(env, errno, "setsockopt IP_RECVERR");
    return env.Undefined();
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(OptU32(opts, "address", 0));
  local.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    ThrowErrno(env, errno, "bind");
    return env.Undefined();
  }
  socklen_t length = sizeof(local);
  if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    ThrowErrno(env, errno, "getsockname");
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("address", Napi::Number::New(env, ntohl(local.sin_addr.s_addr)));
  result.Set("port", Napi::Number::New(env, ntohs(local.sin_port)));
  result.Set("endpoint", Endpoint::Wrap(env, fd.release(), EndpointKind::kSocket));
  return result;
}

Napi::Value OpenRawIp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts;
  if (!GetOptions(info, &opts)) return env.Undefined();
  uint32_t protocol = OptU32(opts, "protocol", 0);
  if (protocol == 0 || protocol > 255) {
    ThrowRangeError(env, "protocol must be 1..255");
    return env.Undefined();
  }
  NetnsScope netns(OptString(opts, "netns"));
  if (!netns.ok()) {
    ThrowErrno(env, netns.error(), netns.syscall());
    return env.Undefined();
  }
  FdGuard fd(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, static_cast<int>(protocol)));
  if (fd.get() < 0) {
    ThrowErrno(env, errno, "socket");
    return env.Undefined();
  }
  int on = 1;
  if (OptBool(opts, "headerIncluded") && setsockopt(fd.get(), IPPROTO_IP, IP_HDRINCL, &on, sizeof(on)) != 0) {
    ThrowErrno(env, errno, "setsockopt IP_HDRINCL");
    return env.Undefined();
  }
  const char* syscall = "";
  if (!SetBufferSizes(fd.get(), OptU32(opts, "receiveBufferSize", 0), OptU32(opts, "sendBufferSize", 0), &syscall)) {
    ThrowErrno(env, errno, syscall);
    return env.Undefined();
  }
  if (!SetReceiveErrors(fd.get(), OptBool(opts, "receiveErrors"))) {
    ThrowErrno(env, errno, "setsockopt IP_RECVERR");
    return env.Undefined();
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(OptU32(opts, "address", 0));
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    ThrowErrno(env, errno, "bind");
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("address", Napi::Number::New(env, ntohl(local.sin_addr.s_addr)));
  result.Set("endpoint", Endpoint::Wrap(env, fd.release(), EndpointKind::kSocket));
  return result;
}

Napi::Value OpenRouteMonitor(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object opts;
  if (!GetOptions(info, &opts)) return env.Undefined();
  NetnsScope netns(OptString(opts, "netns"));
  if (!netns.ok()) {
    ThrowErrno(env, netns.error(), netns.syscall());
    return env.Undefined();
  }
  FdGuard fd(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (fd.get() < 0) {
    ThrowErrno(env, errno, "socket");
    return env.Undefined();
  }
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    ThrowErrno(env, errno, "bind");
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("endpoint", Endpoint::Wrap(env, fd.release(), EndpointKind::kSocket));
  return result;
}

}  // namespace packet_io
