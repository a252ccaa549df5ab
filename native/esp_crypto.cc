// ESP seal/open on Node's OpenSSL: see esp_crypto.h.
#include "esp_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

#include <cstring>
#include <string>

#include "args.h"
#include "errors.h"

namespace packet_io {

namespace {

/** SPI and Sequence Number in front of the IV. */
constexpr size_t kEspHeaderLength = 8;
/** AES block, and the CBC IV length. */
constexpr size_t kAesBlock = 16;
/** RFC 4106: 8-byte explicit IV, 4-byte salt, 16-byte ICV. */
constexpr size_t kGcmIvLength = 8;
constexpr size_t kGcmSaltLength = 4;
constexpr size_t kGcmTagLength = 16;
/** No ESP packet carried by IP is longer than this. */
constexpr size_t kMaxText = 65536;

/** OpenSSL cipher name for a mode and AES key length, or nullptr. */
const char* AesName(bool gcm, size_t keyLength) {
  switch (keyLength) {
    case 16: return gcm ? "AES-128-GCM" : "AES-128-CBC";
    case 24: return gcm ? "AES-192-GCM" : "AES-192-CBC";
    case 32: return gcm ? "AES-256-GCM" : "AES-256-CBC";
    default: return nullptr;
  }
}

/** OpenSSL digest name for an ESP integrity hash, or nullptr. */
const char* DigestName(const std::string& hash) {
  if (hash == "md5") return "MD5";
  if (hash == "sha1") return "SHA1";
  if (hash == "sha256") return "SHA256";
  return nullptr;
}

/** A cipher context keyed once for one direction, padding off (ESP pads the text itself). */
EVP_CIPHER_CTX* KeyedContext(const EVP_CIPHER* cipher, const uint8_t* key, int encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  if (EVP_CipherInit_ex(ctx, cipher, nullptr, key, nullptr, encrypt) != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

/** Reads a Buffer argument at set-up time. */
bool SetupBytes(const Napi::Value& value, const uint8_t** data, size_t* length) {
  if (!value.IsTypedArray()) return false;
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  if (bytes.TypedArrayType() != napi_uint8_array) return false;
  *data = bytes.Data();
  *length = bytes.ByteLength();
  return true;
}

/** Bounds of one call: the ESP packet from `espOff`, its text and ICV, inside a buffer of `bufLength`. */
bool InBuffer(size_t bufLength, uint32_t espOff, uint32_t textLength, size_t ivLength, size_t icvLength) {
  return static_cast<uint64_t>(espOff) + kEspHeaderLength + ivLength + textLength + icvLength <= bufLength &&
         textLength <= kMaxText;
}

}  // namespace

void EspSaCrypto::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "EspSaCrypto",
                                    {
                                        InstanceMethod<&EspSaCrypto::Seal>("seal"),
                                        InstanceMethod<&EspSaCrypto::Open>("open"),
                                    });
  exports.Set("EspSaCrypto", ctor);
  exports.Set("opensslVersion", Napi::String::New(env, OpenSSL_version(OPENSSL_VERSION)));
}

EspSaCrypto::EspSaCrypto(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EspSaCrypto>(info) {
  Napi::Env env = info.Env();
  const uint8_t *encKey, *salt, *authKey;
  size_t encKeyLength, saltLength, authKeyLength;
  if (info.Length() < 6 || !info[0].IsString() || !SetupBytes(info[1], &encKey, &encKeyLength) ||
      !SetupBytes(info[2], &salt, &saltLength) || !info[3].IsString() ||
      !SetupBytes(info[4], &authKey, &authKeyLength) || !info[5].IsNumber()) {
    ThrowTypeError(env, "new EspSaCrypto(cipher, encKey, salt, hash, authKey, icvLength)");
    return;
  }
  const char* error = Setup(info[0].As<Napi::String>().Utf8Value(), encKey, encKeyLength, salt, saltLength,
                            info[3].As<Napi::String>().Utf8Value(), authKey, authKeyLength,
                            info[5].As<Napi::Number>().Uint32Value());
  if (error != nullptr) ThrowRangeError(env, error);
}

const char* EspSaCrypto::Setup(const std::string& cipher, const uint8_t* encKey, size_t encKeyLength,
                               const uint8_t* salt, size_t saltLength, const std::string& hash,
                               const uint8_t* authKey, size_t authKeyLength, uint32_t icvLength) {
  if (cipher != "aes-cbc" && cipher != "aes-gcm") return "EspSaCrypto: the cipher is neither aes-cbc nor aes-gcm";
  gcm_ = cipher == "aes-gcm";
  const char* cipherName = AesName(gcm_, encKeyLength);
  if (cipherName == nullptr) return "EspSaCrypto: an AES key has 16, 24 or 32 bytes";
  if (gcm_) {
    if (saltLength != kGcmSaltLength || !hash.empty() || icvLength != kGcmTagLength) {
      return "EspSaCrypto: AES-GCM takes a 4-byte salt, no HMAC and a 16-byte ICV";
    }
    std::memcpy(nonce_, salt, kGcmSaltLength);
    ivLength_ = kGcmIvLength;
    scratch_.resize(kMaxText);
  } else {
    if (saltLength != 0) return "EspSaCrypto: AES-CBC takes no salt";
    ivLength_ = kAesBlock;
  }
  icvLength_ = icvLength;

  EVP_CIPHER* evpCipher = EVP_CIPHER_fetch(nullptr, cipherName, nullptr);
  if (evpCipher == nullptr) return "EspSaCrypto: OpenSSL has no such AES cipher";
  encrypt_ = KeyedContext(evpCipher, encKey, 1);
  decrypt_ = KeyedContext(evpCipher, encKey, 0);
  EVP_CIPHER_free(evpCipher);  // the contexts keep their own references
  if (encrypt_ == nullptr || decrypt_ == nullptr) return "EspSaCrypto: cannot key the AES contexts";

  if (gcm_) return nullptr;
  if (hash.empty()) {
    return icvLength == 0 ? nullptr : "EspSaCrypto: an ICV needs an integrity hash";
  }
  const char* digest = DigestName(hash);
  if (digest == nullptr) return "EspSaCrypto: the hash is none of md5, sha1, sha256";
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return "EspSaCrypto: OpenSSL has no HMAC";
  mac_ = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  if (mac_ == nullptr) return "EspSaCrypto: cannot make an HMAC context";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_MAC_init(mac_, authKey, authKeyLength, params) != 1) return "EspSaCrypto: cannot key the HMAC";
  if (icvLength == 0 || icvLength > EVP_MAC_CTX_get_mac_size(mac_)) {
    return "EspSaCrypto: the ICV is longer than the HMAC";
  }
  return nullptr;
}

EspSaCrypto::~EspSaCrypto() {
  EVP_CIPHER_CTX_free(encrypt_);  // frees and cleanses the key schedules
  EVP_CIPHER_CTX_free(decrypt_);
  EVP_MAC_CTX_free(mac_);
  OPENSSL_cleanse(scratch_.data(), scratch_.size());
}

bool EspSaCrypto::Mac(const uint8_t* data, size_t length, uint8_t* mac) {
  size_t macLength = 0;
  // A null key keeps the one given at set-up: OpenSSL restarts from its precomputed inner and outer states.
  return EVP_MAC_init(mac_, nullptr, 0, nullptr) == 1 && EVP_MAC_update(mac_, data, length) == 1 &&
         EVP_MAC_final(mac_, mac, &macLength, EVP_MAX_MD_SIZE) == 1 && macLength >= icvLength_;
}

int32_t EspSaCrypto::SealCbc(uint8_t* esp, size_t textLength) {
  if (textLength % kAesBlock != 0) return kSealNotWholeBlocks;
  uint8_t* iv = esp + kEspHeaderLength;
  uint8_t* text = iv + kAesBlock;
  int outLength = 0;
  if (EVP_CipherInit_ex(encrypt_, nullptr, nullptr, nullptr, iv, 1) != 1 ||
      EVP_CipherUpdate(encrypt_, text, &outLength, text, static_cast<int>(textLength)) != 1 ||
      static_cast<size_t>(outLength) != textLength) {
    return kSealFailed;
  }
  if (mac_ == nullptr) return kSealOk;
  uint8_t mac[EVP_MAX_MD_SIZE];
  const size_t end = kEspHeaderLength + kAesBlock + textLength;
  if (!Mac(esp, end, mac)) return kSealFailed;
  std::memcpy(esp + end, mac, icvLength_);
  return kSealOk;
}

int32_t EspSaCrypto::OpenCbc(uint8_t* esp, size_t textLength) {
  const size_t end = kEspHeaderLength + kAesBlock + textLength;
  if (mac_ != nullptr) {
    uint8_t mac[EVP_MAX_MD_SIZE];
    if (!Mac(esp, end, mac) || CRYPTO_memcmp(mac, esp + end, icvLength_) != 0) return kOpenBadIcv;
  }
  if (textLength % kAesBlock != 0) return kOpenDecryptFailed;
  uint8_t* iv = esp + kEspHeaderLength;
  uint8_t* text = iv + kAesBlock;
  int outLength = 0;
  if (EVP_CipherInit_ex(decrypt_, nullptr, nullptr, nullptr, iv, 0) != 1 ||
      EVP_CipherUpdate(decrypt_, text, &outLength, text, static_cast<int>(textLength)) != 1 ||
      static_cast<size_t>(outLength) != textLength) {
    return kOpenDecryptFailed;
  }
  return kOpenOk;
}

int32_t EspSaCrypto::SealGcm(uint8_t* esp, size_t textLength) {
  std::memcpy(nonce_ + kGcmSaltLength, esp + kEspHeaderLength, kGcmIvLength);
  uint8_t* text = esp + kEspHeaderLength + kGcmIvLength;
  int outLength = 0, finalLength = 0, aadLength = 0;
  if (EVP_CipherInit_ex(encrypt_, nullptr, nullptr, nullptr, nonce_, 1) != 1 ||
      EVP_CipherUpdate(encrypt_, nullptr, &aadLength, esp, kEspHeaderLength) != 1 ||
      EVP_CipherUpdate(encrypt_, text, &outLength, text, static_cast<int>(textLength)) != 1 ||
      EVP_CipherFinal_ex(encrypt_, text + outLength, &finalLength) != 1 ||
      static_cast<size_t>(outLength + finalLength) != textLength ||
      EVP_CIPHER_CTX_ctrl(encrypt_, EVP_CTRL_AEAD_GET_TAG, kGcmTagLength, text + textLength) != 1) {
    return kSealFailed;
  }
  return kSealOk;
}

int32_t EspSaCrypto::OpenGcm(uint8_t* esp, size_t textLength) {
  std::memcpy(nonce_ + kGcmSaltLength, esp + kEspHeaderLength, kGcmIvLength);
  uint8_t* text = esp + kEspHeaderLength + kGcmIvLength;
  uint8_t* plain = scratch_.data();
  int outLength = 0, finalLength = 0, aadLength = 0;
  if (EVP_CipherInit_ex(decrypt_, nullptr, nullptr, nullptr, nonce_, 0) != 1 ||
      EVP_CipherUpdate(decrypt_, nullptr, &aadLength, esp, kEspHeaderLength) != 1 ||
      EVP_CipherUpdate(decrypt_, plain, &outLength, text, static_cast<int>(textLength)) != 1 ||
      EVP_CIPHER_CTX_ctrl(decrypt_, EVP_CTRL_AEAD_SET_TAG, kGcmTagLength, text + textLength) != 1) {
    return kOpenDecryptFailed;
  }
  // Final checks the tag (in constant time); only then does the plaintext reach the caller's buffer.
  if (EVP_CipherFinal_ex(decrypt_, plain + outLength, &finalLength) != 1) return kOpenBadIcv;
  if (static_cast<size_t>(outLength + finalLength) != textLength) return kOpenDecryptFailed;
  std::memcpy(text, plain, textLength);
  return kOpenOk;
}

Napi::Value EspSaCrypto::Seal(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* buf;
  size_t bufLength;
  uint32_t espOff, textLength;
  int32_t status = kSealOutOfRange;
  if (info.Length() >= 3 && ArgBytes(env, info[0], &buf, &bufLength) && ArgU32(env, info[1], &espOff) &&
      ArgU32(env, info[2], &textLength) && InBuffer(bufLength, espOff, textLength, ivLength_, icvLength_)) {
    status = gcm_ ? SealGcm(buf + espOff, textLength) : SealCbc(buf + espOff, textLength);
  }
  return Napi::Number::New(env, status);
}

Napi::Value EspSaCrypto::Open(const Napi::CallbackInfo& info) {
  napi_env env = info.Env();
  uint8_t* buf;
  size_t bufLength;
  uint32_t espOff, textLength;
  int32_t status = kOpenBadIcv;  // as the JavaScript path: a packet that does not fit has no valid ICV
  if (info.Length() >= 3 && ArgBytes(env, info[0], &buf, &bufLength) && ArgU32(env, info[1], &espOff) &&
      ArgU32(env, info[2], &textLength) && InBuffer(bufLength, espOff, textLength, ivLength_, icvLength_)) {
    status = gcm_ ? OpenGcm(buf + espOff, textLength) : OpenCbc(buf + espOff, textLength);
  }
  return Napi::Number::New(env, status);
}

}  // namespace packet_io
