#pragma once

#include <string>

#include "storage/halls_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The halls area on Postgres (schema version 4): workspaces and keys, halls, grants,
/// sessions, the participant-minute ledger and the LiveKit webhook ids applied; the same
/// rules and answers as storage/sqlite/halls.hpp. A change of a hall locks the hall's row,
/// so nodes that receive webhooks of one hall at once apply them one after the other: a
/// webhook id is applied once and a session is billed once whichever node gets it.
class halls : public virtual halls_store {
 public:
  /// Declares the area's statements on `c`.
  explicit halls(connection& c);

  expected<hall_key_row> create_hall_key(const std::string& plan, bool test_mode,
                                         const std::string& key_hash) override;
  expected<hall_key_row> find_hall_key(const std::string& key_hash) override;
  expected<hall_row> create_hall(const hall_row& row) override;
  expected<hall_snapshot> load_hall(const std::string& hall_id) override;
  expected<bool> apply_hall_change(const hall_change& change) override;
  expected<std::int64_t> hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                            const std::string& period) override;

 private:
  /// Writes one session of `hall` and, the first time it is complete, its minutes to
  /// the ledger.
  expected<void> write_hall_session(pqxx::transaction_base& t, const hall_row& hall,
                                    const hall_session_row& s);

  connection& c_;
};

}  // namespace relay::storage::postgres
