// The packet I/O addon: opens what Node cannot (TUN/TAP devices, raw IPv4 sockets; also a batched UDP
// socket), waits for readiness on Node's event loop and moves packets in batches. It makes no protocol
// decision: every header is built and parsed in TypeScript (src/io/). It also carries the ESP crypto of
// src/crypto/esp-native.ts (esp_crypto.cc): per-SA OpenSSL contexts that seal and open packets in place.
#include <napi.h>

#include "endpoint.h"
#include "esp_crypto.h"
#include "open.h"
#include "link.h"
#include "notify.h"

namespace packet_io {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  Endpoint::Init(env, exports);
  EspSaCrypto::Init(env, exports);
  exports.Set("openTun", Napi::Function::New<OpenTun>(env, "openTun"));
  exports.Set("openUdp", Napi::Function::New<OpenUdp>(env, "openUdp"));
  exports.Set("openRawIp", Napi::Function::New<OpenRawIp>(env, "openRawIp"));
  exports.Set("pathMtu", Napi::Function::New<PathMtu>(env, "pathMtu"));
  exports.Set("setLinkMtu", Napi::Function::New<SetLinkMtu>(env, "setLinkMtu"));
  exports.Set("openRouteMonitor", Napi::Function::New<OpenRouteMonitor>(env, "openRouteMonitor"));
  exports.Set("sendUnixDatagram", Napi::Function::New<SendUnixDatagram>(env, "sendUnixDatagram"));

  const char* names[kCounterCount] = {"rxPackets", "rxBytes",   "rxTruncated", "rxErrors", "txPackets",
                                      "txBytes",   "txDropped", "txErrors",    "lastErrno"};
  Napi::Array counterNames = Napi::Array::New(env, kCounterCount);
  for (uint32_t i = 0; i < kCounterCount; i++) counterNames.Set(i, Napi::String::New(env, names[i]));
  exports.Set("counterNames", counterNames);
  exports.Set("metaStride", Napi::Number::New(env, kMetaStride));
  exports.Set("maxBatch", Napi::Number::New(env, kMaxBatch));
  return exports;
}

}  // namespace packet_io

static Napi::Object InitPacketIo(Napi::Env env, Napi::Object exports) { return packet_io::Init(env, exports); }

NODE_API_MODULE(packet_io, InitPacketIo)
