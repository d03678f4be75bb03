#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "storage/postgres/connection.hpp"
#include "storage/threads_store.hpp"

namespace relay::storage::postgres {

/// The threads area on Postgres: the same rules and answers as storage/sqlite/threads.hpp.
/// Several nodes may create the same root's thread or reply to one thread at once: the
/// UNIQUE root_id (ON CONFLICT DO NOTHING) keeps one thread, and the thread's row lock,
/// taken before the duplicate check, orders its replies' numbers.
class threads : public virtual threads_store {
 public:
  /// Declares the area's statements on `c`.
  explicit threads(connection& c);

  expected<thread_row> create_thread(const std::string& root_id, bool& created) override;
  expected<thread_row> find_thread(const std::string& id) override;
  expected<append_result> append_reply(const new_reply& r) override;
  expected<std::vector<message_row>> list_replies(const std::string& thread_id,
                                                  std::int64_t after_seq, int limit) override;

 private:
  connection& c_;
};

/// Fills in `reply_count` and `last_reply_at` of the roots among `ms` (those with a
/// `thread_id`): one query, none when no message has a thread.
void attach_thread_counts(pqxx::transaction_base& t, std::vector<message_row>& ms);

}  // namespace relay::storage::postgres
