#pragma once

#include "storage/archive_source.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The hot store's side of tiered storage on SQLite: which messages are old enough to
/// move, forgetting them once the archive holds them, and the per-channel seq up to which
/// the archive may hold some (table archived_upto, migration 10).
class archiving : public virtual archive_source {
 public:
  explicit archiving(database& db) : db_{db} {}

  expected<std::vector<message_row>> archive_candidates(std::int64_t created_before,
                                                        int limit) override;
  expected<forgotten> forget_archived(const std::vector<message_row>& rows) override;
  expected<forgotten> settling() override;
  expected<void> clear_settling(const forgotten& done) override;
  expected<std::vector<std::pair<std::string, std::string>>> deleted_archived_channels() override;
  expected<void> forget_archived_channel(const std::string& room_id,
                                         const std::string& channel_id) override;
  expected<bool> holds_message(const std::string& id) override;
  expected<std::int64_t> archived_upto(const std::string& room_id,
                                       const std::string& channel_id) override;
  expected<bool> room_archived(const std::string& room_id) override;

 private:
  database& db_;
};

}  // namespace relay::storage::sqlite
