#include "auth/signing.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "core/base64.hpp"

namespace relay::auth {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int len = 0;
  // HMAC() with a null key pointer would be rejected by some OpenSSL versions.
  static const unsigned char empty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&empty) : key.data();
  const auto* data_ptr =
      data.empty() ? &empty : reinterpret_cast<const unsigned char*>(data.data());
  if (HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()), data_ptr, data.size(), out.data(),
           &len) == nullptr) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string sign(std::string_view key, std::string_view value) {
  std::string out(value);
  out += '.';
  out += base64::encode_url(hmac_sha256(key, value));
  return out;
}

std::optional<std::string> verify(std::string_view key, std::string_view signed_value) {
  const auto dot = signed_value.rfind('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::string_view value = signed_value.substr(0, dot);
  const std::string_view signature = signed_value.substr(dot + 1);
  // Compare encoded forms so only the canonical encoding is accepted (no '=' padding or
  // alternative trailing bits): one value has exactly one valid signed form.
  const std::string expected = base64::encode_url(hmac_sha256(key, value));
  if (expected.empty() || signature.size() != expected.size()) return std::nullopt;
  if (CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  return std::string(value);
}

}  // namespace relay::auth
