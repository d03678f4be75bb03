#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay::storage {

/// The agent relay's agents and apps. Both are registered by an operator. Their ids are
/// 1..64 characters of a-z A-Z 0-9 - _ . (anything else is `bad_request`); their bearer
/// tokens are stored only as `token_hash` (hex SHA-256 of the whole token string), which
/// is unique.
class agents_store {
 public:
  virtual ~agents_store() = default;

  // -- agents -------------------------------------------------------------------

  /// Stores the agent with `row`'s fields (`created_at` 0 means now) and returns it.
  /// `conflict` when the agent id or the token hash is taken, `missing_field` for an
  /// empty hash.
  virtual expected<agent_row> create_agent(const agent_row& row, const std::string& token_hash) = 0;
  /// Replaces the agent's token hash; the old hash stops matching at once. `not_found`
  /// for an unknown agent, `conflict` when another agent has this hash, `missing_field`
  /// for an empty one.
  virtual expected<void> rotate_agent_token(const std::string& agent_id,
                                            const std::string& token_hash) = 0;
  virtual expected<agent_row> find_agent_by_token_hash(const std::string& token_hash) = 0;
  virtual expected<agent_row> find_agent(const std::string& agent_id) = 0;
  /// Every agent, by agent id.
  virtual expected<std::vector<agent_row>> list_agents() = 0;
  /// Sets last_seen and adds `served` to events_served. `not_found` for an unknown
  /// agent. Call inside a transaction.
  virtual expected<void> touch_agent(const std::string& agent_id, std::int64_t last_seen,
                                     std::int64_t served) = 0;

  // -- apps ---------------------------------------------------------------------

  /// Stores the app and its allowlist (`row.allowlist`, duplicates ignored) in one
  /// savepoint and returns it with the allowlist sorted (`created_at` 0 means now).
  /// `conflict` when the app id or the token hash is taken, `not_found` when an
  /// allowlisted agent does not exist (then nothing is stored).
  virtual expected<app_row> create_app(const app_row& row, const std::string& token_hash) = 0;
  /// The app with this token hash, with its allowlist.
  virtual expected<app_row> find_app_by_token_hash(const std::string& token_hash) = 0;
  /// The app, with its allowlist.
  virtual expected<app_row> find_app(const std::string& app_id) = 0;
  /// Every app with its allowlist, by app id.
  virtual expected<std::vector<app_row>> list_apps() = 0;
  /// Replaces the app's allowlist (duplicates ignored) in one savepoint. `not_found`
  /// for an unknown app or any unknown agent id (then nothing changes). Returns the
  /// updated app.
  virtual expected<app_row> set_allowlist(const std::string& app_id,
                                          const std::vector<std::string>& agent_ids) = 0;
};

}  // namespace relay::storage
