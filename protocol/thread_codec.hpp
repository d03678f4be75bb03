#pragma once

// JSON for threads (docs/api.md "Threads"): the thread object, the replies page, the
// reply body and the `thread_updated` event.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec {

/// `POST /api/threads/:id/replies`: `{content, clientMsgId?}`.
struct reply_body {
  std::string content;  // as sent; the handler trims and checks the length
  std::string client_msg_id;
};
std::variant<reply_body, error_info> decode_reply_body(std::string_view text);

/// `{threadId}` (and the thread) for `POST /api/rooms/:slug/messages/:id/thread`.
std::string encode_thread_created(const storage::thread_row& t);

/// `GET /api/threads/:id/replies`: `{thread, root, replies, next}`; `root` is null when
/// the root message was deleted; `next` is `{afterSeq}` when `more`.
std::string encode_reply_page(const storage::thread_row& t,
                              const std::optional<storage::message_row>& root,
                              const std::vector<storage::message_row>& replies, bool more);

/// `{type:"thread_updated", channelId, threadId, rootId, replyCount, lastReplyAt, message}`:
/// `message` is the root as it is now, or null when it was deleted.
std::string encode_thread_updated(const storage::thread_row& t,
                                  const std::optional<storage::message_row>& root);

}  // namespace relay::codec
