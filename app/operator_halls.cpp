// Operator command of halls: `relay hallkey create --plan starter|growth [--test]`.
// Each key opens a workspace of its own on the plan; the key is printed once and only
// its hash is stored.

#include <iostream>

#include "app/operator.hpp"
#include "core/billing.hpp"
#include "core/ids.hpp"
#include "storage/store.hpp"

namespace relay {

int run_hall_command(storage::store& db, const command_line& cmd) {
  auto& w = cmd.words;
  if (w.size() != 2 || w[0] != "hallkey" || w[1] != "create") return -1;
  std::string plan;
  bool test_mode = false;
  // The command line checked the options (config/command_line.cpp); --test is "true" or
  // "false".
  for (auto& [k, v] : cmd.sub_options) {
    if (k == "plan") plan = v;
    if (k == "test") test_mode = v == "true";
  }
  if (!billing::parse_plan(plan)) {
    std::cerr << "relay: hallkey create needs --plan starter|growth\n";
    return 2;
  }
  // 32 random bytes after the mode prefix; the prefix tells live from test at a glance.
  auto key = std::string(test_mode ? "relay_test_" : "relay_live_") + random_hex(32);
  auto r = db.create_hall_key(plan, test_mode, sha256_hex(key));
  if (!r) {
    std::cerr << "relay: " << r.error().message << "\n";
    return 1;
  }
  std::cerr << "relay: workspace " << r->workspace_id << " on the " << plan << " plan"
            << (test_mode ? " (test key: usage is tracked, never billed)" : "") << "\n";
  std::cout << key << "\n";
  return 0;
}

}  // namespace relay
