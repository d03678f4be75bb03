#pragma once

#include <string>
#include <vector>

#include "storage/messages_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The messages area on Postgres (schema version 3): messages, the client ids of deleted
/// ones, and the per-channel seq counters; the same rules and answers as
/// storage/sqlite/messages.hpp, except that no seq is ever reserved ahead.
///
/// Why: in cluster mode several nodes append to the same channel at once, each through
/// its own connection and batched transaction. append_message takes the seq inside that
/// transaction (`UPDATE channel_seqs SET last_seq = greatest(last_seq, floor) + 1
/// RETURNING last_seq`), so the counter's row lock orders a channel's appenders across
/// nodes: the next appender waits for the commit or rollback of the one before, seqs
/// commit in seq order and have no gaps, and an append that rolls back gives its seq
/// back. SQLite's reservation (a block of seqs handed out before the commit, so the
/// single writer may show a message first) would let two nodes hand out the same seq,
/// or leave gaps that clients resuming with after_seq cannot tell from lost messages.
/// So `append_result::reserved` is the message's own seq (the writer shows nothing
/// before its commit), and skip_reserved_seqs / release_reserved_seqs have nothing to
/// do and succeed.
class messages : public virtual messages_store {
 public:
  /// Declares the area's statements on `c`.
  explicit messages(connection& c);

  expected<append_result> append_message(const new_message& msg) override;
  expected<message_row> find_message(const std::string& id) override;
  expected<message_row> edit_message(const std::string& id, const std::string& content,
                                     std::int64_t edited_at) override;
  expected<message_row> delete_message(const std::string& id) override;
  expected<bool> add_reaction(const std::string& message_id, const std::string& emoji,
                              const std::string& user_id, std::size_t max_distinct) override;
  expected<bool> remove_reaction(const std::string& message_id, const std::string& emoji,
                                 const std::string& user_id) override;
  expected<std::vector<message_row>> list_messages(const message_query& q) override;
  expected<std::vector<message_row>> tail(const std::string& room_id, const std::string& channel_id,
                                          int n) override;
  expected<std::int64_t> last_seq(const std::string& room_id,
                                  const std::string& channel_id) override;
  /// Nothing is reserved (see the class comment): succeeds and changes nothing.
  expected<void> skip_reserved_seqs() override;
  /// Nothing is reserved (see the class comment): succeeds and changes nothing.
  expected<void> release_reserved_seqs() override;
  expected<void> lock_channels(const std::vector<std::string>& channels) override;

 private:
  connection& c_;
};

}  // namespace relay::storage::postgres
