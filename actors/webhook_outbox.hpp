#pragma once

// The outbox of outbound webhooks: the writes that make room events (messages, edits,
// deletes, reactions, new channels, thread replies, new members) call these inside the same
// transaction, so the event and its deliveries commit or roll back together
// (storage/webhooks_store.hpp). Each delivery's `data` is the object the WebSocket frame of the
// event carries, without its `type` (docs/api.md "Outbound webhooks").

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "storage/rows.hpp"
#include "storage/store.hpp"

namespace relay::webhook_outbox {

/// Each returns the store's answer: a failure has aborted the transaction, and with it
/// the event itself.
storage::expected<int> message_created(storage::store& db, const storage::message_row& m);
storage::expected<int> message_updated(storage::store& db, const storage::message_row& m);
storage::expected<int> message_deleted(storage::store& db, const storage::message_row& m);
storage::expected<int> reaction_changed(storage::store& db, bool added,
                                        const storage::message_row& m, const std::string& emoji,
                                        const storage::user_row& by);
storage::expected<int> channel_created(storage::store& db, const storage::channel_row& c);
/// A reply in thread `t` (`reply` as append_reply stored it).
storage::expected<int> reply_created(storage::store& db, const storage::thread_row& t,
                                     storage::message_row reply);
/// `u` became a member of channel `channel_id` ("": let into the room itself).
storage::expected<int> member_joined(storage::store& db, const std::string& room_id,
                                     const std::string& channel_id, const storage::user_row& u);

/// The dispatcher's doorbell: `ring` is called (on the writing thread, before the commit)
/// whenever deliveries are enqueued, so they go out at once instead of at the next poll.
/// The rows may not have committed yet; the dispatcher claims them through the same
/// writer, behind the write. Answers an id for `remove_doorbell`.
std::uint64_t add_doorbell(std::function<void()> ring);
void remove_doorbell(std::uint64_t id);

}  // namespace relay::webhook_outbox
