#pragma once

// Owning handles for SQLite's connection and statements, without SQLite's header.

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace relay::storage::detail {

struct sqlite_db_close {
  void operator()(sqlite3* db) const noexcept;
};
struct sqlite_stmt_finalize {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using sqlite_db_ptr = std::unique_ptr<sqlite3, sqlite_db_close>;
using sqlite_stmt_ptr = std::unique_ptr<sqlite3_stmt, sqlite_stmt_finalize>;

}  // namespace relay::storage::detail
