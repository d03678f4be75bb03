#pragma once

// JSON of the agent relay's admin API (docs/agents.md, "Admin").

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "storage/rows.hpp"

namespace relay::codec::admin {

/// POST /v1/agents: `{agent_id, name, description}`
std::variant<storage::agent_row, error_info> decode_agent_body(std::string_view json);
/// POST /v1/apps: `{app_id, name, agents?: [agent_id…]}` (`allow` is accepted too)
std::variant<storage::app_row, error_info> decode_app_body(std::string_view json);
/// PUT /v1/apps/:id/allowlist: `{agents: [agent_id…]}`
std::variant<std::vector<std::string>, error_info> decode_allowlist_body(std::string_view json);

std::string encode_new_agent(const std::string& agent_id, const std::string& token);
std::string encode_new_app(const std::string& app_id, const std::string& token);
/// `{agents: [{agent_id, name, description, status, last_seen, events_served}]}`
std::string encode_agent_list(const std::vector<storage::agent_row>& agents,
                              const std::vector<bool>& online);
/// `{app_id, name, agents, created_at}`
std::string encode_app(const storage::app_row& app);
std::string encode_app_list(const std::vector<storage::app_row>& apps);

}  // namespace relay::codec::admin
