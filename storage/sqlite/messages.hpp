#pragma once

#include <string>

#include "storage/messages_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The messages area on SQLite: messages, the client ids of deleted ones, and the
/// per-channel seq counters with their reservations.
class messages : public virtual messages_store {
 public:
  explicit messages(database& db) : db_{db} {}

  /// How many seqs a channel reserves ahead at a time: the most a crash can skip.
  static constexpr std::int64_t seq_reservation = 256;

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
  expected<void> skip_reserved_seqs() override;
  expected<void> release_reserved_seqs() override;

 private:
  /// `not_found` unless a message with this id is stored (not deleted).
  expected<void> exists(const std::string& message_id);
  /// The stored (or deleted) message with this (author, client id); `not_found` if none.
  expected<message_row> find_duplicate(const std::string& author_id,
                                       const std::string& client_msg_id);
  expected<std::vector<message_row>> read_messages(statement& st, const char* what);
  /// Fills in the reactions of `ms`, one query for all of them.
  expected<void> attach_reactions(std::vector<message_row>& ms);

  database& db_;
};

}  // namespace relay::storage::sqlite
