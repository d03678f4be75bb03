#pragma once

// JSON of notifications: the REST list, the live `notification` frame, the PATCH body and
// the body a mention notification stores (docs/api.md "Notifications").

#include <string>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec {

/// `{notifications: [..], next}`; `next` is the cursor of the page after `ns` (null when
/// `more` is false).
std::string encode_notification_page(const std::vector<storage::notification_row>& ns, bool more);
/// The page cursor after `n`: "<createdAt ms>_<id>".
std::string notification_cursor(const storage::notification_row& n);
/// Parses a cursor notification_cursor made; false for anything else.
bool decode_notification_cursor(const std::string& s, std::int64_t& at, std::string& id);

/// One notification as the list shows it.
std::string encode_notification(const storage::notification_row& n);
/// `{type: "notification", notification: {..}}`, pushed to the user's open sockets.
std::string encode_notification_frame(const storage::notification_row& n);

/// The stored body of a mention: enough to jump to the message (`channel_slug` "" for
/// the room-wide thread, as its id).
std::string encode_mention_body(const std::string& room_slug, const std::string& channel_slug,
                                const storage::message_row& m, const std::string& excerpt);

/// PATCH /api/notifications/:id: `{state?: unread|read|archived, visibility?: public|private}`,
/// at least one; anything else is a 400.
std::variant<storage::notification_change, error_info> decode_notification_patch(
    std::string_view body);

/// A valid `state` filter or value: unread, read or archived.
bool valid_notification_state(std::string_view s);

}  // namespace relay::codec
