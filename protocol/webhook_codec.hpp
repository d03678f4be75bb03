#pragma once

// JSON of outbound webhooks (docs/api.md "Outbound webhooks"): the create and PATCH
// bodies, a hook (its secret only when just made or rotated), the delivery log.

#include <array>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"
#include "storage/webhook_rows.hpp"

namespace relay::codec {

/// Every event a hook may subscribe to.
inline constexpr std::array<std::string_view, 8> webhook_event_names{
    "message.created",  "message.updated", "message.deleted",      "reaction.added",
    "reaction.removed", "channel.created", "thread.reply_created", "member.joined"};

struct webhook_body {
  std::string url;
  std::vector<std::string> events;
  std::string description;
};

/// `{url, events[], description?}`: url a string of at most 2048 characters, events a
/// non-empty array of known names (duplicates dropped), description at most 500. The
/// error names the field. The URL's scheme and target are checked by the caller.
std::variant<webhook_body, error_info> decode_webhook_body(std::string_view text);
/// `{url?, events?, enabled?}`, the same rules for what is present.
std::variant<storage::webhook_change, error_info> decode_webhook_change(std::string_view text);

std::string encode_webhook(const storage::webhook_row& w);
/// The hook with `secret`: the answer to create and rotate-secret, the only time it shows.
std::string encode_webhook_with_secret(const storage::webhook_row& w);
std::string encode_webhooks(const std::vector<storage::webhook_row>& ws);
std::string encode_webhook_delivery(const storage::webhook_delivery_row& d);
/// `data` of `thread.reply_created`: `{threadId, rootId, channelId, replyCount, message}`,
/// `message` the reply (its `threadId` set).
std::string encode_reply_event(const storage::thread_row& t, const storage::message_row& reply);
/// `data` of `member.joined`: `{channelId, user: {id, login, name, avatarUrl}}`, `channelId`
/// null when the user was let into the room itself.
std::string encode_member_joined(const std::string& channel_id, const storage::user_row& u);
std::string encode_webhook_deliveries(const std::vector<storage::webhook_delivery_row>& ds);

}  // namespace relay::codec
