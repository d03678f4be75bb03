#pragma once

// HMAC-SHA256 signing for values that travel through untrusted hands (session cookies,
// OAuth state). A signed value is `value + "." + base64url(hmac(key, value))`.

#include <optional>
#include <string>
#include <string_view>

namespace relay::auth {

/// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// RFC 4648 section 5 base64url, without '=' padding.
std::string base64url(std::string_view bytes);

/// Decodes base64url. Padding is accepted but not required; any other character outside
/// the alphabet, an impossible length (4n+1) or non-zero trailing bits yield nullopt.
std::optional<std::string> base64url_decode(std::string_view text);

/// `value + "." + base64url(hmac_sha256(key, value))`.
std::string sign(std::string_view key, std::string_view value);

/// The value when the signature after the last '.' matches (constant-time compare),
/// else nullopt. The value itself may contain '.'.
std::optional<std::string> verify(std::string_view key, std::string_view signed_value);

}  // namespace relay::auth
