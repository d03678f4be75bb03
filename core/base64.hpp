#pragma once

// RFC 4648 base64, the one implementation: the standard alphabet with '=' padding (what
// HTTP headers and LiveKit's `sha256` claim carry) and the URL-safe alphabet without
// padding (JWT parts, signed cookies).

#include <optional>
#include <string>
#include <string_view>

namespace relay::base64 {

/// RFC 4648 section 4: alphabet `A-Za-z0-9+/`, padded with '=' to a multiple of 4.
std::string encode(std::string_view bytes);

/// RFC 4648 section 5: alphabet `A-Za-z0-9-_`, without '=' padding.
std::string encode_url(std::string_view bytes);

/// Decodes section 4 text. Padding is accepted but not required, and only as much as a
/// padded encoding has; a character outside the alphabet, an impossible length (4n+1)
/// or non-zero trailing bits yield nullopt, so only the canonical form of a value decodes.
std::optional<std::string> decode(std::string_view text);

/// Decodes section 5 text under the same rules as decode().
std::optional<std::string> decode_url(std::string_view text);

}  // namespace relay::base64
