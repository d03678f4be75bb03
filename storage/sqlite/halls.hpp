#pragma once

#include <string>

#include "storage/halls_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The halls area on SQLite: workspaces and keys, halls, grants, sessions and the
/// participant-minute ledger (migration 5).
class halls : public virtual halls_store {
 public:
  explicit halls(database& db) : db_{db} {}

  expected<hall_key_row> create_hall_key(const std::string& plan, bool test_mode,
                                         const std::string& key_hash) override;
  expected<hall_key_row> find_hall_key(const std::string& key_hash) override;
  expected<hall_row> create_hall(const hall_row& row) override;
  expected<hall_snapshot> load_hall(const std::string& hall_id) override;
  expected<bool> apply_hall_change(const hall_change& change) override;
  expected<std::int64_t> hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                            const std::string& period) override;

 private:
  expected<hall_row> find_hall(const std::string& id);
  /// Writes one session of `hall` and, the first time it is complete, its minutes to
  /// the ledger.
  expected<void> write_hall_session(const hall_row& hall, const hall_session_row& s);

  database& db_;
};

}  // namespace relay::storage::sqlite
