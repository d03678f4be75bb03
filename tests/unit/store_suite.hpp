// The store suite, shared by its files (one per area, store_<area>_test.cpp): every store
// implementation runs the TEST_P tests through a backend. StoreTest (and the fixtures
// built on it) opens a whole `storage::store` on each backend (SQLite, Postgres). An area
// whose tests use only that area has a fixture of its own (AreaTest<Area>) that opens just
// that area and the transactions. store_sqlite_test.cpp and store_postgres_test.cpp hold
// what only one backend has (SQLite's file, pragmas and migrations; Postgres's lost
// connections and concurrent nodes). Real databases, never mocks.

#pragma once

#include "storage/postgres/store.hpp"
#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/billing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "postgres_peek.hpp"
#include "sqlite_peek.hpp"
#include "storage/migrations.hpp"
#include "temp_dir.hpp"

namespace relay::storage {

namespace fs = std::filesystem;

// -- the backends ----------------------------------------------------------------

/// A store implementation the suite runs against: where a test's data lives (`create`
/// makes it in a fresh directory, `drop` removes it), how to open the store there, and how
/// to look at what it stored without going through it (SQL on a connection of its own).
struct store_backend {
  std::string name;
  /// Why the backend cannot run here ("" when it can): the test is skipped, saying so.
  std::function<std::string()> unavailable;
  std::function<std::string(const std::string& dir)> create;
  std::function<void(const std::string& location)> drop;
  std::function<std::unique_ptr<store>(const std::string& location, bool read_only)> open;
  std::function<std::int64_t(const std::string& location, const std::string& sql)> scalar;
  std::function<std::string(const std::string& location, const std::string& sql)> text;
  /// Runs statements; returns the database's error message, "" when they ran.
  std::function<std::string(const std::string& location, const std::string& sql)> exec;
  /// SQL making every `event` ("INSERT", "DELETE") on `table` fail, under `name`. On
  /// Postgres the error has SQLSTATE `state` ("23514" a check violation, "XX000" an
  /// internal error); a SQLite trigger's RAISE(ABORT) is always a constraint failure.
  std::function<std::string(const std::string& name, const std::string& event,
                            const std::string& table, const std::string& state)>
      block;
  /// SQL removing what block() made.
  std::function<std::string(const std::string& name, const std::string& table)> unblock;
  /// Prefixed to statements that rely on ON DELETE CASCADE (SQLite enforces foreign keys
  /// only on connections that ask).
  std::string foreign_keys;
};

/// Test names say the backend; GoogleTest would print the struct's bytes.
inline void PrintTo(const store_backend& b, std::ostream* os) {
  *os << b.name;
}

using test_support::sqlite_exec;
using test_support::sqlite_scalar;
using test_support::sqlite_text;

const store_backend sqlite_backend{
    "sqlite",
    [] { return std::string{}; },
    [](const std::string& dir) { return (fs::path{dir} / "relay.db").string(); },
    [](const std::string&) {},
    [](const std::string& path, bool read_only) -> std::unique_ptr<store> {
      return std::make_unique<sqlite_store>(path, read_only);
    },
    sqlite_scalar,
    sqlite_text,
    sqlite_exec,
    [](const std::string& name, const std::string& event, const std::string& table,
       const std::string&) {
      return "CREATE TRIGGER " + name + " BEFORE " + event + " ON " + table +
             " BEGIN SELECT RAISE(ABORT, 'blocked'); END";
    },
    [](const std::string& name, const std::string&) { return "DROP TRIGGER " + name; },
    "PRAGMA foreign_keys = ON; "};

/// A fresh database per test on RELAY_TEST_POSTGRES_URL's server, dropped afterwards.
/// `read_only` means nothing there: any connection reads what is committed.
const store_backend postgres_backend{
    "postgres",
    test_support::postgres_unavailable,
    [](const std::string&) { return test_support::create_postgres_database(); },
    test_support::drop_postgres_database,
    [](const std::string& url, bool) -> std::unique_ptr<store> {
      return std::make_unique<postgres::postgres_store>(url);
    },
    test_support::postgres_scalar,
    test_support::postgres_text,
    test_support::postgres_exec,
    [](const std::string& name, const std::string& event, const std::string& table,
       const std::string& state) {
      return "CREATE FUNCTION " + name + "() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN" +
             " RAISE EXCEPTION 'blocked' USING ERRCODE = '" + state + "'; END$$; CREATE TRIGGER " +
             name + " BEFORE " + event + " ON " + table + " FOR EACH ROW EXECUTE FUNCTION " + name +
             "()";
    },
    [](const std::string& name, const std::string& table) {
      return "DROP TRIGGER " + name + " ON " + table + "; DROP FUNCTION " + name + "()";
    },
    ""};

/// Both backends; Postgres's tests skip when no server is given.
inline auto all_backends() {
  return ::testing::Values(sqlite_backend, postgres_backend);
}

// -- helpers over any store ----------------------------------------------------------

/// Creates `login` (name and email derived from it); its id.
inline std::string user(users_store& s, const std::string& login) {
  auto u = s.create_user(login, login + " name", login + "@example.com");
  EXPECT_TRUE(u) << u.error().message;
  return u ? u->id : std::string{};
}

inline std::vector<std::string> logins_of(const std::vector<user_row>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.login);
  return out;
}

// -- the fixtures --------------------------------------------------------------------

/// A fresh data directory per test and helpers over any store.
class StoreFixture : public test_support::temp_dir_test {
 protected:
  void SetUp() override {
    temp_dir_test::SetUp();
    dir_path_ = dir_.path;
    if (auto why = backend().unavailable(); !why.empty())
      GTEST_SKIP() << backend().name << ": " << why;
    path_ = backend().create(dir_.path);
  }
  void TearDown() override {
    if (!path_.empty()) backend().drop(path_);
  }

  virtual const store_backend& backend() const = 0;

  std::unique_ptr<store> open(bool read_only = false) { return backend().open(path_, read_only); }

  /// Reads one integer through an independent connection.
  std::int64_t scalar(const std::string& sql) const { return backend().scalar(path_, sql); }
  std::string text_scalar(const std::string& sql) const { return backend().text(path_, sql); }
  /// Runs statements through an independent connection (triggers, fixtures).
  void exec(const std::string& sql) const {
    auto err = backend().exec(path_, sql);
    EXPECT_EQ(err, "") << sql;
  }
  /// Same, for statements expected to fail: the error, "" when they ran.
  std::string exec_error(const std::string& sql) const { return backend().exec(path_, sql); }
  /// Makes every `event` on `table` fail (store_backend::block) until unblock().
  void block(const std::string& name, const std::string& event, const std::string& table,
             const std::string& state = "23514") const {
    exec(backend().block(name, event, table, state));
  }
  void unblock(const std::string& name, const std::string& table) const {
    exec(backend().unblock(name, table));
  }
  /// Runs statements that rely on ON DELETE CASCADE.
  void exec_cascading(const std::string& sql) const { exec(backend().foreign_keys + sql); }
  /// The statement for this backend, where their SQL differs.
  std::string per_backend(const std::string& sqlite, const std::string& postgres) const {
    return backend().name == "postgres" ? postgres : sqlite;
  }

  static channel_row channel(const std::string& room, const std::string& slug,
                             const std::string& created_by = "") {
    channel_row c;
    c.room_id = room;
    c.slug = slug;
    c.name = slug;
    c.visibility = channel_visibility::group;
    c.created_by = created_by;
    return c;
  }

  static std::string new_room(store& s, const std::string& slug,
                              std::optional<std::string> owner = std::nullopt) {
    room_row r;
    r.slug = slug;
    r.display_name = slug;
    r.owner_id = std::move(owner);
    auto made = s.create_room(r);
    EXPECT_TRUE(made) << made.error().message;
    return made ? made->id : std::string{};
  }

  static new_message msg(const std::string& room, const std::string& channel,
                         const std::string& author, const std::string& content,
                         const std::string& client_msg_id = "", std::int64_t created_at = 0) {
    new_message m;
    m.id = make_id("msg");
    m.room_id = room;
    m.channel_id = channel;
    m.author_id = author;
    m.content = content;
    m.client_msg_id = client_msg_id;
    m.created_at = created_at;
    return m;
  }

  /// Appends in its own transaction, as the writer actor would.
  static append_result append(store& s, const new_message& m) {
    EXPECT_TRUE(s.begin());
    auto r = s.append_message(m);
    EXPECT_TRUE(r) << r.error().message;
    auto done = s.commit();
    EXPECT_TRUE(done) << done.error().message;
    return r.value_or(append_result{});
  }

  static std::string room_of(store& s) {
    auto lobby = s.find_room_by_slug("lobby");
    EXPECT_TRUE(lobby.has_value());
    return lobby ? lobby->id : std::string{};
  }

  fs::path dir_path_;
  std::string path_;  // the backend's location: SQLite's file, Postgres's database URL
};

/// The suite every store implementation runs (each area file instantiates it).
class StoreTest : public StoreFixture, public ::testing::WithParamInterface<store_backend> {
 protected:
  const store_backend& backend() const override { return GetParam(); }
};

/// Names each instantiation after its backend: `Backends/StoreTest.Name/sqlite`.
inline constexpr auto backend_name = [](const auto& info) { return info.param.name; };

// -- one area at a time -------------------------------------------------------------------

/// A store as one area's tests see it: that area and the transactions, nothing else.
template <class Area>
struct area_handle {
  std::unique_ptr<transactions> owner;
  Area* area = nullptr;

  Area* operator->() const { return area; }
  Area& operator*() const { return *area; }
  transactions& tx() const { return *owner; }
};

/// A backend that implements `Area`: where a test's data lives (`create` makes it, `drop`
/// removes it), how to open the area there, and how to look at it past the store.
template <class Area>
struct area_backend {
  std::string name;
  /// Why the backend cannot run here ("" when it can): the test is skipped, saying so.
  std::function<std::string()> unavailable;
  std::function<std::string(const std::string& dir)> create;
  std::function<void(const std::string& location)> drop;
  std::function<area_handle<Area>(const std::string& location)> open;
  std::function<std::int64_t(const std::string& location, const std::string& sql)> scalar;
  std::function<std::string(const std::string& location, const std::string& sql)> text;
  std::function<std::string(const std::string& location, const std::string& sql)> exec;
};

/// Test names say the backend; GoogleTest would print the struct's bytes.
template <class Area>
void PrintTo(const area_backend<Area>& b, std::ostream* os) {
  *os << b.name;
}

/// `b` as one area's tests see it: every backend implements every area, so the area of
/// its whole store.
template <class Area>
area_backend<Area> area_of(const store_backend& b) {
  return {b.name,
          b.unavailable,
          b.create,
          b.drop,
          [open = b.open](const std::string& location) {
            auto s = open(location, false);
            Area* area = s.get();
            return area_handle<Area>{std::move(s), area};
          },
          b.scalar,
          b.text,
          b.exec};
}

template <class Area>
area_backend<Area> sqlite_area() {
  return area_of<Area>(sqlite_backend);
}

template <class Area>
area_backend<Area> postgres_area() {
  return area_of<Area>(postgres_backend);
}

/// The suite of one area, for every backend that implements it: a fresh database per
/// test, dropped afterwards.
template <class Area>
class AreaTest : public test_support::temp_dir_test,
                 public ::testing::WithParamInterface<area_backend<Area>> {
 protected:
  void SetUp() override {
    temp_dir_test::SetUp();
    const auto& b = this->GetParam();
    if (auto why = b.unavailable(); !why.empty()) GTEST_SKIP() << b.name << ": " << why;
    location_ = b.create(dir_.path);
  }
  void TearDown() override {
    if (!location_.empty()) this->GetParam().drop(location_);
  }

  area_handle<Area> open() const { return this->GetParam().open(location_); }
  /// Reads one integer through an independent connection.
  std::int64_t scalar(const std::string& sql) const {
    return this->GetParam().scalar(location_, sql);
  }
  std::string text_scalar(const std::string& sql) const {
    return this->GetParam().text(location_, sql);
  }
  void exec(const std::string& sql) const {
    EXPECT_EQ(this->GetParam().exec(location_, sql), "") << sql;
  }
  /// Same, for statements expected to fail: the error, "" when they ran.
  std::string exec_error(const std::string& sql) const {
    return this->GetParam().exec(location_, sql);
  }

  std::string location_;
};

}  // namespace relay::storage
