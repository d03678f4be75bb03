#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// A search as the store runs it: the FTS5 and tsquery expressions the query language
/// made (protocol/search_query.hpp, never user text) and the filters, for one caller.
struct search_request {
  // The caller: access is decided from these at query time (access::may_enter/may_see).
  std::string user_id;
  std::string login;
  std::string email;
  std::string match;        // FTS5 MATCH of the words that must match; "" = none
  std::string excluded;     // FTS5 MATCH of the excluded words when `match` is ""; "" = none
  std::string ts_match;     // the same as Postgres tsquery text (Postgres stores)
  std::string ts_excluded;  // likewise `excluded`
  std::string room_slug;    // "" = any room
  std::optional<std::string> channel_slug;  // with room_slug: one channel
  std::string from_login;                   // "" = anyone
  std::optional<std::int64_t> before_ms, after_ms;
  bool has_link = false, has_attachment = false, is_thread = false;
  bool by_relevance = false;
  // Newest first: hits below this position (a previous page's last hit); by relevance:
  // the number of hits to skip.
  std::optional<std::int64_t> after_position;
  int limit = 20;
};

/// Positions from here up are the Postgres archive's (a single node's old history, which
/// pages after every hit SQLite holds): the archive's doc number plus this.
inline constexpr std::int64_t archived_positions = std::int64_t{1} << 62;

/// One hit: the message (a reply carries its thread's room and channel) and where it is.
struct search_hit {
  message_row message;
  bool reply = false;
  bool archived = false;  // read from the archive: the row as it holds it, no reactions
  std::string room_slug;
  std::string channel_slug;  // "" for the room-wide thread
  std::string channel_name;
  // The cursor after this hit: newest first, its doc number (the keyset); by relevance,
  // how many hits come up to it.
  std::int64_t position = 0;
};

/// Full-text search over messages and thread replies.
class search_store {
 public:
  virtual ~search_store() = default;

  /// The hits the caller may see now, at most `limit`. A backend without an index
  /// answers `unavailable` saying so.
  virtual expected<std::vector<search_hit>> search_messages(const search_request& r) {
    (void)r;
    return make_error(errc::unavailable, "this store has no search index");
  }
};

}  // namespace relay::storage
