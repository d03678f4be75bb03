#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// What one batch of the archiver did to the hot store (docs/operations.md, "Archive").
struct forgotten {
  std::vector<std::string> moved;  // deleted here: the archive now holds the only copy
  std::vector<std::string> gone;   // deleted by a user while the batch was in flight
};

/// The hot store's side of tiered storage: the single node's SQLite hands messages older
/// than the retention window to the Postgres archive (storage/postgres/archive.hpp) and
/// remembers, per channel, up to which seq the archive may hold messages, so reads ask
/// the archive only when a page reaches that far.
///
/// A batch goes: archive_candidates() here; the archive stores them unsettled;
/// forget_archived() here (the writer's transaction); the archive settles `moved` and
/// drops `gone`; clear_settling() here. settling() lists what a crash left between the
/// last two steps, so the next pass finishes it: no step loses or duplicates a message.
class archive_source {
 public:
  virtual ~archive_source() = default;

  /// Messages created before `created_before` (ms), oldest first.
  virtual expected<std::vector<message_row>> archive_candidates(std::int64_t created_before,
                                                                int limit) = 0;
  /// Deletes each of `rows` that is unchanged since it was read (an edit in between keeps
  /// it for the next batch), raising its channel's archived seq and keeping its client
  /// id for duplicate sends; records the ids for settling. Call inside a transaction.
  virtual expected<forgotten> forget_archived(const std::vector<message_row>& rows) = 0;
  /// Ids forgotten but not yet settled in the archive.
  virtual expected<forgotten> settling() = 0;
  virtual expected<void> clear_settling(const forgotten& done) = 0;
  /// Channels deleted while the archive may still hold messages of theirs, as
  /// (room id, channel id): each pass drops those messages from the archive, then
  /// forget_archived_channel() here, so a crash in between only repeats the drop.
  virtual expected<std::vector<std::pair<std::string, std::string>>>
  deleted_archived_channels() = 0;
  /// Forgets a deleted channel's seq mark and archived client ids. Call inside a
  /// transaction.
  virtual expected<void> forget_archived_channel(const std::string& room_id,
                                                 const std::string& channel_id) = 0;
  /// Whether `id` is still in the hot store.
  virtual expected<bool> holds_message(const std::string& id) = 0;

  /// The highest seq of the channel that may be in the archive; 0 when none.
  virtual expected<std::int64_t> archived_upto(const std::string& room_id,
                                               const std::string& channel_id) = 0;
  /// Whether any channel of the room may have messages in the archive.
  virtual expected<bool> room_archived(const std::string& room_id) = 0;
};

}  // namespace relay::storage
