#pragma once

// Signing outbound webhook requests two ways (docs/api.md "Outbound webhooks"):
// `X-Relay-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` and the Standard
// Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
// HMAC-SHA256 of "<id>.<t>.<body>">`). The key is the secret's bytes: base64-decoded
// after `whsec_`. While a rotated-out secret still signs, each header carries both
// signatures, space-separated, the new one first.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace relay::auth {

/// `whsec_` + base64 of 32 random bytes (OpenSSL's RAND_bytes).
std::string new_webhook_secret();

/// The signature headers of one request. `secrets` are whsec_ strings; an undecodable one
/// is skipped.
std::vector<std::pair<std::string, std::string>> webhook_signature_headers(
    const std::string& msg_id, std::int64_t unix_seconds, const std::string& body,
    const std::vector<std::string>& secrets);

}  // namespace relay::auth
