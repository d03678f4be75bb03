// Operator commands `relay search-index status|rebuild` and the server's --search-index
// switch (docs/operations.md, "Search index"): on the single node's SQLite index, or,
// given the cluster's options, on the store of record's index in Postgres, which its
// triggers keep and a rebuild only renumbers while the nodes run.

#include <chrono>
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/data_dir_lock.hpp"
#include "app/operator.hpp"
#include "storage/postgres/search_index.hpp"
#include "storage/sqlite/search_index.hpp"
#include "storage/sqlite_store.hpp"

namespace relay {

namespace {

std::string mib(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

void print_state(const storage::sqlite::search_index_state& s) {
  std::cout << "search index: " << (s.on ? "on" : "off (writes are not indexed)") << "\n"
            << "indexed: " << s.docs << " messages and replies\n"
            << "index size: " << s.index_bytes << " bytes (" << mib(s.index_bytes) << ")"
            << (s.exact ? "" : ", FTS5 segments only (this SQLite has no dbstat)") << "\n"
            << "database size: " << s.db_bytes << " bytes (" << mib(s.db_bytes) << ")\n";
  if (s.db_bytes > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%",
                  100.0 * static_cast<double>(s.index_bytes) / static_cast<double>(s.db_bytes));
    std::cout << "index share of the database: " << buf << "\n";
  }
  std::cout.flush();
}

void print_state(const storage::postgres::search_index_size& s) {
  print_state(storage::sqlite::search_index_state{
      .on = true, .docs = s.docs, .index_bytes = s.index_bytes, .db_bytes = s.db_bytes});
}

int run_on_postgres(const config& cfg, const std::string& verb) {
  if (verb != "status" && verb != "rebuild") return -1;
  const auto started = std::chrono::steady_clock::now();
  auto s = verb == "status" ? storage::postgres::read_search_index(cfg.postgres_url)
                            : storage::postgres::rebuild_search_index(cfg.postgres_url);
  if (!s) {
    std::cerr << "relay: search-index " << verb << ": " << s.error().message << "\n";
    return 1;
  }
  if (verb == "rebuild") {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count();
    std::cout << "Rebuilt the cluster's search index (Postgres) from every message and thread "
                 "reply in "
              << ms << " ms.\n";
  }
  print_state(*s);
  return 0;
}

}  // namespace

int run_search_index_command(const config& cfg, const command_line& cmd) {
  auto& w = cmd.words;
  if (w.size() != 2 || w[0] != "search-index") return -1;
  if (!cfg.redis_url.empty() && !cfg.postgres_url.empty()) return run_on_postgres(cfg, w[1]);
  const auto path = storage::sqlite_store::db_path(cfg.data_dir);
  // A server on the directory writes messages the rebuild would not see, and its
  // --search-index setting is applied only at its start.
  auto lock = lock_stopped_store(cfg.data_dir, path);
  if (!lock) return 1;
  try {
    storage::sqlite::database db{path, true, cfg.sqlite_synchronous};
    if (w[1] == "status") {
      auto s = storage::sqlite::read_search_index(db);
      if (!s) {
        std::cerr << "relay: search-index status: " << s.error().message << "\n";
        return 1;
      }
      print_state(*s);
      return 0;
    }
    if (w[1] == "rebuild") {
      const auto started = std::chrono::steady_clock::now();
      auto s = storage::sqlite::rebuild_search_index(db);
      if (!s) {
        std::cerr << "relay: search-index rebuild: " << s.error().message << " (nothing changed)\n";
        return 1;
      }
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      std::cout << "Rebuilt the search index from every message and thread reply in " << ms
                << " ms.\n";
      print_state(*s);
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "relay: cannot open the store in " << cfg.data_dir << ": " << e.what() << "\n";
    return 1;
  }
  return -1;
}

std::string apply_search_index_option(const config& cfg) {
  const auto path = storage::sqlite_store::db_path(cfg.data_dir);
  try {
    storage::sqlite::database db{path, true, cfg.sqlite_synchronous};
    if (cfg.search_index == "off") {
      if (auto r = storage::sqlite::turn_search_index_off(db); !r)
        return "search_index off: " + r.error().message;
      spdlog::warn("search index off: messages are not indexed and search answers 503");
      return {};
    }
    auto s = storage::sqlite::read_search_index(db);
    if (!s) return "search index: " + s.error().message;
    if (s->on) return {};
    // A start with the index off left it stale: what it missed is indexed before serving.
    spdlog::info("search index was off: re-indexing every message (relay search-index rebuild)");
    auto r = storage::sqlite::rebuild_search_index(db);
    if (!r) return "search index rebuild: " + r.error().message;
    spdlog::info("search index on: {} messages and replies indexed", r->docs);
    return {};
  } catch (const std::exception& e) {
    return std::string("cannot open the store in ") + cfg.data_dir + ": " + e.what();
  }
}

}  // namespace relay
