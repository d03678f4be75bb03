#pragma once

#include <string>

#include "storage/sqlite/agents.hpp"
#include "storage/sqlite/archiving.hpp"
#include "storage/sqlite/attachments.hpp"
#include "storage/sqlite/boards.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/halls.hpp"
#include "storage/sqlite/incoming_hooks.hpp"
#include "storage/sqlite/messages.hpp"
#include "storage/sqlite/rooms.hpp"
#include "storage/sqlite/search.hpp"
#include "storage/sqlite/threads.hpp"
#include "storage/sqlite/users.hpp"
#include "storage/sqlite/webhooks.hpp"
#include "storage/store.hpp"

namespace relay::storage {

namespace sqlite {
/// Holds the connection; a base of sqlite_store so it is built before the areas that
/// share it.
struct connection {
  database db;
};
}  // namespace sqlite

/// The single-node store: one SQLite connection (WAL) shared by one implementation per
/// area (storage/sqlite/), and the hot side of tiered storage (sqlite::archiving).
///
/// Any number of instances, in any number of processes, may open the same file; the
/// one that finds the schema out of date migrates it. Methods never throw; they return
/// their failure (storage/expected.hpp).
class sqlite_store final : private sqlite::connection,
                           public store,
                           public sqlite::users,
                           public sqlite::rooms,
                           public sqlite::messages,
                           public sqlite::agents,
                           public sqlite::halls,
                           public sqlite::attachments,
                           public sqlite::threads,
                           public sqlite::boards,
                           public sqlite::incoming_hooks,
                           public sqlite::webhooks,
                           public sqlite::search,
                           public sqlite::archiving {
 public:
  /// Opens (creating if missing) the database at `path` and, unless `read_only`,
  /// migrates it. `read_only` only skips migrations: the connection is still opened
  /// read-write because WAL readers need the -shm file. `synchronous` is "full" or
  /// "normal". Throws std::runtime_error when the file cannot be opened, configured
  /// or migrated, or on an unknown `synchronous` value.
  explicit sqlite_store(const std::string& path, bool read_only = false,
                        const std::string& synchronous = "full");
  ~sqlite_store() override;

  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// `<data_dir>/relay.db`, creating `data_dir` when missing (errors surface when the
  /// constructor opens the path).
  static std::string db_path(const std::string& data_dir);

  expected<void> begin() override;
  expected<void> commit() override;
  void rollback() override;
  bool healthy() override;
};

}  // namespace relay::storage
