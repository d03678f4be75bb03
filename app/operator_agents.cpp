// Operator commands of the agent relay: `relay agent add|rotate`, `relay app add|allow`.
// They write the data directory directly, so they work without a running server; a
// running server sees new agents and apps at once, while rotations and allowlist
// changes made here apply to the next connection (the REST admin API applies them to
// live sockets too).

#include <iostream>
#include <sstream>

#include "app/operator.hpp"
#include "core/ids.hpp"
#include "storage/store.hpp"

namespace relay {

namespace {

std::string option(const command_line& cmd, const std::string& key, std::string fallback) {
  for (auto& [k, v] : cmd.sub_options)
    if (k == key) return v;
  return fallback;
}

std::vector<std::string> split_ids(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream in{list};
  for (std::string id; std::getline(in, id, ',');)
    if (!id.empty()) out.push_back(id);
  return out;
}

int failed(const error_info& e) {
  std::cerr << "relay: " << e.message << "\n";
  return 1;
}

}  // namespace

int run_agent_command(storage::store& db, const command_line& cmd) {
  auto& w = cmd.words;
  if (w.size() != 3) return -1;
  const auto& id = w[2];
  if (w[0] == "agent" && w[1] == "add") {
    storage::agent_row row;
    row.agent_id = id;
    row.name = option(cmd, "name", id);
    row.description = option(cmd, "description", "");
    auto token = "rla_" + random_hex(32);
    auto r = db.create_agent(row, sha256_hex(token));
    if (!r) return failed(r.error());
    std::cout << token << "\n";
    return 0;
  }
  if (w[0] == "agent" && w[1] == "rotate") {
    auto token = "rla_" + random_hex(32);
    if (auto r = db.rotate_agent_token(id, sha256_hex(token)); !r) {
      if (!r.not_found()) return failed(r.error());
      std::cerr << "relay: no agent '" << id << "'\n";
      return 1;
    }
    std::cout << token << "\n";
    return 0;
  }
  if (w[0] == "app" && w[1] == "add") {
    storage::app_row row;
    row.app_id = id;
    row.name = option(cmd, "name", id);
    row.allowlist = split_ids(option(cmd, "allow", ""));
    auto token = "rlk_" + id + "_" + random_hex(32);
    auto r = db.create_app(row, sha256_hex(token));
    if (!r) return failed(r.error());
    std::cout << token << "\n";
    return 0;
  }
  if (w[0] == "app" && w[1] == "allow") {
    auto r = db.set_allowlist(id, split_ids(option(cmd, "agents", "")));
    if (!r) return failed(r.error());
    for (auto& a : r->allowlist) std::cout << a << "\n";
    return 0;
  }
  return -1;
}

}  // namespace relay
