// What the network tells a socket about the packets it sent (IP_RECVERR, RFC 1122 4.1.3.3): ICMP port, host,
// net or protocol unreachable, "fragmentation needed" with the next hop's MTU, and local errors. The kernel
// queues them on the socket's error queue and signals POLLERR, which libuv turns into UV_EBADF and a stopped
// poll; OnPoll drains the queue here, hands each report to the JS error sink, and polls on.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "endpoint.h"
#include "errors.h"

namespace packet_io {

Napi::Value Endpoint::SetErrorSink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowTypeError(env, "setErrorSink(fn) expects a function");
    return env.Undefined();
  }
  onNetworkError_ = Napi::Persistent(info[0].As<Napi::Function>());
  return env.Undefined();
}

bool Endpoint::DrainErrors() {
  if (fd_ < 0 || kind_ != EndpointKind::kSocket) return false;
  bool any = false;
  for (int i = 0; i < 64; i++) {
    uint8_t data[64];
    uint8_t control[512];
    sockaddr_in dest{};
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_name = &dest;
    msg.msg_namelen = sizeof(dest);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd_, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    any = true;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR) continue;
      const auto* ee = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(c));
      const auto* offender = reinterpret_cast<const sockaddr_in*>(SO_EE_OFFENDER(ee));
      uint32_t from = offender->sin_family == AF_INET ? ntohl(offender->sin_addr.s_addr) : 0;
      if (onNetworkError_.IsEmpty()) continue;
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      onNetworkError_.Value().MakeCallback(
          Value(),
          {Napi::Number::New(env, ee->ee_origin), Napi::Number::New(env, ee->ee_type), Napi::Number::New(env, ee->ee_code),
           Napi::Number::New(env, ee->ee_info), Napi::Number::New(env, ee->ee_errno), Napi::Number::New(env, from),
           Napi::Number::New(env, ntohl(dest.sin_addr.s_addr)), Napi::Number::New(env, ntohs(dest.sin_port))},
          *asyncContext_);
      if (env.IsExceptionPending()) napi_fatal_exception(env, env.GetAndClearPendingException().Value());
    }
  }
  // Reading the pending error clears it, so that POLLERR ends.
  int err = 0;
  socklen_t length = sizeof(err);
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &length) == 0 && err != 0) any = true;
  return any && fcntl(fd_, F_GETFD) != -1;
}

}  // namespace packet_io
