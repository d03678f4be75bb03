#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace relay {

/// Per channel: the last seq a client has (what `resume` takes).
using cursor_map = std::map<std::string, std::int64_t>;

/// What each SSE stream has written, so a reconnect that names only its last event
/// resumes every channel of the room, not just that event's.
///
/// EventSource reconnects with `Last-Event-ID: <channelId>:<seq>`, the id of the last
/// event it got, which names one channel. The client also has everything the stream
/// wrote before that event, in other channels too: the stream's log knows what that was.
/// Logs are kept per (room, user) while their stream lives and `keep_ms` after it ends.
class stream_cursors {
 public:
  /// The write order of one stream. Written by its I/O thread, read by a reconnect.
  class log {
   public:
    /// The sync went out: what the client has in each channel from then on, and the
    /// sync's own event id ("" when it carried no message).
    void synced(cursor_map have, std::string_view sync_id);
    /// An event with this id (`<channelId>:<seq>`) went out.
    void wrote(std::string_view event_id);
    /// What the client had in each channel once it had event `event_id` of this
    /// stream, if this stream wrote it (or it was the client's cursor at the sync).
    std::optional<cursor_map> at(std::string_view event_id) const;

   private:
    friend class stream_cursors;
    std::string key_;
    mutable std::mutex mu_;
    bool synced_ = false;
    std::string sync_id_;
    cursor_map base_;                 // per channel, before the first entry of recent_
    bool folded_ = false;             // entries were folded into base_: it no longer is the sync's
    std::vector<std::string> names_;  // channel ids, interned
    std::deque<std::pair<std::uint32_t, std::int64_t>> recent_;  // (name index, seq)
    std::int64_t ended_ms_ = 0;  // 0: the stream is live (guarded by the book's mutex)
  };

  /// Entries a log keeps before folding the oldest into its base: a client that lost
  /// more than this many events in flight falls back to resuming one channel.
  static constexpr std::size_t log_entries = 256;
  /// Logs kept per (room, user); the oldest ended ones go first.
  static constexpr std::size_t logs_per_key = 16;
  /// Logs of ended streams kept in all, the oldest out first: what a reconnect storm
  /// of short-lived streams may hold (at most ≈ 4 KB each).
  static constexpr std::size_t max_ended = 4096;

  explicit stream_cursors(std::int64_t keep_ms = 10 * 60 * 1000) : keep_ms_(keep_ms) {}

  /// A log for a new stream of `key` (room and user).
  std::shared_ptr<log> open(const std::string& key, std::int64_t now_ms);
  /// The stream has ended; its log is kept `keep_ms` for its reconnect.
  void ended(const std::shared_ptr<log>& l, std::int64_t now_ms);
  /// The cursors of the newest stream of `key` that wrote `event_id`.
  std::optional<cursor_map> find(const std::string& key, std::string_view event_id,
                                 std::int64_t now_ms);
  /// Logs held (live and ended), for tests.
  std::size_t size();

 private:
  void expire(std::int64_t now_ms);
  void drop(const std::shared_ptr<log>& l);

  std::int64_t keep_ms_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<std::shared_ptr<log>>> logs_;
  std::deque<std::shared_ptr<log>> ended_;  // in the order they ended
};

/// Splits `<channelId>:<seq>` (the channel id may contain ':'; the seq is after the last).
std::optional<std::pair<std::string_view, std::int64_t>> split_event_id(std::string_view id);

}  // namespace relay
