#pragma once

// JSON for rooms, channels, membership and access control (docs/api.md).

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec {

// -- request bodies -------------------------------------------------------------------

/// POST /api/rooms
struct room_body {
  std::string slug;
  std::string display_name;
  std::string description;
  std::string accent_colors = "[]";  // validated JSON array of strings, re-serialized
};
std::variant<room_body, error_info> decode_room_body(std::string_view json);

/// PATCH /api/rooms/:slug (only the fields present are set)
std::variant<storage::room_patch, error_info> decode_room_patch(std::string_view json);

/// PUT /api/rooms/:slug/whitelist-mode
std::variant<bool, error_info> decode_whitelist_mode(std::string_view json);
/// `POST /api/rooms/:slug/typing` `{channelId}`: the channel (empty: the room-wide
/// thread, also when channelId is null or left out).
std::variant<std::string, error_info> decode_typing_body(std::string_view json);

/// POST /api/rooms/:slug/channels
struct channel_create_body {
  std::string name;
  std::string slug;
  std::string visibility = "public";
  std::vector<std::string> invite_logins;
};
std::variant<channel_create_body, error_info> decode_channel_create(std::string_view json);

/// POST /api/rooms/:slug/dms
std::variant<std::vector<std::string>, error_info> decode_dm_body(std::string_view json);

/// POST /api/rooms/:slug/whitelist: `{login | email, note}`
std::variant<storage::whitelist_row, error_info> decode_whitelist_body(std::string_view json);

/// POST /api/rooms/:slug/access-requests: `{note?}`
std::variant<std::string, error_info> decode_access_request_body(std::string_view json);

/// POST /api/rooms/:slug/bots: `{login, name?, agentId?, prefix?}` (into bot_row.user
/// login/name, agent_id, prefix)
std::variant<storage::bot_row, error_info> decode_bot_body(std::string_view json);

// -- objects ----------------------------------------------------------------------------

std::string encode_bot(const storage::bot_row& b);
std::string encode_bots(const std::vector<storage::bot_row>& bots);
std::string encode_room_list(const std::vector<storage::room_row>& rooms);
std::string encode_whitelist(const std::vector<storage::whitelist_row>& list);
std::string encode_whitelist_entry(const storage::whitelist_row& w);
std::string encode_access_request(const storage::access_request_row& r);
std::string encode_access_requests(const std::vector<storage::access_request_row>& rs);
std::string encode_members(const std::vector<storage::user_row>& users);
/// Body of the owner's notification about an access request.
std::string encode_access_notification(const std::string& room_slug,
                                       const storage::access_request_row& r);

// -- server -> client frames --------------------------------------------------------------

/// `{"type":"branding","room":{…as GET /api/rooms/:slug…}}`
std::string encode_branding(const storage::room_row& r,
                            const std::optional<storage::user_row>& owner);
std::string encode_channel_deleted(const std::string& channel_id);
std::string encode_direct_created(const storage::channel_row& c);

}  // namespace relay::codec
