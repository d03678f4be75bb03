#pragma once

#include <cstdint>
#include <string>

#include "storage/expected.hpp"
#include "storage/hall_rows.hpp"

namespace relay::storage {

/// Video halls (docs/halls.md): workspaces and their keys, halls, grants, sessions and
/// the participant-minute ledger.
class halls_store {
 public:
  virtual ~halls_store() = default;

  /// Creates a workspace on `plan` ("starter" | "growth") and its first key, stored only
  /// as `key_hash`. `bad_request` for another plan, `conflict` for a taken hash.
  virtual expected<hall_key_row> create_hall_key(const std::string& plan, bool test_mode,
                                                 const std::string& key_hash) = 0;
  virtual expected<hall_key_row> find_hall_key(const std::string& key_hash) = 0;
  /// Stores the hall (`created_at` 0 means now) and returns it.
  virtual expected<hall_row> create_hall(const hall_row& row) = 0;
  /// The hall with its grants and sessions (by joined_at), for its actor.
  virtual expected<hall_snapshot> load_hall(const std::string& hall_id) = 0;
  /// Applies `change` in one savepoint. False (and nothing changes) when
  /// `change.webhook_id` was applied before; `not_found` for an unknown hall.
  virtual expected<bool> apply_hall_change(const hall_change& change) = 0;
  /// Participant-minutes in the ledger for a workspace, mode and month ("YYYY-MM").
  virtual expected<std::int64_t> hall_usage_minutes(const std::string& workspace_id, bool test_mode,
                                                    const std::string& period) = 0;
};

}  // namespace relay::storage
