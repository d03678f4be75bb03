#include "storage/sqlite/database.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "storage/migrations.hpp"

namespace relay::storage {

namespace detail {

void sqlite_db_close::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}

void sqlite_stmt_finalize::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

}  // namespace detail

namespace sqlite {

namespace {

constexpr int busy_timeout_ms = 5000;

const std::string sql_begin = "BEGIN IMMEDIATE";
const std::string sql_commit = "COMMIT";
const std::string sql_rollback = "ROLLBACK";

errc classify(int rc) {
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return errc::not_found;
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return errc::conflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_NOMEM:
      return errc::unavailable;
    default:
      return errc::internal;
  }
}

[[noreturn]] void open_failure(const std::string& path, const std::string& what, sqlite3* db) {
  throw std::runtime_error("sqlite_store: " + what + " (" + path +
                           "): " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

// Switching to WAL needs an exclusive lock for a moment; when several processes open
// a new file at once the pragma can report SQLITE_BUSY without consulting the busy
// handler, so retry it for as long as the busy timeout would have waited.
void enable_wal(sqlite3* db, const std::string& path) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds{busy_timeout_ms};
  for (;;) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr) != SQLITE_OK)
      open_failure(path, "cannot enable WAL", db);
    detail::sqlite_stmt_ptr stmt{raw};
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_ROW) {
      const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
      const std::string_view m = mode != nullptr ? mode : "";
      if (m == "wal" || m == "memory") return;  // ":memory:" databases cannot use WAL
      throw std::runtime_error("sqlite_store: cannot enable WAL (" + path + "): journal_mode is " +
                               std::string{m});
    }
    const int primary = rc & 0xff;
    if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) ||
        std::chrono::steady_clock::now() >= deadline)
      open_failure(path, "cannot enable WAL", db);
    stmt.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

void exec_or_throw(sqlite3* db, const char* sql, const std::string& path) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    open_failure(path, std::string{"cannot run "} + sql, db);
}

}  // namespace

bool is_constraint(int rc) noexcept {
  return (rc & 0xff) == SQLITE_CONSTRAINT;
}

const database::savepoint_sql database::write_savepoint{
    "SAVEPOINT relay_write", "RELEASE relay_write", "ROLLBACK TO relay_write"};
const database::savepoint_sql database::append_savepoint{
    "SAVEPOINT relay_append", "RELEASE relay_append", "ROLLBACK TO relay_append"};

// -- lifetime -------------------------------------------------------------------

database::database(const std::string& path, bool migrate_schema, const std::string& synchronous) {
  const char* sync_pragma = nullptr;
  if (synchronous == "full")
    sync_pragma = "PRAGMA synchronous=FULL";
  else if (synchronous == "normal")
    sync_pragma = "PRAGMA synchronous=NORMAL";
  else
    throw std::runtime_error("sqlite_store: synchronous must be \"full\" or \"normal\", got \"" +
                             synchronous + "\"");

  // Readers too open read-write: WAL readers must be able to create the -shm file.
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // sqlite3_open_v2 returns a handle to close even on failure
  if (rc != SQLITE_OK) open_failure(path, "cannot open database", raw);

  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  enable_wal(raw, path);
  exec_or_throw(raw, sync_pragma, path);
  exec_or_throw(raw, "PRAGMA foreign_keys=ON", path);

  if (migrate_schema) {
    try {
      migrate(raw);
    } catch (const std::exception& e) {
      throw std::runtime_error("sqlite_store: cannot migrate " + path + ": " + e.what());
    }
  }
}

// -- statements -------------------------------------------------------------------

statement database::prepare(const std::string& sql) {
  if (aborted_) return {};
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK)
      return {};
    it = cache_.emplace(sql, cached_stmt{detail::sqlite_stmt_ptr{raw}, false}).first;
  }
  if (it->second.in_use) return prepare_uncached(sql);
  return statement{it->second.stmt.get(), &it->second.in_use};
}

statement database::prepare_uncached(const std::string& sql) {
  if (aborted_) return {};
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1), &raw, nullptr) !=
      SQLITE_OK)
    return {};
  return statement{detail::sqlite_stmt_ptr{raw}};
}

expected<void> database::run(const std::string& sql, const char* what) {
  auto st = prepare(sql);
  if (!st) return failure(what);
  if (st.step() != SQLITE_DONE) return failure(what);
  return {};
}

int database::changes() const noexcept {
  return sqlite3_changes(db_.get());
}

std::string_view database::message() const noexcept {
  return sqlite3_errmsg(db_.get());
}

bool database::control(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql.c_str(), static_cast<int>(sql.size() + 1),
                           SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK)
      return false;
    it = cache_.emplace(sql, cached_stmt{detail::sqlite_stmt_ptr{raw}, false}).first;
  }
  // Control statements never nest in a step of themselves.
  statement st{it->second.stmt.get(), &it->second.in_use};
  return st.step() == SQLITE_DONE;
}

// -- errors -----------------------------------------------------------------------

error_info database::describe(const char* what) const {
  const int rc = sqlite3_extended_errcode(db_.get());
  return {classify(rc), std::string{what} + ": " + sqlite3_errmsg(db_.get())};
}

error_info database::failure(const char* what) {
  if (aborted_) return aborted_;
  auto e = describe(what);
  return fail(e.code, std::move(e.message));
}

error_info database::fail(errc code, std::string message) {
  error_info e{code, std::move(message)};
  if (in_transaction_ && !aborted_ && is_failure(code)) aborted_ = e;
  return e;
}

// -- transactions -----------------------------------------------------------------

expected<void> database::begin() {
  // A BEGIN inside an open transaction is a failure inside it, and aborts it like any.
  if (!control(sql_begin)) return failure("begin");
  in_transaction_ = true;
  aborted_ = {};
  return {};
}

expected<void> database::commit() {
  in_transaction_ = false;
  if (aborted_) {
    auto cause = std::exchange(aborted_, {});
    rollback();
    return cause;
  }
  if (control(sql_commit)) return {};
  auto cause = failure("commit");
  // A failed COMMIT can leave the transaction open; roll it back so the connection
  // is usable and the next begin() does not silently nest into stale work.
  if (!autocommit()) control(sql_rollback);
  return cause;
}

void database::rollback() {
  in_transaction_ = false;
  aborted_ = {};
  // SQLite may already have rolled back on an error (e.g. SQLITE_FULL); that is fine.
  if (!autocommit()) control(sql_rollback);
}

bool database::autocommit() const noexcept {
  return sqlite3_get_autocommit(db_.get()) != 0;
}

// -- savepoint --------------------------------------------------------------------

savepoint::savepoint(database& db, const database::savepoint_sql& sql, bool needed)
    : db_{db}, sql_{sql} {
  if (!needed) return;
  if (db_.aborted_) {
    error_ = db_.aborted_;
    return;
  }
  if (db_.control(sql_.open))
    open_ = true;
  else
    error_ = db_.failure("savepoint");
}

savepoint::~savepoint() {
  if (open_) undo();
}

expected<void> savepoint::release() {
  if (!open_) return {};
  if (db_.control(sql_.release)) {
    open_ = false;
    return {};
  }
  auto cause = db_.failure("release savepoint");
  undo();
  return cause;
}

void savepoint::undo() {
  open_ = false;
  // Both fail when SQLite already rolled the whole transaction back (e.g. on
  // SQLITE_FULL); the failure that got us here is what the call returns.
  const bool undone = db_.control(sql_.rollback_to);
  db_.control(sql_.release);
  // Work of the savepoint that could not be undone must not commit with the batch.
  if (!undone && db_.in_transaction_) db_.failure("rollback to savepoint");
}

}  // namespace sqlite

}  // namespace relay::storage
