// Operator command `relay store copy-to-postgres POSTGRES_URL`: the single node's SQLite
// store into an empty Postgres store of record, for growing into a cluster
// (docs/operations.md, "Moving from one node to a cluster"). The copying is
// storage/copy_to_postgres.cpp; this takes the data directory's lock, so no server
// writes while rows are read, and prints the counts the copy is checked by.

#include <cstdio>
#include <iostream>

#include "app/data_dir_lock.hpp"
#include "app/operator.hpp"
#include "storage/copy_to_postgres.hpp"
#include "storage/sqlite_store.hpp"

namespace relay {

int run_copy_command(const config& cfg, const command_line& cmd) {
  auto& w = cmd.words;
  if (w.size() != 3 || w[0] != "store" || w[1] != "copy-to-postgres") return -1;
  const auto path = storage::sqlite_store::db_path(cfg.data_dir);
  // A server on the directory would go on writing rows behind the copy.
  auto lock = lock_stopped_store(cfg.data_dir, path);
  if (!lock) return 1;
  auto r = storage::copy_to_postgres(path, w[2]);
  if (!r) {
    std::cerr << "relay: store copy-to-postgres: " << r.error().message << "\n";
    return 1;
  }
  if (r->already_done)
    std::cout << "This store was copied already; nothing changed.\n";
  else if (r->resumed)
    std::cout << "Finished a copy an earlier run had begun.\n";
  if (r->from_archive)
    std::cout << "Messages the node had archived (message_archive) were copied too.\n";
  std::printf("%-18s %12s %12s\n", "table", "sqlite", "postgres");
  for (auto& c : r->counts)
    std::printf("%-18s %12lld %12lld%s\n", c.table.c_str(), static_cast<long long>(c.source),
                static_cast<long long>(c.target), c.source == c.target ? "" : "  DIFFERS");
  std::fflush(stdout);
  if (!r->verified()) {
    std::cerr << "relay: the counts differ (DIFFERS above): the Postgres store is not a copy of "
                 "this one; do not start the cluster on it\n";
    return 1;
  }
  std::cout << "Copied: every table holds as many rows as the SQLite store.\n";
  return 0;
}

}  // namespace relay
