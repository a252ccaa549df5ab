// The hot paths of Endpoint: reading a batch on readiness and calling JavaScript once; non-blocking writes
// that count drops instead of failing.
#include <errno.h>
#include <netinet/ip.h>
#include <unistd.h>

#include <algorithm>

#include "args.h"
#include "endpoint.h"
#include "errors.h"

namespace packet_io {

namespace {

/** Packets per sendmmsg() call in SendBatch. */
constexpr size_t kTxChunk = 64;

bool IsQueueFull(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS; }

sockaddr_in MakeAddress(uint32_t address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(address);
  return sa;
}

}  // namespace

void Endpoint::OnPoll(uv_poll_t* handle, int status, int /*events*/) {
  auto* self = static_cast<Endpoint*>(handle->data);
  if (self == nullptr || !self->polling_) return;
  if (status < 0) {  // libuv reports POLLERR as UV_EBADF, e.g. when the device was deleted
    // On a socket, POLLERR is usually an ICMP report on the error queue: hand it on and poll again.
    if (self->DrainErrors() && self->polling_ && uv_poll_start(handle, UV_READABLE, OnPoll) == 0) return;
    self->counters_[kRxErrors] += 1;
    self->counters_[kLastErrno] = -status;
    self->Deliver(0, -status);
    return;
  }
  int fatal = 0;
  size_t count = self->kind_ == EndpointKind::kDevice ? self->ReadDevice(&fatal) : self->ReadSocket(&fatal);
  if (count != 0 || fatal != 0) self->Deliver(count, fatal);
}

void Endpoint::Deliver(size_t count, int fatal) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  // A local handle keeps the callback alive across stop() or close() made from inside it.
  Napi::Function callback = onPackets_.Value();
  if (fatal != 0) StopPolling();
  callback.MakeCallback(Value(), {Napi::Number::New(env, static_cast<double>(count)), Napi::Number::New(env, fatal)},
                        *asyncContext_);
  if (env.IsExceptionPending()) {
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

size_t Endpoint::ReadDevice(int* fatal) {
  size_t count = 0;
  for (size_t attempts = 0; count < maxBatch_ && attempts < maxBatch_; attempts++) {
    uint8_t* slot = arena_ + count * slotSize_;
    ssize_t n = read(fd_, slot, slotSize_);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      counters_[kRxErrors] += 1;
      counters_[kLastErrno] = errno;
      if (errno != ENOBUFS && errno != ENOMEM) *fatal = errno;
      break;
    }
    if (static_cast<size_t>(n) > slotSize_) {  // the device reports the full length of a cut packet
      counters_[kRxTruncated] += 1;
      continue;
    }
    uint32_t* m = meta_ + count * kMetaStride;
    m[0] = static_cast<uint32_t>(count * slotSize_);
    m[1] = static_cast<uint32_t>(n);
    m[2] = 0;
    m[3] = 0;
    counters_[kRxPackets] += 1;
    counters_[kRxBytes] += static_cast<double>(n);
    count++;
  }
  return count;
}

size_t Endpoint::ReadSocket(int* fatal) {
  for (size_t i = 0; i < maxBatch_; i++) {
    rxMsgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
    rxMsgs_[i].msg_hdr.msg_flags = 0;
  }
  int n;
  do {
    n = recvmmsg(fd_, rxMsgs_.data(), static_cast<unsigned>(maxBatch_), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    int err = errno;
    counters_[kRxErrors] += 1;
    counters_[kLastErrno] = err;
    // A pending socket error reported by the network (IP_RECVERR: any ICMP maps to some errno, e.g.
    // ENOPROTOOPT for protocol unreachable) comes with a report on the error queue: transient, like memory
    // pressure. Anything else ends the endpoint.
    bool reported = DrainErrors();
    if (!reported && err != ECONNREFUSED && err != EHOSTUNREACH && err != ENETUNREACH && err != ENOBUFS && err != ENOMEM) {
      *fatal = err;
    }
    return 0;
  }
  size_t count = 0;
  for (int i = 0; i < n; i++) {
    const msghdr& hdr = rxMsgs_[i].msg_hdr;
    if ((hdr.msg_flags & MSG_TRUNC) != 0) {
      counters_[kRxTruncated] += 1;
      continue;
    }
    uint32_t* m = meta_ + count * kMetaStride;
    m[0] = static_cast<uint32_t>(i * slotSize_);
    m[1] = rxMsgs_[i].msg_len;
    m[2] = ntohl(rxAddrs_[i].sin_addr.s_addr);
    m[3] = ntohs(rxAddrs_[i].sin_port);
    counters_[kRxPackets] += 1;
    counters_[kRxBytes] += rxMsgs_[i].msg_len;
    count++;
  }
  return count;
}

void Endpoint::CountTxError(int err) {
  counters_[IsQueueFull(err) ? kTxDropped : kTxErrors] += 1;
  counters_[kLastErrno] = err;
}

bool Endpoint::SendOne(const uint8_t* data, size_t length, uint32_t address, uint16_t port) {
  ssize_t n;
  if (kind_ == EndpointKind::kDevice) {
    do n = write(fd_, data, length);
    while (n < 0 && errno == EINTR);
  } else {
    sockaddr_in to = MakeAddress(address, port);
    do n = sendto(fd_, data, length, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    while (n < 0 && errno == EINTR);
  }
  if (n < 0) {
    CountTxError(errno);
    return false;
  }
  counters_[kTxPackets] += 1;
  counters_[kTxBytes] += static_cast<double>(n);
  return true;
}

Napi::Value Endpoint::Send(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* data;
  size_t dataLength;
  uint32_t offset, length, address = 0, port = 0;
  if (info.Length() < 3 || !ArgBytes(env, info[0], &data, &dataLength) || !ArgU32(env, info[1], &offset) ||
      !ArgU32(env, info[2], &length) || (info.Length() > 3 && !ArgU32(env, info[3], &address)) ||
      (info.Length() > 4 && !ArgU32(env, info[4], &port))) {
    ThrowTypeError(info.Env(), "send(buffer: Uint8Array, offset, length, address?, port?)");
    return info.Env().Undefined();
  }
  if (static_cast<size_t>(offset) + length > dataLength || port > 0xffff) {
    ThrowRangeError(info.Env(), "send: offset/length outside the buffer, or port above 65535");
    return info.Env().Undefined();
  }
  if (fd_ < 0) {
    CountTxError(EBADF);
    return Napi::Boolean::New(env, false);
  }
  return Napi::Boolean::New(env, SendOne(data + offset, length, address, static_cast<uint16_t>(port)));
}

size_t Endpoint::SendBatchSocket(const uint8_t* data, size_t /*dataLength*/, const uint32_t* meta, size_t count) {
  if (txMsgs_.empty()) {
    txMsgs_.assign(kTxChunk, mmsghdr{});
    txIov_.assign(kTxChunk, iovec{});
    txAddrs_.assign(kTxChunk, sockaddr_in{});
  }
  size_t sent = 0;
  size_t i = 0;
  while (i < count) {
    size_t chunk = std::min(count - i, kTxChunk);
    for (size_t j = 0; j < chunk; j++) {
      const uint32_t* m = meta + (i + j) * kMetaStride;
      txIov_[j].iov_base = const_cast<uint8_t*>(data + m[0]);
      txIov_[j].iov_len = m[1];
      txAddrs_[j] = MakeAddress(m[2], static_cast<uint16_t>(m[3]));
      msghdr& hdr = txMsgs_[j].msg_hdr;
      hdr = msghdr{};
      hdr.msg_name = &txAddrs_[j];
      hdr.msg_namelen = sizeof(sockaddr_in);
      hdr.msg_iov = &txIov_[j];
      hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(fd_, txMsgs_.data(), static_cast<unsigned>(chunk), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      if (IsQueueFull(err)) {  // the rest would meet the same full queue
        counters_[kTxDropped] += static_cast<double>(count - i);
        counters_[kLastErrno] = err;
        break;
      }
      CountTxError(err);  // this one packet is bad (e.g. EMSGSIZE); go on with the next
      i++;
      continue;
    }
    for (int j = 0; j < n; j++) counters_[kTxBytes] += txMsgs_[j].msg_len;
    counters_[kTxPackets] += n;
    sent += static_cast<size_t>(n);
    i += static_cast<size_t>(n);
  }
  return sent;
}

Napi::Value Endpoint::SendBatch(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* data;
  size_t dataLength;
  uint32_t* meta;
  size_t metaLength;
  uint32_t count;
  if (info.Length() < 3 || !ArgBytes(env, info[0], &data, &dataLength) || !ArgWords(env, info[1], &meta, &metaLength) ||
      !ArgU32(env, info[2], &count)) {
    ThrowTypeError(info.Env(), "sendBatch(buffer: Uint8Array, meta: Uint32Array, count: number)");
    return info.Env().Undefined();
  }
  if (static_cast<size_t>(count) * kMetaStride > metaLength) {
    ThrowRangeError(info.Env(), "sendBatch: count exceeds the metadata array");
    return info.Env().Undefined();
  }
  for (size_t i = 0; i < count; i++) {
    const uint32_t* m = meta + i * kMetaStride;
    if (static_cast<size_t>(m[0]) + m[1] > dataLength || m[3] > 0xffff) {
      ThrowRangeError(info.Env(), "sendBatch: an entry lies outside the buffer, or its port is above 65535");
      return info.Env().Undefined();
    }
  }
  if (fd_ < 0) {
    counters_[kTxErrors] += count;
    counters_[kLastErrno] = EBADF;
    return Napi::Number::New(env, 0);
  }
  size_t sent = 0;
  if (kind_ == EndpointKind::kSocket) {
    sent = SendBatchSocket(data, dataLength, meta, count);
  } else {
    for (size_t i = 0; i < count; i++) {
      const uint32_t* m = meta + i * kMetaStride;
      if (SendOne(data + m[0], m[1], 0, 0)) sent++;
    }
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

Napi::Value Endpoint::SetTos(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t tos;
  if (info.Length() < 1 || !ArgU32(env, info[0], &tos) || tos > 0xff) {
    ThrowRangeError(env, "setTos(tos: 0..255)");
    return env.Undefined();
  }
  int value = static_cast<int>(tos);
  if (kind_ != EndpointKind::kSocket || setsockopt(fd_, IPPROTO_IP, IP_TOS, &value, sizeof(value)) != 0) {
    ThrowErrno(env, kind_ != EndpointKind::kSocket ? ENOTSOCK : errno, "setsockopt IP_TOS");
  }
  return env.Undefined();
}

}  // namespace packet_io
