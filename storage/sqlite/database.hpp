#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"
#include "storage/expected.hpp"
#include "storage/sqlite/handles.hpp"
#include "storage/sqlite/statement.hpp"

namespace relay::storage::sqlite {

using detail::statement;

/// One SQLite connection (WAL) with its prepared statements, shared by the store's
/// areas: the statement cache, turning SQLite's result codes into error values, and the
/// transaction that the writer groups a batch into.
///
/// A failure (`expected::failed()`) inside begin()'s transaction aborts it, as Postgres
/// does: statements prepared afterwards fail with the first failure, and commit() rolls
/// back and returns it. The writer answers every write of a batch only once the batch has
/// committed, so no write whose failure a caller overlooked can be acknowledged.
class database {
 public:
  /// Opens (creating if missing) the database at `path` and, when `migrate` is set,
  /// migrates it. The connection is opened read-write even for readers, because WAL
  /// readers need the -shm file. `synchronous` is "full" or "normal". Throws
  /// std::runtime_error when the file cannot be opened, configured or migrated, or on an
  /// unknown `synchronous` value.
  database(const std::string& path, bool migrate, const std::string& synchronous);

  database(const database&) = delete;
  database& operator=(const database&) = delete;

  sqlite3* handle() const noexcept { return db_.get(); }

  // -- statements -------------------------------------------------------------------

  /// The cached statement for `sql`, prepared on first use; a fresh one when the cached
  /// one is already being stepped (nested use). Empty when it cannot be prepared or the
  /// transaction is aborted: then failure() says why.
  statement prepare(const std::string& sql);
  /// A statement that is finalized after use (SQL whose shape varies, like IN lists).
  statement prepare_uncached(const std::string& sql);
  /// Runs a statement that returns no rows.
  expected<void> run(const std::string& sql, const char* what);
  /// Rows changed by the last INSERT, UPDATE or DELETE.
  int changes() const noexcept;
  /// SQLite's message for the last failure, e.g. which UNIQUE constraint failed.
  std::string_view message() const noexcept;

  // -- errors -----------------------------------------------------------------------

  /// The failure SQLite reports for the step that just failed, classified
  /// (`conflict` for a constraint, `not_found` for a foreign key, `unavailable` for
  /// I/O, locks and a full disk, `internal` otherwise); or the abort of the transaction.
  error_info failure(const char* what);
  /// An error of the store's own; a failure aborts the transaction like failure().
  error_info fail(errc code, std::string message);

  // -- transactions -----------------------------------------------------------------

  expected<void> begin();
  expected<void> commit();
  void rollback();
  /// True outside an explicit transaction: each statement commits on its own.
  bool autocommit() const noexcept;

  // -- savepoints -------------------------------------------------------------------

  /// A savepoint's three statements; distinct names keep independent guards apart.
  struct savepoint_sql {
    std::string open;
    std::string release;
    std::string rollback_to;
  };
  static const savepoint_sql write_savepoint;
  static const savepoint_sql append_savepoint;

 private:
  friend class savepoint;

  struct cached_stmt {
    detail::sqlite_stmt_ptr stmt;
    bool in_use = false;
  };

  /// Runs a statement of the transaction's own control (BEGIN, COMMIT, savepoints),
  /// which must work in an aborted transaction too: it is how it ends.
  bool control(const std::string& sql);
  /// The failure SQLite reports, without aborting anything.
  error_info describe(const char* what) const;

  // Declared before the cache so statements are finalized before the connection closes.
  detail::sqlite_db_ptr db_;
  std::unordered_map<std::string, cached_stmt> cache_;
  bool in_transaction_ = false;
  error_info aborted_;  // the failure that aborted the transaction, if one did
};

/// An RAII savepoint: the work between its construction and release() is atomic, on its
/// own (autocommit) or nested in begin()'s transaction. Every path out of a store call
/// that does not reach release() rolls the work back in the destructor.
///
///   savepoint sp{db_};
///   if (!sp) return sp.error();
///   ... return db_.failure("insert");  // rolled back
///   if (auto r = sp.release(); !r) return r.error();
class savepoint {
 public:
  /// Opens the savepoint unless `needed` is false (then the guard does nothing).
  explicit savepoint(database& db, const database::savepoint_sql& sql = database::write_savepoint,
                     bool needed = true);
  ~savepoint();

  savepoint(const savepoint&) = delete;
  savepoint& operator=(const savepoint&) = delete;

  /// False when it could not be opened; error() says why.
  explicit operator bool() const noexcept { return !error_; }
  const error_info& error() const noexcept { return error_; }

  /// Keeps the work. When RELEASE fails the work is rolled back and the failure returned.
  expected<void> release();
  /// Rolls the work back now rather than at the end of the scope.
  void rollback() {
    if (open_) undo();
  }

 private:
  void undo();

  database& db_;
  const database::savepoint_sql& sql_;
  bool open_ = false;
  error_info error_;
};

/// True for every SQLITE_CONSTRAINT_* code.
bool is_constraint(int rc) noexcept;

}  // namespace relay::storage::sqlite
