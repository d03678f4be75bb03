#pragma once

#include <string>
#include <vector>

#include "storage/agents_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The agent relay's area on Postgres (schema version 3): agents, apps and which agents
/// each app may address; the same rules and answers as storage/sqlite/agents.hpp.
class agents : public virtual agents_store {
 public:
  /// Declares the area's statements on `c`.
  explicit agents(connection& c);

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
  expected<agent_row> one_agent(const char* statement, const std::string& key, const char* what);
  expected<app_row> one_app(const char* statement, const std::string& key, const char* what);

  connection& c_;
};

}  // namespace relay::storage::postgres
