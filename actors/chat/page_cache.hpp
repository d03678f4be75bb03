#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/rows.hpp"

namespace relay {

/// Rows of one channel that resumes recently paged in from the store. A crowd that
/// comes back at once (a burst of slow-consumer closes, a network blip) then reads each
/// range of the channel once, not once per client: clients resuming from nearby seqs
/// share pages, and after their first page their cursors meet on the same boundaries.
///
/// It holds ranges, not just rows: a segment (after, to] has every row the channel has
/// in that range (a seq without a row was deleted). Segments never overlap or touch;
/// `insert` merges them. Bounded in bytes (`page_cost`), least recently read first out.
/// Owned by the channel actor, which applies every edit and delete to it.
class page_cache {
 public:
  explicit page_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  struct page {
    std::vector<storage::message_row> rows;
    std::int64_t next = 0;  // the rows are every row in (after, next]
  };

  /// The oldest rows in (after, upto] that fit the limits (at least one), if the cache
  /// covers seq after + 1.
  std::optional<page> find(std::int64_t after, std::int64_t upto, std::size_t max_messages,
                           std::size_t max_bytes, std::int64_t now_ms);

  /// Records that `rows` (ascending) are every row in (after, to].
  void insert(std::int64_t after, std::int64_t to, std::vector<storage::message_row> rows,
              std::int64_t now_ms);

  /// A committed edit or delete: the cached row (if any) follows it.
  void edit(const storage::message_row& m);
  void erase(const storage::message_row& m);

  /// Drops the segments nobody has read since `before_ms`.
  void expire(std::int64_t before_ms);

  std::size_t bytes() const noexcept { return bytes_; }
  bool empty() const noexcept { return segments_.empty(); }

 private:
  struct segment {
    std::int64_t to = 0;
    std::vector<storage::message_row> rows;
    std::size_t bytes = 0;
    std::int64_t used_ms = 0;
  };
  using map = std::map<std::int64_t, segment>;  // by `after`: (key, to]

  /// The segment holding `seq`, or end().
  map::iterator holding(std::int64_t seq);
  /// The row `m` in its segment, or null.
  storage::message_row* row_of(const storage::message_row& m, segment** in);
  /// Evicts (least recently read first, oldest rows first) until under the cap.
  void trim();

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  map segments_;
};

}  // namespace relay
