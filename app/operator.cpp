#include "app/operator.hpp"

#include <iostream>

#include "core/ids.hpp"
#include "core/login.hpp"
#include "storage/postgres/store.hpp"
#include "storage/sqlite_store.hpp"

namespace relay {

namespace {

std::string sub_option(const command_line& cmd, const std::string& key, std::string fallback) {
  for (auto& [k, v] : cmd.sub_options)
    if (k == key) return v;
  return fallback;
}

// The command line (config/command_line.cpp) lets through only the commands of its
// table, with their operands and options; one that gets here is a table entry without
// a handler below.
int usage() {
  std::cerr << "relay: this command has no handler (see relay --help)\n";
  return 2;
}

}  // namespace

int run_operator_command(const config& cfg, const command_line& cmd) {
  auto& w = cmd.words;
  if (auto rc = run_search_index_command(cfg, cmd); rc >= 0) return rc;
  if (w.size() != 3 && !(w.size() == 2 && w[0] == "hallkey")) return usage();
  // The copy reads SQLite and writes the Postgres it is given, whatever the cluster
  // options say, so it opens no store here.
  if (auto rc = run_copy_command(cfg, cmd); rc >= 0) return rc;
  // Given the cluster's options (Redis and Postgres), a command acts on the shared store
  // of record, as the nodes do.
  const bool cluster = !cfg.redis_url.empty() && !cfg.postgres_url.empty();
  std::unique_ptr<storage::store> db;
  try {
    if (cluster)
      db = std::make_unique<storage::postgres::postgres_store>(cfg.postgres_url);
    else
      db = std::make_unique<storage::sqlite_store>(storage::sqlite_store::db_path(cfg.data_dir),
                                                   false, cfg.sqlite_synchronous);
  } catch (const std::exception& e) {
    std::cerr << "relay: cannot open the store "
              << (cluster ? "(postgres_url)" : "in " + cfg.data_dir) << ": " << e.what() << "\n";
    return 1;
  }
  if (auto rc = run_agent_command(*db, cmd); rc >= 0) return rc;
  if (auto rc = run_hall_command(*db, cmd); rc >= 0) return rc;
  if (w.size() != 3) return usage();
  const auto& login = w[2];
  if (w[0] == "user" && w[1] == "add") {
    if (!valid_login(login)) {
      std::cerr << "relay: a login is " << login_rule << "\n";
      return 2;
    }
    // Named here so the operator sees which spelling holds the login.
    if (auto taken = db->find_user_by_login(login)) {
      std::cerr << "relay: login " << login << " is taken by " << taken->login
                << " (logins ignore case)\n";
      return 1;
    }
    auto r = db->create_user(login, sub_option(cmd, "name", login), sub_option(cmd, "email", ""));
    if (!r) {
      std::cerr << "relay: " << r.error().message << "\n";
      return 1;
    }
    std::cout << r->id << "\n";
    return 0;
  }
  if (w[0] == "token" && w[1] == "create") {
    auto user = db->find_user_by_login(login);
    if (!user) {
      std::cerr << "relay: no user '" << login << "' (create it with: relay user add " << login
                << ")\n";
      return 1;
    }
    // 32 random bytes: the secret is shown once; only its hash is stored.
    auto token = "rlt_" + random_hex(32);
    if (auto t = db->create_token(user->id, sub_option(cmd, "name", "cli"), sha256_hex(token));
        !t) {
      std::cerr << "relay: " << t.error().message << "\n";
      return 1;
    }
    std::cout << token << "\n";
    return 0;
  }
  return usage();
}

}  // namespace relay
