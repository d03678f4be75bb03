#pragma once

#include <string>

#include "storage/agents_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The agent relay's area on SQLite: agents, apps and the apps' allowlists.
class agents : public virtual agents_store {
 public:
  explicit agents(database& db) : db_{db} {}

  expected<agent_row> create_agent(const agent_row& row, const std::string& token_hash) override;
  expected<void> rotate_agent_token(const std::string& agent_id,
                                    const std::string& token_hash) override;
  expected<agent_row> find_agent_by_token_hash(const std::string& token_hash) override;
  expected<agent_row> find_agent(const std::string& agent_id) override;
  expected<std::vector<agent_row>> list_agents() override;
  expected<void> touch_agent(const std::string& agent_id, std::int64_t last_seen,
                             std::int64_t served) override;

  expected<app_row> create_app(const app_row& row, const std::string& token_hash) override;
  expected<app_row> find_app_by_token_hash(const std::string& token_hash) override;
  expected<app_row> find_app(const std::string& app_id) override;
  expected<std::vector<app_row>> list_apps() override;
  expected<app_row> set_allowlist(const std::string& app_id,
                                  const std::vector<std::string>& agent_ids) override;

 private:
  expected<agent_row> read_one_agent(const std::string& sql, const std::string& key,
                                     const char* what);
  /// Apps joined with their allowlists, one row per (app, agent) ordered by app id.
  expected<std::vector<app_row>> read_apps(statement& st, const char* what);
  expected<app_row> read_one_app(const std::string& sql, const std::string& key, const char* what);
  /// Inserts `agent_ids` into the app's allowlist.
  expected<void> insert_allowlist(const std::string& app_id,
                                  const std::vector<std::string>& agent_ids);

  database& db_;
};

}  // namespace relay::storage::sqlite
