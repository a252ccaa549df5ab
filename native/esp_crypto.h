// ESP crypto for one SA direction, in place (RFC 4303 section 2 layout), on the OpenSSL that Node itself is
// linked with (Node's binary exports the EVP_* symbols; the headers come from the Node include directory).
//
//   espOff: SPI (4) | Sequence Number (4) | IV (ivLength) | text (textLength) | ICV (icvLength)
//
// Transforms: AES-CBC-128/192/256 with HMAC-MD5-96, HMAC-SHA1-96, HMAC-SHA2-256-128 or no integrity
// (encrypt-then-MAC, RFC 4303 section 3.3.2), and AES-GCM-16 (RFC 4106). The keyed contexts are made once;
// per packet the cipher context is re-initialised with the IV only and the HMAC context re-initialised with
// its key kept, so the data path neither allocates JavaScript objects nor throws. IVs are written by the
// caller (src/crypto/esp-random-pool.ts, or the sequence number for GCM) before `seal`.
#pragma once

#include <napi.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace packet_io {

/** What `open` returns; the numbers are OpenResult in src/crypto/esp-cipher.ts. */
enum EspOpenStatus : int32_t {
  kOpenOk = 0,
  kOpenBadIcv = 1,
  kOpenDecryptFailed = 2,
};

/** What `seal` returns; the TypeScript wrapper turns anything but kSealOk into a RangeError. */
enum EspSealStatus : int32_t {
  kSealOk = 0,
  kSealOutOfRange = 1,
  kSealNotWholeBlocks = 2,
  kSealFailed = 3,
};

class EspSaCrypto : public Napi::ObjectWrap<EspSaCrypto> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);

  /** new EspSaCrypto(cipher, encKey, salt, hash, authKey, icvLength): throws on anything it cannot take. */
  explicit EspSaCrypto(const Napi::CallbackInfo& info);
  ~EspSaCrypto() override;

 private:
  Napi::Value Seal(const Napi::CallbackInfo& info);
  Napi::Value Open(const Napi::CallbackInfo& info);

  /** Sets the contexts up; returns an error message, or nullptr on success. */
  const char* Setup(const std::string& cipher, const uint8_t* encKey, size_t encKeyLength, const uint8_t* salt,
                    size_t saltLength, const std::string& hash, const uint8_t* authKey, size_t authKeyLength,
                    uint32_t icvLength);
  /** The whole HMAC of `data` into `mac` (EVP_MAX_MD_SIZE bytes of room); callers use its first icvLength_. */
  bool Mac(const uint8_t* data, size_t length, uint8_t* mac);
  int32_t SealCbc(uint8_t* esp, size_t textLength);
  int32_t OpenCbc(uint8_t* esp, size_t textLength);
  int32_t SealGcm(uint8_t* esp, size_t textLength);
  int32_t OpenGcm(uint8_t* esp, size_t textLength);

  bool gcm_ = false;
  size_t ivLength_ = 0;
  size_t icvLength_ = 0;
  EVP_CIPHER_CTX* encrypt_ = nullptr;
  EVP_CIPHER_CTX* decrypt_ = nullptr;
  EVP_MAC_CTX* mac_ = nullptr;
  /** GCM nonce: salt (4) | explicit IV (8). */
  uint8_t nonce_[12] = {};
  /** GCM plaintext before its tag is checked, so a forged packet leaves the caller's buffer unchanged. */
  std::vector<uint8_t> scratch_;
};

}  // namespace packet_io
