#include "auth/webhook_signing.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "auth/signing.hpp"
#include "core/base64.hpp"

namespace relay::auth {

namespace {

constexpr std::string_view prefix = "whsec_";

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

}  // namespace

std::string new_webhook_secret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  return std::string{prefix} +
         base64::encode(std::string_view{reinterpret_cast<const char*>(bytes), sizeof bytes});
}

std::vector<std::pair<std::string, std::string>> webhook_signature_headers(
    const std::string& msg_id, std::int64_t unix_seconds, const std::string& body,
    const std::vector<std::string>& secrets) {
  const auto t = std::to_string(unix_seconds);
  std::string relay_sig = "t=" + t;
  std::string standard;
  for (const auto& s : secrets) {
    if (s.rfind(prefix, 0) != 0) continue;
    auto key = base64::decode(std::string_view{s}.substr(prefix.size()));
    if (!key) continue;
    relay_sig += ",v1=" + hex(hmac_sha256(*key, t + "." + body));
    if (!standard.empty()) standard.push_back(' ');
    standard += "v1," + base64::encode(hmac_sha256(*key, msg_id + "." + t + "." + body));
  }
  return {{"Content-Type", "application/json"},
          {"X-Relay-Signature", relay_sig},
          {"webhook-id", msg_id},
          {"webhook-timestamp", t},
          {"webhook-signature", standard}};
}

}  // namespace relay::auth
