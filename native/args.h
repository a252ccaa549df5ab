// Argument readers for the addon's hot-path methods: one N-API call each, no exceptions, no allocation.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace packet_io {

/** Reads a Uint8Array (or Buffer) argument: data pointer (byte offset applied) and byte length. */
inline bool ArgBytes(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &arraybuffer, &offset) != napi_ok) return false;
  if (type != napi_uint8_array) return false;
  *data = static_cast<uint8_t*>(raw);
  return true;
}

/** Reads a Uint32Array argument: element pointer and element count. */
inline bool ArgWords(napi_env env, napi_value value, uint32_t** data, size_t* length) {
  napi_typedarray_type type;
  void* raw = nullptr;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, &arraybuffer, &offset) != napi_ok) return false;
  if (type != napi_uint32_array) return false;
  *data = static_cast<uint32_t*>(raw);
  return true;
}

/** Reads a number argument as uint32. */
inline bool ArgU32(napi_env env, napi_value value, uint32_t* out) { return napi_get_value_uint32(env, value, out) == napi_ok; }

}  // namespace packet_io
