// A packet endpoint: one non-blocking descriptor (TUN/TAP device, UDP socket or raw IP socket) watched on
// Node's event loop with a uv_poll_t. On readiness it reads as many packets as are queued (up to the batch
// limit) into a receive arena owned by JavaScript and calls one JS callback with the count; per-packet
// offset, length, source address and port go into a Uint32Array shared with JavaScript. Writes are
// non-blocking: a full queue is counted as a drop and reported as `false`, never thrown.
#pragma once

#include <napi.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <memory>
#include <vector>

namespace packet_io {

/** How packets move through the descriptor. */
enum class EndpointKind : int {
  kDevice = 0,  // read()/write(), one packet per call (TUN/TAP)
  kSocket = 1,  // recvmmsg()/sendmmsg() with an IPv4 sockaddr (UDP, raw IP)
};

/** Indexes into the counters Float64Array (kept in step with src/io/native.ts via `counterNames`). */
enum Counter : int {
  kRxPackets = 0,
  kRxBytes,
  kRxTruncated,
  kRxErrors,
  kTxPackets,
  kTxBytes,
  kTxDropped,
  kTxErrors,
  kLastErrno,
  kCounterCount,
};

/** Words per packet in the shared metadata array: offset, length, source address, source port. */
constexpr size_t kMetaStride = 4;
/** Upper bound on packets per readiness event and per sendmmsg() call. */
constexpr size_t kMaxBatch = 1024;

class Endpoint : public Napi::ObjectWrap<Endpoint> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  /** Wraps an open descriptor (ownership passes to the endpoint). */
  static Napi::Object Wrap(Napi::Env env, int fd, EndpointKind kind);

  explicit Endpoint(const Napi::CallbackInfo& info);
  ~Endpoint() override;

 private:
  Napi::Value Start(const Napi::CallbackInfo& info);
  Napi::Value Stop(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);
  Napi::Value SetTos(const Napi::CallbackInfo& info);
  Napi::Value Ref(const Napi::CallbackInfo& info);
  Napi::Value Unref(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value GetCounters(const Napi::CallbackInfo& info);
  /** setErrorSink(fn(origin, type, code, info, errno, offender, destination, destinationPort)) for IP_RECVERR. */
  Napi::Value SetErrorSink(const Napi::CallbackInfo& info);
  /** Reads the error queue into the sink; true when there was something and the descriptor is still good. */
  bool DrainErrors();

  static void OnPoll(uv_poll_t* handle, int status, int events);
  /** Calls the JS callback once with `count` packets in the arena, or with a fatal errno (polling stops). */
  void Deliver(size_t count, int fatal);
  size_t ReadDevice(int* fatal);
  size_t ReadSocket(int* fatal);
  bool SendOne(const uint8_t* data, size_t length, uint32_t address, uint16_t port);
  size_t SendBatchSocket(const uint8_t* data, size_t dataLength, const uint32_t* meta, size_t count);
  void CountTxError(int err);
  void StopPolling();
  void CloseNow();

  int fd_;
  EndpointKind kind_;
  bool refed_ = true;
  bool polling_ = false;
  bool selfRef_ = false;
  uv_poll_t* poll_ = nullptr;

  Napi::Reference<Napi::Float64Array> countersRef_;
  double* counters_ = nullptr;

  Napi::Reference<Napi::Uint8Array> arenaRef_;
  uint8_t* arena_ = nullptr;
  Napi::Reference<Napi::Uint32Array> metaRef_;
  uint32_t* meta_ = nullptr;
  size_t slotSize_ = 0;
  size_t maxBatch_ = 0;
  Napi::FunctionReference onPackets_;
  Napi::FunctionReference onNetworkError_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;

  // Scatter lists for recvmmsg()/sendmmsg(), sized once so the hot path allocates nothing.
  std::vector<mmsghdr> rxMsgs_;
  std::vector<iovec> rxIov_;
  std::vector<sockaddr_in> rxAddrs_;
  std::vector<mmsghdr> txMsgs_;
  std::vector<iovec> txIov_;
  std::vector<sockaddr_in> txAddrs_;
};

}  // namespace packet_io
