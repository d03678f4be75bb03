#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace relay::storage {

/// An incoming webhook: whoever holds its secret URL posts into one channel of a room as
/// the hook's own bot user. The secret is stored only as its SHA-256 (like API tokens),
/// so it is shown once, at creation.
struct incoming_hook_row {
  std::string id;  // ihk_…
  std::string room_id;
  std::string room_slug;   // joined in by the reads, for the room lookup
  std::string channel_id;  // "" for the room-wide thread
  std::string name;        // shown as the bot's name on its messages
  std::string creator_id;  // the room owner who made it
  std::string user_id;     // its bot user, the author of its messages
  // The key GitHub signs `X-Hub-Signature-256` with ("" = none). Kept in the clear
  // because an HMAC needs the key; never leaves the server.
  std::string github_secret;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> revoked_at;
};

}  // namespace relay::storage
