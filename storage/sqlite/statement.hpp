#pragma once

// The prepared-statement wrapper shared by the SQLite store's areas (storage/sqlite/).

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/sqlite/handles.hpp"

namespace relay::storage::detail {

/// One use of a prepared statement. Resets it when done so a cached statement never
/// keeps a WAL read snapshot open between calls.
class statement {
 public:
  statement() = default;
  statement(sqlite3_stmt* cached, bool* in_use) : stmt_{cached}, in_use_{in_use} {
    *in_use_ = true;
  }
  explicit statement(sqlite_stmt_ptr owned) : owned_{std::move(owned)}, stmt_{owned_.get()} {}

  statement(statement&& o) noexcept
      : owned_{std::move(o.owned_)},
        stmt_{std::exchange(o.stmt_, nullptr)},
        in_use_{std::exchange(o.in_use_, nullptr)},
        next_{o.next_},
        bind_rc_{o.bind_rc_} {}
  statement& operator=(statement&&) = delete;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  ~statement() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
    if (in_use_ != nullptr) *in_use_ = false;
  }

  explicit operator bool() const noexcept { return stmt_ != nullptr; }

  // Parameters are bound in order; a bind failure is reported by the next step().
  statement& bind(std::string_view v) {
    keep(sqlite3_bind_text(stmt_, next_++, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  statement& bind(std::int64_t v) {
    keep(sqlite3_bind_int64(stmt_, next_++, v));
    return *this;
  }
  statement& bind_null() {
    keep(sqlite3_bind_null(stmt_, next_++));
    return *this;
  }
  /// NULL for "", so optional text columns stay unconstrained by UNIQUE.
  statement& bind_text_or_null(std::string_view v) { return v.empty() ? bind_null() : bind(v); }

  int step() { return bind_rc_ != SQLITE_OK ? bind_rc_ : sqlite3_step(stmt_); }

  std::string text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p == nullptr
               ? std::string{}
               : std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<std::int64_t> opt_int64(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::int64_t>{int64(col)};
  }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>{text(col)};
  }

 private:
  void keep(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }

  sqlite_stmt_ptr owned_;
  sqlite3_stmt* stmt_ = nullptr;
  bool* in_use_ = nullptr;
  int next_ = 1;
  int bind_rc_ = SQLITE_OK;
};

}  // namespace relay::storage::detail
