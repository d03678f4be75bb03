#pragma once

#include <span>
#include <string_view>

struct sqlite3;

namespace relay::storage {

/// One versioned schema step, tracked with `PRAGMA user_version`.
struct migration {
  int version;
  std::string_view sql;
  /// Runs after `sql` in the same transaction, for rows that need values computed in
  /// C++ (ids, timestamps) or changes SQLite cannot make conditional. May be null. Throws
  /// std::runtime_error on failure.
  void (*seed)(sqlite3* db);
};

/// Every migration, ascending by version, starting at 1.
std::span<const migration> migrations();

/// Highest schema version this build knows.
int latest_schema_version();

/// `PRAGMA user_version` of an open database; throws std::runtime_error on failure.
int schema_version(sqlite3* db);

/// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction, re-checking the
/// version once the write lock is held so concurrent openers apply each step once.
/// Throws std::runtime_error on failure or when the file is newer than this build.
void migrate(sqlite3* db);

}  // namespace relay::storage
