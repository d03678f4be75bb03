#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

class store;
class archive_source;
namespace postgres {
class archive;
}

/// The message reads of a node whose old history moved to the Postgres archive: the same
/// queries, order and keyset cursors as messages_store, answered from SQLite and, when a
/// page reaches below what SQLite still holds, from the archive too, merged into one
/// page. A message both tiers hold for a moment (a batch in flight, or one a crash
/// interrupted) appears once. Without an archive every call is the hot store's own.
///
/// The archive is asked only when the page could hold archived messages: a resume
/// (`after_seq`) below the channel's archived seq, or a history page or tail that SQLite
/// could not fill in a channel (or room) with archived messages. So a node whose readers
/// mostly page recent history never waits on Postgres, and one whose Postgres is down
/// still serves everything SQLite holds.
class tiered_reads {
 public:
  /// `cold` may be null (no archive). `hot` must outlive this object.
  tiered_reads(store& hot, postgres::archive* cold);

  expected<std::vector<message_row>> list_messages(const message_query& q);
  expected<std::vector<message_row>> tail(const std::string& room_id, const std::string& channel_id,
                                          int n);
  expected<message_row> find_message(const std::string& id);

 private:
  /// Fills the author profile of archived rows from the hot store, as its join does.
  expected<void> fill_authors(std::vector<message_row>& rows);

  store& hot_;
  archive_source* marks_;  // null when the hot store keeps no archive marks
  postgres::archive* cold_;
};

}  // namespace relay::storage
