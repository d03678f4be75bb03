#pragma once

// Who may see and do what in a room. Every path (REST, WebSocket, SSE) asks these
// functions through the room actor, which holds the facts they need; nothing else
// decides access.

#include <string>
#include <unordered_set>
#include <vector>

#include "storage/rows.hpp"

namespace relay::access {

using member_set = std::unordered_set<std::string>;  // user ids

bool is_owner(const storage::room_row& room, const storage::user_row& user);

/// Whitelist entries name a login or an email; both match case-insensitively.
bool on_whitelist(const std::vector<storage::whitelist_row>& list, const storage::user_row& user);

/// Open rooms (the lobby included) admit anyone signed in; whitelist-only rooms admit
/// their owner and whitelisted users.
bool may_enter(const storage::room_row& room, const std::vector<storage::whitelist_row>& list,
               const storage::user_row& user);

/// Public channels (and the room-wide thread) are seen by everyone in the room;
/// private, group and personal channels and DMs only by their members.
bool may_see(const storage::channel_row& channel, const member_set& members,
             const storage::user_row& user);

/// Channels are created by the room's owner, never in the lobby (it has no owner).
bool may_create_channel(const storage::room_row& room, const storage::user_row& user);

/// The room's owner or the channel's creator.
bool may_delete_channel(const storage::room_row& room, const storage::channel_row& channel,
                        const storage::user_row& user);

/// A visibility a channel may be created with: any but `dm` (DMs are opened with /dms).
bool valid_visibility(storage::channel_visibility v);

/// Slugs a room may not take: they name the lobby or collide with routes.
bool reserved_room_slug(const std::string& slug);

/// a-z 0-9 - _ , 1..64 characters.
bool valid_slug(const std::string& slug);

}  // namespace relay::access
