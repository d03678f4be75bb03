#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// Threads: one per root message at most, and their replies, numbered in order. The
/// root's message reads carry `thread_id`, `reply_count` and `last_reply_at`.
class threads_store {
 public:
  virtual ~threads_store() = default;

  /// The root's thread, created when it has none (`created`); also sets the root's
  /// `thread_id`. `not_found` for an unknown root. Call inside a transaction.
  virtual expected<thread_row> create_thread(const std::string& root_id, bool& created) = 0;
  /// `not_found` for an unknown id.
  virtual expected<thread_row> find_thread(const std::string& id) = 0;
  /// Appends a reply as the thread's next (reply_count + 1, which becomes its `seq`), or
  /// returns the stored original when (thread, author, client_msg_id) exists
  /// (`duplicate`). The reply carries the thread's room and channel. Call inside a
  /// transaction.
  virtual expected<append_result> append_reply(const new_reply& r) = 0;
  /// Up to `limit` replies with seq above `after_seq`, oldest first, authors joined in.
  virtual expected<std::vector<message_row>> list_replies(const std::string& thread_id,
                                                          std::int64_t after_seq, int limit) = 0;
};

}  // namespace relay::storage
