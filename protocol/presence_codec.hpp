#pragma once

// JSON for presence (docs/api.md "Presence"): the `presence` event, the listing, and a
// user's public profile as cluster mode keeps it in Redis next to the presence entries.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/rows.hpp"

namespace relay::codec {

/// `{type:"presence", user:{id, login, name, avatarUrl}, status:"online"|"offline"}`.
std::string encode_presence(const storage::user_row& u, bool online);
/// `GET /api/rooms/:slug/presence`: `{users:[{id, login, name, avatarUrl, status}],
/// ttlSeconds}`, every user online (status "online").
std::string encode_presence_list(const std::vector<storage::user_row>& users,
                                 std::int64_t ttl_seconds);
/// `{id, login, name, avatarUrl}`: the profile a node stores with a user's presence so
/// every other node can list them without reading the store.
std::string encode_profile(const storage::user_row& u);
/// The profile back; nullopt when `json` is not one (a foreign or damaged entry).
std::optional<storage::user_row> decode_profile(std::string_view json);

}  // namespace relay::codec
