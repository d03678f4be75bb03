#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// Messages and the per-channel sequence numbers the store assigns to them.
/// What a send whose clientMsgId its author already used answers. A resend (same room
/// and channel) gets the stored message back. Anywhere else the id is a client's mistake
/// (a counter per room or per session, say): acknowledging it with the other message
/// would lose the new one without a word, so it is refused instead.
inline expected<append_result> resent(message_row stored, const new_message& msg) {
  if (stored.room_id != msg.room_id || stored.channel_id != msg.channel_id)
    return make_error(errc::conflict,
                      "clientMsgId is already used by another of your messages, in another "
                      "room or channel: use a new clientMsgId for a new message");
  return append_result{std::move(stored), true};
}

class messages_store {
 public:
  virtual ~messages_store() = default;

  /// Assigns the next seq in the message's channel (above `seq_floor`) and reserves a
  /// block of seqs ahead of it, or returns the stored original when (author_id,
  /// client_msg_id) exists in the same room and channel (`conflict` when it is another
  /// room's or channel's: see resent()). Nothing is stored when it fails. Call inside a
  /// transaction.
  virtual expected<append_result> append_message(const new_message& msg) = 0;
  virtual expected<message_row> find_message(const std::string& id) = 0;
  /// Sets content and edited_at. `not_found` for an unknown id. Call inside a transaction.
  virtual expected<message_row> edit_message(const std::string& id, const std::string& content,
                                             std::int64_t edited_at) = 0;
  /// Deletes the row; returns what was deleted. Call inside a transaction.
  virtual expected<message_row> delete_message(const std::string& id) = 0;

  /// Puts `user_id`'s `emoji` on the message: `true` when added, `false` when it was
  /// there already. `conflict` when it would be the message's `max_distinct` + 1st
  /// distinct emoji; `not_found` for an unknown id. Call inside a transaction.
  virtual expected<bool> add_reaction(const std::string& message_id, const std::string& emoji,
                                      const std::string& user_id, std::size_t max_distinct) = 0;
  /// Takes it off: `true` when removed, `false` when it was not there.
  virtual expected<bool> remove_reaction(const std::string& message_id, const std::string& emoji,
                                         const std::string& user_id) = 0;

  /// Every read of messages (by id, pages, tails) carries their reactions, loaded with
  /// one query per page.
  virtual expected<std::vector<message_row>> list_messages(const message_query& q) = 0;
  /// The newest `n` messages of a channel, oldest first.
  virtual expected<std::vector<message_row>> tail(const std::string& room_id,
                                                  const std::string& channel_id, int n) = 0;
  /// Highest seq in a channel, 0 when empty.
  virtual expected<std::int64_t> last_seq(const std::string& room_id,
                                          const std::string& channel_id) = 0;
  /// Called by the writer when it starts: every channel continues above its reserved
  /// seqs, which clients may have seen before a crash (see append_result::reserved).
  virtual expected<void> skip_reserved_seqs() = 0;
  /// Called by the writer when it stops cleanly with every seq it handed out
  /// committed: the next start continues without a gap.
  virtual expected<void> release_reserved_seqs() = 0;
  /// Takes the seq locks of `channels` ("room\nchannel", sorted) for the open
  /// transaction before a batch appends to them. Writers on several nodes that each took
  /// their batch's channels in arrival order waited on each other's locks in a cycle;
  /// taken in one order, they queue. A store with a single writer has nothing to lock.
  virtual expected<void> lock_channels(const std::vector<std::string>& channels) {
    (void)channels;
    return {};
  }
};

}  // namespace relay::storage
