#pragma once

// LiveKit's token formats (docs/halls.md): the access token a participant joins a room
// with, and the signed Authorization header LiveKit puts on each webhook. Both are
// HS256 JWTs under the LiveKit API secret with `iss` = the API key, so LiveKit's own
// server SDK (`TokenVerifier`, `WebhookReceiver`) reads what these functions make.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace relay::auth::livekit {

struct credentials {
  std::string api_key;
  std::string api_secret;
};

/// What one participant may do in one room.
struct join_grant {
  std::string identity;  // `sub`: the caller's participant_id
  std::string name;      // display name
  std::string room;      // `video.room`: the hall id
  bool can_publish = false;
  std::string metadata;  // opaque to LiveKit; Relay's own JSON
  std::string jti;       // unique per token
  std::int64_t now_s = 0;
  std::int64_t ttl_s = 600;
};

/// The access token: `iss`, `sub`, `name`, `nbf` = now, `exp` = now + ttl, `jti`,
/// `metadata`, and `video` with `room`, `roomJoin`, `canSubscribe` and both
/// `canPublish` and `canPublishData` written out (LiveKit lets a token publish when
/// `canPublish` is absent).
std::string mint_join_token(const credentials& c, const join_grant& g);

/// Clock skew tolerated on `exp` and `nbf`, as LiveKit's SDK does.
inline constexpr std::int64_t clock_leeway_seconds = 10;

/// Checks a webhook: `authorization` (the header value, with or without "Bearer ") is
/// a JWT signed with the API secret, issued by the API key, not expired (`exp` is
/// required) nor early, and its `sha256` claim is `body_sha256(body)`. `unauthorized`
/// with the reason otherwise.
error_info verify_webhook(const credentials& c, std::string_view authorization,
                          std::string_view body, std::int64_t now_s);

/// Standard (padded) base64 of the SHA-256 of `body`, as LiveKit puts in `sha256`.
std::string body_sha256(std::string_view body);

}  // namespace relay::auth::livekit
