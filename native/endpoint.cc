// Endpoint lifecycle: construction, start/stop of polling, ref/unref, close. The read and write paths are
// in endpoint_io.cc.
#include "endpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "args.h"
#include "errors.h"

namespace packet_io {

void Endpoint::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Endpoint",
                                    {
                                        InstanceMethod<&Endpoint::Start>("start"),
                                        InstanceMethod<&Endpoint::Stop>("stop"),
                                        InstanceMethod<&Endpoint::Send>("send"),
                                        InstanceMethod<&Endpoint::SendBatch>("sendBatch"),
                                        InstanceMethod<&Endpoint::SetTos>("setTos"),
                                        InstanceMethod<&Endpoint::SetErrorSink>("setErrorSink"),
                                        InstanceMethod<&Endpoint::Ref>("ref"),
                                        InstanceMethod<&Endpoint::Unref>("unref"),
                                        InstanceMethod<&Endpoint::Close>("close"),
                                        InstanceAccessor<&Endpoint::GetFd>("fd"),
                                        InstanceAccessor<&Endpoint::GetCounters>("counters"),
                                    });
  auto* constructor = new Napi::FunctionReference(Napi::Persistent(ctor));
  env.SetInstanceData(constructor);
  exports.Set("Endpoint", ctor);
}

Napi::Object Endpoint::Wrap(Napi::Env env, int fd, EndpointKind kind) {
  auto* constructor = env.GetInstanceData<Napi::FunctionReference>();
  return constructor->New({Napi::Number::New(env, fd), Napi::Number::New(env, static_cast<int>(kind))});
}

Endpoint::Endpoint(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Endpoint>(info) {
  Napi::Env env = info.Env();
  fd_ = -1;
  kind_ = EndpointKind::kDevice;
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    ThrowTypeError(env, "Endpoint(fd, kind): numbers expected");
    return;
  }
  int kind = info[1].As<Napi::Number>().Int32Value();
  if (kind != static_cast<int>(EndpointKind::kDevice) && kind != static_cast<int>(EndpointKind::kSocket)) {
    ThrowRangeError(env, "Endpoint: unknown kind");
    return;
  }
  fd_ = info[0].As<Napi::Number>().Int32Value();
  kind_ = static_cast<EndpointKind>(kind);
  Napi::Float64Array counters = Napi::Float64Array::New(env, kCounterCount);
  counters_ = counters.Data();
  countersRef_ = Napi::Persistent(counters);
}

Endpoint::~Endpoint() {
  selfRef_ = false;  // the wrapper is being collected: there is no reference left to drop
  CloseNow();
}

Napi::Value Endpoint::Start(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (fd_ < 0) {
    ThrowErrno(env, EBADF, "start");
    return env.Undefined();
  }
  if (polling_) {
    Napi::Error::New(env, "endpoint already started").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint8_t* arena;
  size_t arenaLength;
  uint32_t* meta;
  size_t metaLength;
  uint32_t slotSize;
  if (info.Length() < 4 || !ArgBytes(env, info[0], &arena, &arenaLength) ||
      !ArgWords(env, info[1], &meta, &metaLength) || !ArgU32(env, info[2], &slotSize) || !info[3].IsFunction()) {
    ThrowTypeError(env, "start(arena: Uint8Array, meta: Uint32Array, slotSize: number, onPackets: Function)");
    return env.Undefined();
  }
  size_t maxBatch = slotSize == 0 ? 0 : std::min({metaLength / kMetaStride, arenaLength / slotSize, kMaxBatch});
  if (maxBatch == 0) {
    ThrowRangeError(env, "start: arena or metadata too small for one packet");
    return env.Undefined();
  }
  if ((fcntl(fd_, F_GETFL) & O_NONBLOCK) == 0) {
    Napi::Error::New(env, "start: descriptor was opened blocking").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (poll_ == nullptr) {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
      Napi::Error::New(env, "start: no event loop").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto* handle = new uv_poll_t;
    int rc = uv_poll_init(loop, handle, fd_);
    if (rc != 0) {
      delete handle;
      ThrowErrno(env, -rc, "uv_poll_init");
      return env.Undefined();
    }
    handle->data = this;
    poll_ = handle;
  }
  arena_ = arena;
  meta_ = meta;
  slotSize_ = slotSize;
  maxBatch_ = maxBatch;
  arenaRef_ = Napi::Persistent(info[0].As<Napi::Uint8Array>());
  metaRef_ = Napi::Persistent(info[1].As<Napi::Uint32Array>());
  onPackets_ = Napi::Persistent(info[3].As<Napi::Function>());
  if (!asyncContext_) asyncContext_ = std::make_unique<Napi::AsyncContext>(env, "PacketEndpoint");
  if (kind_ == EndpointKind::kSocket) {
    rxMsgs_.assign(maxBatch, mmsghdr{});
    rxIov_.assign(maxBatch, iovec{});
    rxAddrs_.assign(maxBatch, sockaddr_in{});
    for (size_t i = 0; i < maxBatch; i++) {
      rxIov_[i].iov_base = arena_ + i * slotSize_;
      rxIov_[i].iov_len = slotSize_;
      rxMsgs_[i].msg_hdr.msg_name = &rxAddrs_[i];
      rxMsgs_[i].msg_hdr.msg_iov = &rxIov_[i];
      rxMsgs_[i].msg_hdr.msg_iovlen = 1;
    }
  }
  int rc = uv_poll_start(poll_, UV_READABLE, OnPoll);
  if (rc != 0) {
    ThrowErrno(env, -rc, "uv_poll_start");
    return env.Undefined();
  }
  polling_ = true;
  if (refed_) {
    uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  if (!selfRef_) {
    ObjectWrap::Ref();  // a polling endpoint must not be collected while the loop can call it
    selfRef_ = true;
  }
  return env.Undefined();
}

void Endpoint::StopPolling() {
  if (polling_ && poll_ != nullptr) uv_poll_stop(poll_);
  polling_ = false;
  arena_ = nullptr;
  meta_ = nullptr;
  arenaRef_.Reset();
  metaRef_.Reset();
  onPackets_.Reset();
  if (selfRef_) {
    selfRef_ = false;
    ObjectWrap::Unref();
  }
}

Napi::Value Endpoint::Stop(const Napi::CallbackInfo& info) {
  StopPolling();
  return info.Env().Undefined();
}

Napi::Value Endpoint::Ref(const Napi::CallbackInfo& info) {
  refed_ = true;
  if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

Napi::Value Endpoint::Unref(const Napi::CallbackInfo& info) {
  refed_ = false;
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

void Endpoint::CloseNow() {
  StopPolling();
  if (poll_ != nullptr) {
    poll_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* handle) { delete reinterpret_cast<uv_poll_t*>(handle); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);  // libuv has already forgotten the descriptor (uv_close stops the watcher at once)
    fd_ = -1;
  }
}

Napi::Value Endpoint::Close(const Napi::CallbackInfo& info) {
  CloseNow();
  return info.Env().Undefined();
}

Napi::Value Endpoint::GetFd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

Napi::Value Endpoint::GetCounters(const Napi::CallbackInfo& info) {
  if (countersRef_.IsEmpty()) return info.Env().Undefined();
  return countersRef_.Value();
}

}  // namespace packet_io
