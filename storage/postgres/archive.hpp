#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/archive_source.hpp"
#include "storage/expected.hpp"
#include "storage/rows.hpp"
#include "storage/search_store.hpp"

namespace relay::storage::postgres {

/// The cold tier of a single node: messages older than the retention window, moved here
/// from SQLite by the archiver (actors/archiver.hpp) and read back through
/// storage/tiered_reads.hpp. One connection, not thread-safe; calls block, so only
/// storage actors make them.
///
/// Connects on first use and again after the connection broke: while Postgres is down
/// every call answers `errc::unavailable` promptly (a connect waits at most 2 s unless
/// the URL sets connect_timeout, and after a failed one calls fail at once for a second) and the
/// next call after it returns works. Rows come back with the author's id only; the hot store knows
/// the profiles.
class archive {
 public:
  explicit archive(std::string url);
  ~archive();
  archive(const archive&) = delete;
  archive& operator=(const archive&) = delete;

  /// Connects and migrates the schema (storage/postgres/schema.hpp).
  expected<void> open();
  bool healthy();

  // -- the archiver's steps (storage/archive_source.hpp) -------------------------------

  /// Inserts `rows`, or overwrites their content and edit time, as not yet settled.
  expected<void> store_unsettled(const std::vector<message_row>& rows);
  /// Marks `done.moved` settled and deletes `done.gone`.
  expected<void> settle(const forgotten& done);
  /// Ids stored but never settled: what a crash left between storing and forgetting.
  expected<std::vector<std::string>> unsettled(int limit);
  expected<void> drop(const std::vector<std::string>& ids);
  /// Deletes every message of a deleted channel; answers how many there were.
  expected<std::int64_t> drop_channel(const std::string& room_id, const std::string& channel_id);
  /// Refreshes the planner's statistics of the archive after a large move.
  expected<void> analyze();

  // -- the messages area, for messages that left the hot store ---------------------------

  expected<message_row> find_message(const std::string& id);
  expected<message_row> edit_message(const std::string& id, const std::string& content,
                                     std::int64_t edited_at);
  expected<message_row> delete_message(const std::string& id);
  /// Same query, order and cursors as messages_store::list_messages.
  expected<std::vector<message_row>> list_messages(const message_query& q);
  /// The newest `n` of a channel, oldest first.
  expected<std::vector<message_row>> tail(const std::string& room_id, const std::string& channel_id,
                                          int n);
  expected<std::int64_t> count();

  // -- search, for storage/sqlite/search.cpp, which decides access ----------------------

  /// The archived messages matching `r`'s words and filters in the channels
  /// (`room_ids[i]`, `channel_ids[i]`) — the ones the caller may see now, `room_ids`
  /// empty for none — by `author_id` ("" = anyone). Newest first below doc
  /// `r.after_position`, or by relevance skipping `r.after_position` hits. Hits carry the
  /// author's id only and their doc number as `position`; `is_thread` and
  /// `has_attachment` are the caller's to apply (replies and attachments stay in SQLite).
  expected<std::vector<search_hit>> search(const search_request& r,
                                           const std::vector<std::string>& room_ids,
                                           const std::vector<std::string>& channel_ids,
                                           const std::string& author_id);

 private:
  struct conn;
  template <class T, class F>
  expected<T> run(const char* what, F&& f);

  std::string url_;
  std::unique_ptr<conn> c_;
  std::chrono::steady_clock::time_point retry_at_{};
  std::string last_failure_;
};

}  // namespace relay::storage::postgres
