#pragma once

// HMAC-SHA256 signing for values that travel through untrusted hands (session cookies,
// OAuth state). A signed value is `value + "." + base64url(hmac(key, value))`
// (base64url is core/base64.hpp's encode_url).

#include <optional>
#include <string>
#include <string_view>

namespace relay::auth {

/// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// `value + "." + base64::encode_url(hmac_sha256(key, value))`.
std::string sign(std::string_view key, std::string_view value);

/// The value when the signature after the last '.' matches (constant-time compare),
/// else nullopt. The value itself may contain '.'.
std::optional<std::string> verify(std::string_view key, std::string_view signed_value);

}  // namespace relay::auth
