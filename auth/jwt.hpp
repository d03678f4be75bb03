#pragma once

// Compact HS256 JSON Web Tokens (RFC 7519), the format LiveKit uses for access tokens
// and for signing its webhooks.

#include <string>
#include <string_view>
#include <variant>

#include "core/error.hpp"

namespace relay::auth::jwt {

/// `base64url(header).base64url(payload).base64url(HMAC-SHA256)`, header
/// `{"alg":"HS256","typ":"JWT"}`. `payload_json` is used as is.
std::string sign_hs256(std::string_view secret, std::string_view payload_json);

/// The payload JSON text of `token` when it is a three-part JWT whose header says HS256
/// and whose signature matches `secret` (constant-time compare); otherwise an
/// `unauthorized` error saying why. Claims (exp, iss, …) are the caller's to check.
std::variant<std::string, error_info> verify_hs256(std::string_view secret, std::string_view token);

}  // namespace relay::auth::jwt
