#pragma once

#include <string>
#include <vector>

#include "storage/sqlite/database.hpp"
#include "storage/threads_store.hpp"

namespace relay::storage::sqlite {

/// The threads area on SQLite: threads under root messages and their replies.
class threads : public virtual threads_store {
 public:
  explicit threads(database& db) : db_{db} {}

  expected<thread_row> create_thread(const std::string& root_id, bool& created) override;
  expected<thread_row> find_thread(const std::string& id) override;
  expected<append_result> append_reply(const new_reply& r) override;
  expected<std::vector<message_row>> list_replies(const std::string& thread_id,
                                                  std::int64_t after_seq, int limit) override;

 private:
  expected<message_row> find_reply(const std::string& thread_id, const std::string& author_id,
                                   const std::string& client_msg_id);

  database& db_;
};

/// Fills in `reply_count` and `last_reply_at` of the roots among `ms` (those with a
/// `thread_id`): one query, none when no message has a thread.
expected<void> attach_thread_counts(database& db, std::vector<message_row>& ms);

}  // namespace relay::storage::sqlite
