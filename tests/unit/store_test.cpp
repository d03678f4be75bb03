// The store suite: every store implementation runs the TEST_P tests (StoreTest, and the
// halls and logins fixtures built on it) through `store_backend`; SQLite is the one
// backend today. SqliteStoreTest holds what only SQLite has (its file, pragmas and
// migrations). Real database files, never mocks.

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
#include "sqlite_peek.hpp"
#include "storage/migrations.hpp"
#include "temp_dir.hpp"

namespace relay::storage {
namespace {

namespace fs = std::filesystem;

// -- the backends ----------------------------------------------------------------

/// A store implementation the suite runs against: how to open it on the data in a
/// fresh directory, and how to look at what it stored without going through it (SQL on
/// a connection of its own). SQLite today; a second backend adds an entry to `backends`.
struct store_backend {
  std::string name;
  std::function<std::unique_ptr<store>(const std::string& path, bool read_only)> open;
  std::function<std::int64_t(const std::string& path, const std::string& sql)> scalar;
  std::function<std::string(const std::string& path, const std::string& sql)> text;
  /// Runs statements; returns the database's error message, "" when they ran.
  std::function<std::string(const std::string& path, const std::string& sql)> exec;
};

using test_support::sqlite_exec;
using test_support::sqlite_scalar;
using test_support::sqlite_text;

const store_backend sqlite_backend{
    "sqlite",
    [](const std::string& path, bool read_only) -> std::unique_ptr<store> {
      return std::make_unique<sqlite_store>(path, read_only);
    },
    sqlite_scalar, sqlite_text, sqlite_exec};

// -- the fixtures --------------------------------------------------------------------

/// A fresh data directory per test and helpers over any store.
class StoreFixture : public test_support::temp_dir_test {
 protected:
  void SetUp() override {
    temp_dir_test::SetUp();
    dir_path_ = dir_.path;
    path_ = dir_.file("relay.db");
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

  static std::vector<std::string> logins_of(const std::vector<user_row>& users) {
    std::vector<std::string> out;
    for (const auto& u : users) out.push_back(u.login);
    return out;
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

  static std::string user(store& s, const std::string& login) {
    auto u = s.create_user(login, login + " name", login + "@example.com");
    EXPECT_TRUE(u) << u.error().message;
    return u ? u->id : std::string{};
  }

  fs::path dir_path_;
  std::string path_;
};

/// The suite every store implementation runs (INSTANTIATE_TEST_SUITE_P below).
class StoreTest : public StoreFixture, public ::testing::WithParamInterface<store_backend> {
 protected:
  const store_backend& backend() const override { return GetParam(); }
};

/// What only the SQLite implementation has: its file, its pragmas, its migrations.
class SqliteStoreTest : public StoreFixture {
 protected:
  const store_backend& backend() const override { return sqlite_backend; }
};

// -- opening and migrations -----------------------------------------------------

TEST_F(SqliteStoreTest, MigrationCreatesLobbyInWalMode) {
  auto s = open();
  auto lobby = s->find_room_by_slug("lobby");
  ASSERT_TRUE(lobby.has_value());
  EXPECT_EQ(lobby->slug, "lobby");
  EXPECT_EQ(lobby->display_name, "Lobby");
  EXPECT_EQ(lobby->id.rfind("room_", 0), 0u) << lobby->id;
  EXPECT_EQ(lobby->id.size(), 5u + 26u);
  EXPECT_FALSE(lobby->owner_id.has_value());
  EXPECT_FALSE(lobby->whitelist_only);
  EXPECT_EQ(lobby->accent_colors, "[]");
  EXPECT_GT(lobby->created_at, 0);

  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  EXPECT_EQ(text_scalar("PRAGMA journal_mode"), "wal");
  EXPECT_TRUE(s->healthy());
  EXPECT_FALSE(s->find_room_by_slug("nope").has_value());
}

TEST_F(SqliteStoreTest, ReopenIsIdempotent) {
  std::string first_id;
  {
    auto s = open();
    first_id = room_of(*s);
    user(*s, "alice");
  }
  for (int i = 0; i < 3; ++i) {
    auto s = open();
    EXPECT_EQ(room_of(*s), first_id);
    EXPECT_TRUE(s->find_user_by_login("alice").has_value());
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 1);
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
}

TEST_F(SqliteStoreTest, ConcurrentOpenOfNewFileMigratesOnce) {
  for (int round = 0; round < 5; ++round) {
    const std::string path =
        (fs::path{dir_path_} / ("race" + std::to_string(round) + ".db")).string();
    constexpr int openers = 6;
    std::atomic<int> ready{0};
    std::atomic<int> failures{0};
    std::vector<std::string> lobby_ids(openers);
    std::vector<std::thread> threads;
    for (int i = 0; i < openers; ++i) {
      threads.emplace_back([&, i] {
        ready.fetch_add(1);
        while (ready.load() < openers) std::this_thread::yield();
        try {
          sqlite_store s{path};
          auto lobby = s.find_room_by_slug("lobby");
          if (lobby) lobby_ids[i] = lobby->id;
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          failures.fetch_add(1);
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures.load(), 0);
    for (const auto& id : lobby_ids) EXPECT_EQ(id, lobby_ids.front());
    EXPECT_FALSE(lobby_ids.front().empty());

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM rooms WHERE slug = 'lobby'", -1, &st, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    EXPECT_EQ(schema_version(db), latest_schema_version());
    sqlite3_close(db);
  }
}

TEST_F(SqliteStoreTest, ReadOnlySkipsMigrationsButReadsOnceMigrated) {
  auto reader = open(/*read_only=*/true);
  EXPECT_EQ(scalar("PRAGMA user_version"), 0);
  auto none = reader->find_room_by_slug("lobby");
  EXPECT_FALSE(none.has_value());
  EXPECT_TRUE(none.failed()) << "no tables yet: a failure, not an absent row";

  auto writer = open();
  auto lobby = reader->find_room_by_slug("lobby");
  ASSERT_TRUE(lobby.has_value());
  EXPECT_EQ(lobby->id, room_of(*writer));
}

TEST_F(SqliteStoreTest, ConstructorRejectsBadInput) {
  EXPECT_THROW(sqlite_store((fs::path{dir_path_} / "missing" / "dir" / "relay.db").string()),
               std::runtime_error);
  EXPECT_THROW(sqlite_store(path_, false, "sometimes"), std::runtime_error);
  {
    std::ofstream garbage{path_};
    garbage << std::string(4096, 'x');
  }
  EXPECT_THROW(sqlite_store{path_}, std::runtime_error);
}

TEST_F(SqliteStoreTest, SynchronousNormalOpens) {
  sqlite_store s{path_, false, "normal"};
  EXPECT_TRUE(s.healthy());
  EXPECT_TRUE(s.find_room_by_slug("lobby").has_value());
}

TEST_F(SqliteStoreTest, RefusesSchemaNewerThanBuild) {
  { auto s = open(); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  const std::string bump = "PRAGMA user_version = " + std::to_string(latest_schema_version() + 1);
  ASSERT_EQ(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_THROW(open(), std::runtime_error);
  EXPECT_NO_THROW(open(/*read_only=*/true));
}

TEST_F(SqliteStoreTest, DbPathCreatesDirectory) {
  const auto data_dir = fs::path{dir_path_} / "a" / "b";
  const auto p = sqlite_store::db_path(data_dir.string());
  EXPECT_EQ(p, (data_dir / "relay.db").string());
  EXPECT_TRUE(fs::is_directory(data_dir));
  sqlite_store s{p};
  EXPECT_TRUE(fs::exists(p));
}

// -- users and tokens -----------------------------------------------------------

TEST_P(StoreTest, UsersCreateFindAndConflict) {
  auto s = open();
  auto a = s->create_user("alice", "Alice A", "alice@example.com");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(a->login, "alice");
  EXPECT_EQ(a->name, "Alice A");
  EXPECT_EQ(a->email, "alice@example.com");
  EXPECT_FALSE(a->github_id.has_value());
  EXPECT_GT(a->created_at, 0);

  auto dup = s->create_user("alice", "Other", "other@example.com");
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(dup.conflict());

  auto by_login = s->find_user_by_login("alice");
  ASSERT_TRUE(by_login.has_value());
  EXPECT_EQ(by_login->id, a->id);
  EXPECT_EQ(by_login->name, "Alice A");
  auto by_id = s->find_user(a->id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->login, "alice");
  EXPECT_EQ(by_id->created_at, a->created_at);
  EXPECT_FALSE(s->find_user_by_login("bob").has_value());
  EXPECT_TRUE(s->find_user("usr_missing").not_found());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);
}

TEST_P(StoreTest, TokensLookupAndRevoke) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  const auto hash = sha256_hex("secret-1");
  auto t = s->create_token(alice, "laptop", hash);
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_FALSE(t->id.empty());
  EXPECT_EQ(t->id.rfind("tok_", 0), 0u);
  EXPECT_EQ(t->user_id, alice);
  EXPECT_EQ(t->name, "laptop");
  EXPECT_FALSE(t->revoked_at.has_value());
  auto t2 = s->create_token(alice, "phone", sha256_hex("secret-2"));
  ASSERT_TRUE(t2) << t2.error().message;
  ASSERT_FALSE(t2->id.empty());

  // Only the hash is stored.
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE hash = '" + hash + "'"), 1);

  auto owner = s->find_user_by_token_hash(hash);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->id, alice);
  EXPECT_FALSE(s->find_user_by_token_hash(sha256_hex("wrong")).has_value());
  auto cred = s->find_credential(hash);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->user.id, alice);
  EXPECT_EQ(cred->token_id, t->id) << "the credential names the token that was used";

  auto listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, t->id);
  EXPECT_EQ(listed[1].id, t2->id);
  EXPECT_TRUE(s->list_tokens(bob).value().empty());

  EXPECT_FALSE(s->revoke_token(bob, t->id));  // not bob's
  EXPECT_TRUE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_FALSE(s->revoke_token(alice, "tok_missing"));
  EXPECT_TRUE(s->revoke_token(alice, t->id));
  EXPECT_FALSE(s->revoke_token(alice, t->id));  // already revoked
  EXPECT_FALSE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex("secret-2")).has_value());

  listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_TRUE(listed[0].revoked_at.has_value());
  EXPECT_FALSE(listed[1].revoked_at.has_value());

  // Unknown user: foreign key.
  auto orphan = s->create_token("usr_missing", "x", sha256_hex("secret-3"));
  EXPECT_FALSE(orphan);
  EXPECT_TRUE(orphan.error());
}

// -- channels -----------------------------------------------------------------------

TEST_P(StoreTest, ChannelsCreateListConflict) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");

  channel_row given;
  given.id = "ch_given";
  given.room_id = room;
  given.slug = "general";
  given.name = "General";
  given.visibility = channel_visibility::public_;
  given.created_by = alice;
  given.created_at = 1000;
  auto a = s->create_channel(given);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id, "ch_given");
  EXPECT_EQ(a->created_at, 1000);

  channel_row gen = given;
  gen.id.clear();
  gen.slug = "random";
  gen.created_at = 2000;
  auto b = s->create_channel(gen);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id.rfind("ch_", 0), 0u);

  channel_row dup = given;
  dup.id.clear();
  auto c = s->create_channel(dup);
  EXPECT_FALSE(c);
  EXPECT_EQ(c.error().code, errc::conflict);

  channel_row orphan = given;
  orphan.id.clear();
  orphan.room_id = "room_missing";
  auto d = s->create_channel(orphan);
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::not_found);

  auto list = s->list_channels(room).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].slug, "general");
  EXPECT_EQ(list[0].name, "General");
  EXPECT_EQ(list[0].visibility, channel_visibility::public_);
  EXPECT_EQ(list[0].created_by, alice);
  EXPECT_EQ(list[1].slug, "random");
  EXPECT_TRUE(s->list_channels("room_missing").value().empty());
  // A visibility written behind the store's back fails the read instead of passing
  // for one it knows.
  exec("UPDATE channels SET visibility = 'secret' WHERE id = 'ch_given'");
  auto unreadable = s->list_channels(room);
  EXPECT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, errc::internal);
}

// -- schema versions 2, 3 and 4 -------------------------------------------------------

TEST_F(SqliteStoreTest, MigratesVersionOneDatabase) {
  ASSERT_GE(migrations().size(), 2u);
  ASSERT_EQ(migrations()[0].version, 1);
  {
    // A database as a version-1 build left it, with a user and an API token.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    const std::string v1{migrations()[0].sql};
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    migrations()[0].seed(db);
    const std::string rows =
        "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
        "INSERT INTO tokens (id, user_id, name, hash, created_at) VALUES ('tok_old', 'usr_old',"
        " 'legacy', '" +
        sha256_hex("old-secret") + "', 2); PRAGMA user_version = 1;";
    ASSERT_EQ(sqlite3_exec(db, rows.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(schema_version(db), 1);
    sqlite3_close(db);
  }

  auto s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 2);
  EXPECT_EQ(text_scalar("SELECT kind FROM tokens WHERE id = 'tok_old'"), "api");
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE expires_at IS NULL"), 1);
  for (const char* table : {"whitelist", "access_requests", "notifications", "agents", "apps",
                            "app_allowlist", "room_bots"})
    EXPECT_EQ(scalar(std::string{"SELECT count(*) FROM "} + table), 0) << table;

  // The old token still authenticates and is listed as an API token.
  auto cred = s->find_credential(sha256_hex("old-secret"));
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->token_id, "tok_old");
  EXPECT_EQ(cred->user.login, "old");
  auto listed = s->list_tokens("usr_old").value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].kind, token_kind::api);
  EXPECT_FALSE(listed[0].expires_at.has_value());

  // New tables work on the migrated file, and the lobby was not seeded twice.
  const auto lobby = room_of(*s);
  whitelist_row w;
  w.room_id = lobby;
  w.login = "old";
  EXPECT_TRUE(s->add_whitelist(w));
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 1);

  // Reopening a migrated file changes nothing.
  s.reset();
  s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  EXPECT_EQ(s->list_whitelist(lobby).value().size(), 1u);
}

TEST_F(SqliteStoreTest, MigratesVersionTwoDatabase) {
  ASSERT_GE(migrations().size(), 3u);
  ASSERT_EQ(migrations()[1].version, 2);
  {
    // A database as a version-2 build left it: a user with a session, a whitelist
    // entry and a notification.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    for (int i = 0; i < 2; ++i) {
      const std::string sql{migrations()[i].sql};
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      if (migrations()[i].seed != nullptr) migrations()[i].seed(db);
    }
    const std::string rows =
        "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
        "INSERT INTO tokens (id, user_id, name, hash, created_at, kind, expires_at) VALUES"
        " ('tok_old', 'usr_old', 'browser', '" +
        sha256_hex("old-session") + "', 2, 'session', " + std::to_string(now_ms() + 3600000) +
        ");"
        "INSERT INTO whitelist (id, room_id, login, created_at)"
        " SELECT 'wl_old', id, 'old', 3 FROM rooms WHERE slug = 'lobby';"
        "INSERT INTO notifications (id, user_id, kind, created_at)"
        " VALUES ('ntf_old', 'usr_old', 'access_request', 4);"
        "PRAGMA user_version = 2;";
    ASSERT_EQ(sqlite3_exec(db, rows.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(schema_version(db), 2);
    sqlite3_close(db);
  }

  auto s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 3);
  for (const char* table : {"agents", "apps", "app_allowlist"})
    EXPECT_EQ(scalar(std::string{"SELECT count(*) FROM "} + table), 0) << table;

  // Version-2 data is untouched and the lobby was not seeded again.
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 1);
  auto cred = s->find_credential(sha256_hex("old-session"));
  ASSERT_TRUE(cred) << cred.error().message;
  EXPECT_EQ(cred->token_id, "tok_old");
  const auto lobby = room_of(*s);
  auto listed = s->list_whitelist(lobby).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].id, "wl_old");
  EXPECT_EQ(s->list_notifications("usr_old", 10).value().size(), 1u);

  // The agent relay tables work on the migrated file.
  agent_row a;
  a.agent_id = "migrated";
  ASSERT_TRUE(s->create_agent(a, sha256_hex("rla_migrated")));
  app_row app;
  app.app_id = "console";
  app.allowlist = {"migrated"};
  ASSERT_TRUE(s->create_app(app, sha256_hex("rlk_console_s")));
  auto again = s->create_app(app, sha256_hex("rlk_console_t"));  // constraints are there
  EXPECT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::conflict);

  // Reopening a migrated file changes nothing.
  s.reset();
  s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  auto found = s->find_app_by_token_hash(sha256_hex("rlk_console_s"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->allowlist, (std::vector<std::string>{"migrated"}));
  EXPECT_EQ(s->list_agents().value().size(), 1u);
}

TEST_F(SqliteStoreTest, MigratesVersionThreeDatabase) {
  ASSERT_GE(migrations().size(), 4u);
  ASSERT_EQ(migrations()[2].version, 3);
  ASSERT_EQ(migrations()[3].version, 4);
  {
    // A database as a version-3 build left it: a user, an agent and an app allowed to
    // address it.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    for (int i = 0; i < 3; ++i) {
      const std::string sql{migrations()[i].sql};
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      if (migrations()[i].seed != nullptr) migrations()[i].seed(db);
    }
    const std::string rows =
        "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
        "INSERT INTO agents (agent_id, name, token_hash, created_at) VALUES"
        " ('helper', 'Helper', '" +
        sha256_hex("rla_helper") +
        "', 2);"
        "INSERT INTO apps (app_id, name, token_hash, created_at) VALUES ('console', 'Console', '" +
        sha256_hex("rlk_console_s") +
        "', 3);"
        "INSERT INTO app_allowlist (app_id, agent_id) VALUES ('console', 'helper');"
        "PRAGMA user_version = 3;";
    ASSERT_EQ(sqlite3_exec(db, rows.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(schema_version(db), 3);
    sqlite3_close(db);
  }

  auto s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 4);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);

  // Version-3 data is untouched and the lobby was not seeded again.
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 1);
  auto old = s->find_user_by_login("old");
  ASSERT_TRUE(old) << old.error().message;
  EXPECT_EQ(old->id, "usr_old");
  auto agent = s->find_agent_by_token_hash(sha256_hex("rla_helper"));
  ASSERT_TRUE(agent) << agent.error().message;
  EXPECT_EQ(agent->agent_id, "helper");
  auto app = s->find_app_by_token_hash(sha256_hex("rlk_console_s"));
  ASSERT_TRUE(app.has_value());
  EXPECT_EQ(app->allowlist, (std::vector<std::string>{"helper"}));

  // Room bots work on the migrated file, bound to the migrated agent, and the login check
  // sees the migrated user.
  const auto lobby = room_of(*s);
  auto bot = s->create_bot(lobby, "helper-bot", "Helper", "helper", "helper:");
  ASSERT_TRUE(bot) << bot.error().message;
  EXPECT_EQ(s->create_bot(lobby, "OLD", "", "", "").error().code, errc::conflict);
  EXPECT_EQ(s->create_bot("room_missing", "orphan", "", "", "").error().code, errc::not_found);

  // Reopening a migrated file changes nothing.
  s.reset();
  s = open();
  EXPECT_EQ(scalar("PRAGMA user_version"), latest_schema_version());
  auto bots = s->list_bots(lobby).value();
  ASSERT_EQ(bots.size(), 1u);
  EXPECT_EQ(bots[0].user.login, "helper-bot");
  EXPECT_EQ(bots[0].agent_id, "helper");
  EXPECT_EQ(bots[0].prefix, "helper:");
}

TEST_P(StoreTest, SessionTokensExpireAndAreNotListed) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto now = now_ms();

  auto api = s->create_token(alice, "laptop", sha256_hex("api"));
  ASSERT_TRUE(api) << api.error().message;
  ASSERT_FALSE(api->id.empty());
  EXPECT_EQ(api->kind, token_kind::api);
  EXPECT_FALSE(api->expires_at.has_value());

  auto live =
      s->create_token(alice, "browser", sha256_hex("live"), token_kind::session, now + 3'600'000);
  ASSERT_TRUE(live) << live.error().message;
  ASSERT_FALSE(live->id.empty());
  EXPECT_EQ(live->kind, token_kind::session);
  EXPECT_EQ(live->expires_at, std::optional<std::int64_t>{now + 3'600'000});
  auto expired =
      s->create_token(alice, "old browser", sha256_hex("expired"), token_kind::session, now - 1);
  ASSERT_TRUE(expired) << expired.error().message;
  ASSERT_FALSE(expired->id.empty());
  auto ended = s->create_token(alice, "older", sha256_hex("ended"), token_kind::session, 1000);
  ASSERT_TRUE(ended) << ended.error().message;
  ASSERT_FALSE(ended->id.empty());
  // Expiry applies to any kind of token.
  auto api_expired =
      s->create_token(alice, "ci", sha256_hex("api-expired"), token_kind::api, now - 10);
  ASSERT_TRUE(api_expired) << api_expired.error().message;
  ASSERT_FALSE(api_expired->id.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE kind = 'session'"), 3);

  auto cred = s->find_credential(sha256_hex("live"));
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->token_id, live->id);
  EXPECT_EQ(cred->user.id, alice);
  EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex("live")).has_value());
  EXPECT_TRUE(s->find_credential(sha256_hex("api")).has_value());

  for (const char* secret : {"expired", "ended", "api-expired"}) {
    EXPECT_FALSE(s->find_credential(sha256_hex(secret)).has_value()) << secret;
    EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex(secret)).not_found()) << secret;
  }

  // Sessions are not listed as API tokens.
  auto listed = s->list_tokens(alice).value();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, api->id);
  EXPECT_EQ(listed[1].id, api_expired->id);
  for (const auto& t : listed) EXPECT_EQ(t.kind, token_kind::api);
  EXPECT_EQ(listed[1].expires_at, std::optional<std::int64_t>{now - 10});

  // A session is revoked like a token.
  EXPECT_TRUE(s->revoke_token(alice, live->id));
  EXPECT_FALSE(s->find_credential(sha256_hex("live")).has_value());

  // The kind is a token_kind, so no call can ask for another: "cookie" does not parse.
  EXPECT_FALSE(parse_token_kind("cookie").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens"), 5);
}

TEST_P(StoreTest, UpsertOAuthUserCreatesRefreshesAndAvoidsTakenLogins) {
  auto s = open();
  oauth_profile p;
  p.github_id = 4242;
  p.login = "octo";
  p.name = "Octo Cat";
  p.avatar_url = "https://avatars.example/1";
  p.email = "octo@example.com";
  auto made = s->upsert_oauth_user(p);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(made->login, "octo");
  EXPECT_EQ(made->github_id, std::optional<std::int64_t>{4242});
  EXPECT_EQ(made->avatar_url, "https://avatars.example/1");
  EXPECT_GT(made->created_at, 0);

  // Same provider id: the profile is refreshed, the login kept.
  oauth_profile again = p;
  again.login = "octo-renamed";
  again.name = "Octo Renamed";
  again.avatar_url = "https://avatars.example/2";
  again.email = "new@example.com";
  auto refreshed = s->upsert_oauth_user(again);
  ASSERT_TRUE(refreshed) << refreshed.error().message;
  EXPECT_EQ(refreshed->id, made->id);
  EXPECT_EQ(refreshed->login, "octo");
  EXPECT_EQ(refreshed->name, "Octo Renamed");
  EXPECT_EQ(refreshed->avatar_url, "https://avatars.example/2");
  EXPECT_EQ(refreshed->email, "new@example.com");
  EXPECT_EQ(refreshed->created_at, made->created_at);
  auto stored = s->find_user(made->id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->name, "Octo Renamed");

  // A hidden email (none reported) keeps the known one.
  again.email.clear();
  auto hidden = s->upsert_oauth_user(again);
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->email, "new@example.com");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);

  // A new account whose login is taken (without case) by another user.
  user(*s, "alice");
  oauth_profile other;
  other.github_id = 99;
  other.login = "ALICE";
  auto suffixed = s->upsert_oauth_user(other);
  ASSERT_TRUE(suffixed) << suffixed.error().message;
  EXPECT_EQ(suffixed->login, "ALICE-99");
  EXPECT_EQ(suffixed->github_id, std::optional<std::int64_t>{99});
  EXPECT_EQ(s->find_user_by_login("alice")->github_id, std::nullopt);
  // ... and its second sign-in finds it by provider id, not by login.
  auto second = s->upsert_oauth_user(other);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, suffixed->id);
  EXPECT_EQ(second->login, "ALICE-99");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 3);

  oauth_profile empty;
  auto missing = s->upsert_oauth_user(empty);
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::missing_field);
}

TEST_P(StoreTest, FindUsersByLoginsIsCaseInsensitive) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "Bob");
  user(*s, "carol");

  auto found = s->find_users_by_logins({"ALICE", "bob", "nobody", "Alice", ""}).value();
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, alice);
  EXPECT_EQ(found[1].id, bob);
  EXPECT_EQ(found[1].login, "Bob");
  EXPECT_EQ(found[0].name, "alice name");

  EXPECT_TRUE(s->find_users_by_logins({}).value().empty());
  EXPECT_TRUE(s->find_users_by_logins({"nobody"}).value().empty());

  // Long lists are split below SQLite's parameter limit.
  std::vector<std::string> many;
  for (int i = 0; i < 1500; ++i) many.push_back("ghost" + std::to_string(i));
  many.push_back("CAROL");
  many.insert(many.begin() + 700, "alice");
  auto lots = s->find_users_by_logins(many).value();
  EXPECT_EQ(logins_of(lots), (std::vector<std::string>{"alice", "carol"}));
}

// -- rooms -------------------------------------------------------------------------

TEST_P(StoreTest, RoomsCreateAndUpdate) {
  auto s = open();
  const auto alice = user(*s, "alice");

  room_row r;
  r.slug = "team";
  r.display_name = "The Team";
  r.description = "work";
  r.owner_id = alice;
  r.whitelist_only = true;
  auto made = s->create_room(r);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(made->id.rfind("room_", 0), 0u);
  EXPECT_GT(made->created_at, 0);
  EXPECT_EQ(made->accent_colors, "[]");
  auto found = s->find_room_by_slug("team");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, made->id);
  EXPECT_EQ(found->display_name, "The Team");
  EXPECT_EQ(found->description, "work");
  EXPECT_EQ(found->owner_id, std::optional<std::string>{alice});
  EXPECT_TRUE(found->whitelist_only);
  EXPECT_EQ(found->accent_colors, "[]");

  auto dup = s->create_room(r);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_NE(dup.error().message.find("team"), std::string::npos) << dup.error().message;
  room_row lobby_again;
  lobby_again.slug = "lobby";
  EXPECT_EQ(s->create_room(lobby_again).error().code, errc::conflict);
  room_row orphan;
  orphan.slug = "orphan";
  orphan.owner_id = "usr_missing";
  EXPECT_EQ(s->create_room(orphan).error().code, errc::not_found);
  room_row no_slug;
  EXPECT_EQ(s->create_room(no_slug).error().code, errc::missing_field);
  EXPECT_EQ(scalar("SELECT count(*) FROM rooms"), 2);

  room_patch patch;
  patch.display_name = "Renamed";
  patch.accent_colors = "[\"#112233\"]";
  patch.whitelist_only = false;
  auto updated = s->update_room(made->id, patch);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->display_name, "Renamed");
  EXPECT_EQ(updated->accent_colors, "[\"#112233\"]");
  EXPECT_FALSE(updated->whitelist_only);
  EXPECT_EQ(updated->slug, "team");         // unset: unchanged
  EXPECT_EQ(updated->description, "work");  // unset: unchanged
  EXPECT_EQ(updated->owner_id, std::optional<std::string>{alice});

  room_patch taken;
  taken.slug = "lobby";
  taken.description = "should not stick";
  auto clash = s->update_room(made->id, taken);
  EXPECT_FALSE(clash);
  EXPECT_EQ(clash.error().code, errc::conflict);
  EXPECT_EQ(s->find_room_by_slug("team")->description, "work");

  room_patch move;
  move.slug = "crew";
  move.avatar_url = "https://img.example/crew.png";
  auto moved = s->update_room(made->id, move);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->slug, "crew");
  EXPECT_FALSE(s->find_room_by_slug("team").has_value());
  EXPECT_EQ(s->find_room_by_slug("crew")->avatar_url, "https://img.example/crew.png");

  auto unchanged = s->update_room(made->id, room_patch{});
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(unchanged->slug, "crew");

  EXPECT_EQ(s->update_room("room_missing", patch).error().code, errc::not_found);
  EXPECT_EQ(s->update_room("room_missing", room_patch{}).error().code, errc::not_found);
  room_patch empty_slug;
  empty_slug.slug = "";
  EXPECT_EQ(s->update_room(made->id, empty_slug).error().code, errc::missing_field);
}

// -- channels with members ----------------------------------------------------------

TEST_P(StoreTest, CreateChannelWithMembersIsAtomic) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");

  auto made = s->create_channel(channel(room, "crew", alice), {alice, bob, alice, bob});
  ASSERT_TRUE(made) << made.error().message;
  auto members = s->list_channel_members(room).value();
  ASSERT_EQ(members.size(), 2u);
  for (const auto& m : members) EXPECT_EQ(m.channel_id, made->id);
  std::set<std::string> ids{members[0].user_id, members[1].user_id};
  EXPECT_EQ(ids, (std::set<std::string>{alice, bob}));

  // An unknown member undoes the channel too.
  auto bad = s->create_channel(channel(room, "ghosts", alice), {alice, "usr_missing"});
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'ghosts'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members"), 2);

  // A taken slug keeps the original's members.
  auto dup = s->create_channel(channel(room, "crew", bob), {bob});
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_EQ(s->list_channel_members(room).value().size(), 2u);

  // Inside the writer's transaction: a failed call leaves the others' work in place.
  ASSERT_TRUE(s->begin());
  auto kept = s->create_channel(channel(room, "kept", alice), {bob});
  ASSERT_TRUE(kept) << kept.error().message;
  EXPECT_FALSE(s->create_channel(channel(room, "failed", alice), {"usr_missing"}));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'kept'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'failed'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + kept->id + "'"),
            1);

  // ... and rolling the transaction back discards the channel and its members.
  s->begin();
  ASSERT_TRUE(s->create_channel(channel(room, "gone", alice), {alice}));
  s->rollback();
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'gone'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members"), 3);

  // Memberships are per room.
  const auto other = new_room(*s, "other", alice);
  ASSERT_TRUE(s->create_channel(channel(other, "side", alice), {alice}));
  EXPECT_EQ(s->list_channel_members(room).value().size(), 3u);
  auto side = s->list_channel_members(other).value();
  ASSERT_EQ(side.size(), 1u);
  EXPECT_EQ(side[0].user_id, alice);
  EXPECT_TRUE(s->list_channel_members("room_missing").value().empty());
}

TEST_P(StoreTest, DeleteChannelWipesMembersMessagesAndSeq) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  auto doomed = s->create_channel(channel(room, "doomed", alice), {alice, bob});
  auto kept = s->create_channel(channel(room, "kept", alice), {alice});
  ASSERT_TRUE(doomed && kept);
  const auto d = doomed->id;
  const auto k = kept->id;
  s->begin();
  for (int i = 0; i < 3; ++i) {
    s->append_message(msg(room, d, alice, "bye " + std::to_string(i)));
    s->append_message(msg(room, k, bob, "stay " + std::to_string(i)));
  }
  s->append_message(msg(room, room_thread, bob, "lobby"));
  s->commit();
  ASSERT_EQ(s->last_seq(room, d).value(), 3);

  // A failure part-way leaves everything in place.
  exec(
      "CREATE TRIGGER block_seq_delete BEFORE DELETE ON channel_seqs"
      " BEGIN SELECT RAISE(ABORT, 'blocked'); END");
  auto blocked = s->delete_channel(d);
  EXPECT_FALSE(blocked);
  EXPECT_TRUE(blocked.error());
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE id = '" + d + "'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + d + "'"), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE channel_id = '" + d + "'"), 3);
  exec("DROP TRIGGER block_seq_delete");

  auto deleted = s->delete_channel(d);
  EXPECT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_seqs WHERE channel_id = '" + d + "'"), 0);
  EXPECT_EQ(s->last_seq(room, d).value(), 0);
  EXPECT_TRUE(s->tail(room, d, 10).value().empty());

  // Other channels and the room thread are untouched.
  EXPECT_EQ(s->tail(room, k, 10).value().size(), 3u);
  EXPECT_EQ(s->last_seq(room, k).value(), 3);
  EXPECT_EQ(s->tail(room, room_thread, 10).value().size(), 1u);
  EXPECT_EQ(s->list_channel_members(room).value().size(), 1u);
  auto channels = s->list_channels(room).value();
  ASSERT_EQ(channels.size(), 1u);
  EXPECT_EQ(channels[0].id, k);

  EXPECT_TRUE(s->delete_channel(d).not_found());
  EXPECT_FALSE(s->delete_channel(room_thread));

  // Inside a transaction that is rolled back, the deletion does not stick.
  s->begin();
  EXPECT_TRUE(s->delete_channel(k));
  s->rollback();
  EXPECT_EQ(s->list_channels(room).value().size(), 1u);
  EXPECT_EQ(s->tail(room, k, 10).value().size(), 3u);
}

TEST_P(StoreTest, ListRoomMembersUnitesAuthorsMembersWhitelistAndOwner) {
  auto s = open();
  const auto owner = user(*s, "zed");
  const auto author = user(*s, "Mallory");
  const auto member = user(*s, "bob");
  const auto by_login = user(*s, "carol");
  const auto by_email = user(*s, "dave");   // dave@example.com
  user(*s, "eve");                          // unrelated
  const auto outsider = user(*s, "frank");  // speaks elsewhere only
  const auto room = new_room(*s, "team", owner);
  const auto elsewhere = new_room(*s, "elsewhere", outsider);

  append(*s, msg(room, room_thread, author, "hi"));
  append(*s, msg(room, room_thread, author, "again"));
  append(*s, msg(room, room_thread, "usr_bot_yee", "yee"));  // no users row
  append(*s, msg(elsewhere, room_thread, outsider, "elsewhere"));
  ASSERT_TRUE(s->create_channel(channel(room, "crew", owner), {member, author}));
  whitelist_row w;
  w.room_id = room;
  w.login = "CAROL";
  ASSERT_TRUE(s->add_whitelist(w));
  w.login.clear();
  w.email = "Dave@Example.COM";
  ASSERT_TRUE(s->add_whitelist(w));
  w.email = "nobody@example.com";  // matches no user
  ASSERT_TRUE(s->add_whitelist(w));

  auto members = s->list_room_members(room).value();
  EXPECT_EQ(logins_of(members),
            (std::vector<std::string>{"bob", "carol", "dave", "Mallory", "zed"}));
  std::set<std::string> ids;
  for (const auto& u : members) ids.insert(u.id);
  EXPECT_EQ(ids, (std::set<std::string>{owner, author, member, by_login, by_email}));
  EXPECT_EQ(members[0].name, "bob name");

  EXPECT_EQ(logins_of(s->list_room_members(elsewhere).value()),
            (std::vector<std::string>{"frank"}));
  // The lobby has no owner; only its speakers.
  EXPECT_TRUE(s->list_room_members(room_of(*s)).value().empty());
  EXPECT_TRUE(s->list_room_members("room_missing").value().empty());
}

// -- whitelist and access requests ------------------------------------------------------

TEST_P(StoreTest, WhitelistIsCaseInsensitivePerRoom) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "team", alice);
  const auto other = new_room(*s, "other", alice);

  whitelist_row w;
  w.room_id = room;
  w.login = "Carol";
  w.note = "from the offsite";
  w.added_by = alice;
  w.created_at = 1000;
  auto a = s->add_whitelist(w);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->id.rfind("wl_", 0), 0u);
  EXPECT_EQ(a->created_at, 1000);

  whitelist_row same = w;
  same.login = "CAROL";
  auto dup = s->add_whitelist(same);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_NE(dup.error().message.find("login"), std::string::npos) << dup.error().message;

  whitelist_row mail;
  mail.room_id = room;
  mail.email = "Dave@Example.com";
  auto b = s->add_whitelist(mail);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_GT(b->created_at, 0);
  mail.email = "dave@EXAMPLE.com";
  auto dup_mail = s->add_whitelist(mail);
  EXPECT_EQ(dup_mail.error().code, errc::conflict);
  EXPECT_NE(dup_mail.error().message.find("email"), std::string::npos) << dup_mail.error().message;

  // Another room has its own list.
  same.room_id = other;
  EXPECT_TRUE(s->add_whitelist(same));

  whitelist_row none;
  none.room_id = room;
  EXPECT_EQ(s->add_whitelist(none).error().code, errc::missing_field);
  whitelist_row orphan;
  orphan.room_id = "room_missing";
  orphan.login = "x";
  EXPECT_EQ(s->add_whitelist(orphan).error().code, errc::not_found);

  auto list = s->list_whitelist(room).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, a->id);
  EXPECT_EQ(list[0].login, "Carol");
  EXPECT_EQ(list[0].email, "");
  EXPECT_EQ(list[0].note, "from the offsite");
  EXPECT_EQ(list[0].added_by, alice);
  EXPECT_EQ(list[1].login, "");
  EXPECT_EQ(list[1].email, "Dave@Example.com");
  EXPECT_EQ(s->list_whitelist(other).value().size(), 1u);

  // Removing needs the right room.
  EXPECT_FALSE(s->remove_whitelist(other, a->id).has_value());
  EXPECT_EQ(s->list_whitelist(room).value().size(), 2u);
  auto removed = s->remove_whitelist(room, a->id);
  ASSERT_TRUE(removed.has_value());
  EXPECT_EQ(removed->login, "Carol");
  EXPECT_EQ(removed->note, "from the offsite");
  EXPECT_TRUE(s->remove_whitelist(room, a->id).not_found());
  EXPECT_EQ(s->list_whitelist(room).value().size(), 1u);
  // The login is free again.
  same.room_id = room;
  EXPECT_TRUE(s->add_whitelist(same));
}

TEST_P(StoreTest, AccessRequestsCreateListDecide) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "Bob");
  const auto carol = user(*s, "carol");
  const auto room = new_room(*s, "team", owner);
  const auto other = new_room(*s, "other", owner);

  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  rq.note = "let me in";
  rq.created_at = 1000;
  auto b = s->create_access_request(rq);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id.rfind("arq_", 0), 0u);
  EXPECT_EQ(b->state, request_state::pending);
  EXPECT_EQ(b->login, "Bob");
  EXPECT_EQ(b->note, "let me in");
  EXPECT_FALSE(b->decided_at.has_value());

  auto dup = s->create_access_request(rq);
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  rq.room_id = other;  // pending elsewhere is fine
  ASSERT_TRUE(s->create_access_request(rq));
  rq.room_id = room;
  rq.user_id = carol;
  rq.created_at = 2000;
  auto c = s->create_access_request(rq);
  ASSERT_TRUE(c) << c.error().message;
  rq.user_id = "usr_missing";
  EXPECT_EQ(s->create_access_request(rq).error().code, errc::not_found);

  auto pending = s->list_access_requests(room, request_state::pending).value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, b->id);  // oldest first
  EXPECT_EQ(pending[0].login, "Bob");
  EXPECT_EQ(pending[1].id, c->id);
  EXPECT_EQ(pending[1].login, "carol");

  // Deny: no whitelist entry; a new request may follow.
  auto denied = s->decide_access_request(room, c->id, false, owner, 5000);
  ASSERT_TRUE(denied) << denied.error().message;
  EXPECT_EQ(denied->state, request_state::denied);
  EXPECT_EQ(denied->decided_at, std::optional<std::int64_t>{5000});
  EXPECT_EQ(denied->decided_by, owner);
  EXPECT_EQ(denied->login, "carol");
  EXPECT_TRUE(s->list_whitelist(room).value().empty());
  EXPECT_EQ(s->decide_access_request(room, c->id, true, owner, 6000).error().code, errc::conflict);
  EXPECT_TRUE(s->list_whitelist(room).value().empty());
  rq.user_id = carol;
  rq.created_at = 3000;
  ASSERT_TRUE(s->create_access_request(rq));

  // Another room's id, or an unknown one, is not found.
  EXPECT_EQ(s->decide_access_request(other, b->id, true, owner, 6000).error().code,
            errc::not_found);
  EXPECT_EQ(s->decide_access_request(room, "arq_missing", true, owner, 6000).error().code,
            errc::not_found);

  // Approve: the request and a whitelist entry for the requester's login.
  auto approved = s->decide_access_request(room, b->id, true, owner, 7000);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, request_state::approved);
  EXPECT_EQ(approved->decided_at, std::optional<std::int64_t>{7000});
  auto listed = s->list_whitelist(room).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].login, "Bob");
  EXPECT_EQ(listed[0].added_by, owner);
  EXPECT_EQ(listed[0].created_at, 7000);

  // Approving twice conflicts and adds nothing.
  auto twice = s->decide_access_request(room, b->id, true, owner, 8000);
  EXPECT_FALSE(twice);
  EXPECT_EQ(twice.error().code, errc::conflict);
  EXPECT_NE(twice.error().message.find("approved"), std::string::npos) << twice.error().message;
  EXPECT_EQ(s->list_whitelist(room).value().size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist"), 1);

  auto all = s->list_access_requests(room, std::nullopt).value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].state, request_state::approved);
  EXPECT_EQ(all[1].state, request_state::denied);
  EXPECT_EQ(all[2].state, request_state::pending);
  EXPECT_EQ(s->list_access_requests(room, request_state::denied).value().size(), 1u);
  EXPECT_EQ(s->list_access_requests(other, request_state::pending).value().size(), 1u);
  EXPECT_TRUE(s->list_access_requests("room_missing", std::nullopt).value().empty());
}

TEST_P(StoreTest, ApprovingAnAlreadyListedLoginKeepsOneEntry) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "bob");
  const auto room = new_room(*s, "team", owner);
  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  auto r = s->create_access_request(rq);
  ASSERT_TRUE(r);
  whitelist_row w;
  w.room_id = room;
  w.login = "BOB";
  w.note = "added by hand";
  ASSERT_TRUE(s->add_whitelist(w));

  auto approved = s->decide_access_request(room, r->id, true, owner, 0);
  ASSERT_TRUE(approved) << approved.error().message;
  EXPECT_EQ(approved->state, request_state::approved);
  EXPECT_GT(approved->decided_at.value_or(0), 0);  // 0 means now
  auto listed = s->list_whitelist(room).value();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].note, "added by hand");
}

TEST_P(StoreTest, ApproveIsAtomic) {
  auto s = open();
  const auto owner = user(*s, "owner");
  const auto bob = user(*s, "bob");
  const auto room = new_room(*s, "team", owner);
  access_request_row rq;
  rq.room_id = room;
  rq.user_id = bob;
  auto r = s->create_access_request(rq);
  ASSERT_TRUE(r);

  // The whitelist insert fails: the state change must not stick either.
  exec(
      "CREATE TRIGGER block_whitelist BEFORE INSERT ON whitelist"
      " BEGIN SELECT RAISE(ABORT, 'blocked'); END");
  auto failed = s->decide_access_request(room, r->id, true, owner, 5000);
  EXPECT_FALSE(failed);
  EXPECT_TRUE(failed.error());
  auto pending = s->list_access_requests(room, request_state::pending).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_FALSE(pending[0].decided_at.has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist"), 0);

  // Same inside the writer's transaction: the rest of it still commits.
  s->begin();
  auto side = s->create_channel(channel(room, "side", owner));
  ASSERT_TRUE(side);
  EXPECT_FALSE(s->decide_access_request(room, r->id, true, owner, 5000));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->list_access_requests(room, request_state::pending).value().size(), 1u);
  EXPECT_EQ(s->list_channels(room).value().size(), 1u);
  exec("DROP TRIGGER block_whitelist");

  s->begin();
  auto ok = s->decide_access_request(room, r->id, true, owner, 6000);
  s->commit();
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(s->list_access_requests(room, request_state::approved).value().size(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM whitelist WHERE login = 'bob'"), 1);
}

// -- notifications --------------------------------------------------------------------

TEST_P(StoreTest, NotificationsNewestFirstPerUser) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");

  notification_row n;
  n.user_id = alice;
  n.kind = "access_request";
  n.room_id = "room_x";
  n.ref_id = "arq_1";
  n.body = R"({"login":"bob"})";
  n.created_at = 1000;
  auto first = s->create_notification(n).value();
  ASSERT_FALSE(first.id.empty());
  EXPECT_EQ(first.id.rfind("ntf_", 0), 0u);
  EXPECT_EQ(first.state, "unread");
  n.created_at = 3000;
  n.ref_id = "arq_3";
  auto third = s->create_notification(n).value();
  n.created_at = 2000;
  n.ref_id = "arq_2";
  n.state = "read";
  auto second = s->create_notification(n).value();
  notification_row minimal;
  minimal.user_id = bob;
  minimal.kind = "welcome";
  auto bobs = s->create_notification(minimal);
  ASSERT_TRUE(bobs) << bobs.error().message;
  ASSERT_FALSE(bobs->id.empty());
  EXPECT_GT(bobs->created_at, 0);
  EXPECT_EQ(bobs->body, "{}");
  EXPECT_EQ(bobs->state, "unread");

  auto list = s->list_notifications(alice, 10).value();
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].id, third.id);
  EXPECT_EQ(list[1].id, second.id);
  EXPECT_EQ(list[2].id, first.id);
  EXPECT_EQ(list[1].state, "read");
  EXPECT_EQ(list[0].kind, "access_request");
  EXPECT_EQ(list[0].room_id, "room_x");
  EXPECT_EQ(list[0].ref_id, "arq_3");
  EXPECT_EQ(list[0].body, R"({"login":"bob"})");
  EXPECT_EQ(list[0].user_id, alice);

  auto top = s->list_notifications(alice, 2).value();
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].id, third.id);
  EXPECT_EQ(top[1].id, second.id);
  EXPECT_TRUE(s->list_notifications(alice, 0).value().empty());

  auto theirs = s->list_notifications(bob, 10).value();
  ASSERT_EQ(theirs.size(), 1u);
  EXPECT_EQ(theirs[0].kind, "welcome");
  EXPECT_EQ(theirs[0].room_id, "");

  notification_row orphan = minimal;
  orphan.user_id = "usr_missing";
  EXPECT_EQ(s->create_notification(orphan).error().code, errc::not_found);
  notification_row kindless;
  kindless.user_id = alice;
  EXPECT_EQ(s->create_notification(kindless).error().code, errc::missing_field);
}

// -- messages -----------------------------------------------------------------------

TEST_P(StoreTest, AppendAssignsSeqPerChannel) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const std::vector<std::string> channels = {"ch_a", "ch_b", room_thread};

  std::map<std::string, std::vector<std::int64_t>> seqs;
  s->begin();
  for (int round = 0; round < 3; ++round) {
    for (const auto& ch : channels) {
      auto appended = s->append_message(msg(room, ch, alice, "hi " + std::to_string(round)));
      ASSERT_TRUE(appended) << appended.error().message;
      auto& r = *appended;
      EXPECT_FALSE(r.duplicate);
      EXPECT_EQ(r.message.channel_id, ch);
      EXPECT_EQ(r.message.room_id, room);
      seqs[ch].push_back(r.message.seq);
    }
  }
  s->commit();
  for (const auto& ch : channels) {
    EXPECT_EQ(seqs[ch], (std::vector<std::int64_t>{1, 2, 3})) << "channel '" << ch << "'";
    EXPECT_EQ(s->last_seq(room, ch).value(), 3);
  }
  EXPECT_EQ(s->last_seq(room, "ch_none").value(), 0);

  // Author profile is joined into the returned row.
  auto r = append(*s, msg(room, "ch_a", alice, "profile"));
  EXPECT_EQ(r.message.seq, 4);
  EXPECT_EQ(r.message.author.id, alice);
  EXPECT_EQ(r.message.author.login, "alice");
  EXPECT_EQ(r.message.author.name, "alice name");
  EXPECT_EQ(r.message.content, "profile");
  EXPECT_EQ(r.message.client_msg_id, "");
  EXPECT_FALSE(r.message.edited_at.has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE client_msg_id IS NULL"), 10);
}

TEST_P(StoreTest, DuplicateClientMsgIdReturnsOriginalWithoutBurningSeq) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");

  auto first = append(*s, msg(room, "ch_a", alice, "original", "c-1"));
  EXPECT_FALSE(first.duplicate);
  EXPECT_EQ(first.message.seq, 1);
  EXPECT_EQ(first.message.client_msg_id, "c-1");

  auto again = append(*s, msg(room, "ch_a", alice, "retry with other text", "c-1"));
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.message.id, first.message.id);
  EXPECT_EQ(again.message.content, "original");
  EXPECT_EQ(again.message.seq, 1);
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1);

  // Duplicates are per author; other authors may reuse the client id.
  auto other = append(*s, msg(room, "ch_a", bob, "bob's", "c-1"));
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.message.seq, 2);

  auto next = append(*s, msg(room, "ch_a", alice, "next", "c-2"));
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.message.seq, 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 3);
}

// The writer appends a whole batch in one transaction, without a savepoint per
// append: a rejected insert must still leave no row and no seq behind, and the row an
// append answers with (built in memory) must be the row the store reads back.
TEST_P(StoreTest, AppendsInOneBatchAnswerTheStoredRowAndARejectedOneLeavesNoTrace) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  auto bot = msg(room, "ch_a", alice, "hello", "c-1", 1'700'000'000'000);
  bot.bot = "yee";
  auto appended = s->append_message(bot);
  ASSERT_TRUE(appended) << appended.error().message;
  auto first = *appended;

  auto clash = msg(room, "ch_a", alice, "same id");
  clash.id = first.message.id;
  auto rejected = s->append_message(clash);
  EXPECT_EQ(rejected.error().code, errc::conflict);
  EXPECT_FALSE(rejected.has_value());

  auto dup = s->append_message(msg(room, "ch_a", alice, "resent", "c-1"));
  ASSERT_TRUE(dup) << dup.error().message;
  EXPECT_TRUE(dup->duplicate);
  auto appended_second = s->append_message(msg(room, "ch_a", alice, "second"));
  ASSERT_TRUE(appended_second) << appended_second.error().message;
  auto second = *appended_second;
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;

  EXPECT_EQ(first.message.seq, 1);
  EXPECT_EQ(second.message.seq, 2) << "the rejected insert and the duplicate took no seq";
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(text_scalar("SELECT content FROM messages WHERE seq = 1"), "hello");
  for (const auto* answered : {&first.message, &second.message}) {
    auto stored = s->find_message(answered->id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->seq, answered->seq);
    EXPECT_EQ(stored->room_id, answered->room_id);
    EXPECT_EQ(stored->channel_id, answered->channel_id);
    EXPECT_EQ(stored->author.id, answered->author.id);
    EXPECT_EQ(stored->author.login, answered->author.login);
    EXPECT_EQ(stored->author.name, answered->author.name);
    EXPECT_EQ(stored->author.avatar_url, answered->author.avatar_url);
    EXPECT_EQ(stored->content, answered->content);
    EXPECT_EQ(stored->client_msg_id, answered->client_msg_id);
    EXPECT_EQ(stored->created_at, answered->created_at);
    EXPECT_EQ(stored->edited_at, answered->edited_at);
    EXPECT_EQ(stored->thread_id, answered->thread_id);
    EXPECT_EQ(stored->bot, answered->bot);
  }
  EXPECT_EQ(first.message.author.name, "alice name");
  EXPECT_EQ(first.message.bot, "yee");
  EXPECT_EQ(first.message.created_at, 1'700'000'000'000);
}

// Seqs may be shown before their commit (live fan-out goes first), so each channel
// reserves seqs ahead. A writer that starts after a crash skips what was reserved; one
// that stopped cleanly released it, and the channel continues without a gap.
TEST_P(StoreTest, ReservedSeqsAreSkippedAfterACrashAndReleasedOnACleanStop) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  constexpr auto block = storage::sqlite_store::seq_reservation;
  auto first = append(*s, msg(room, "ch_a", alice, "1"));
  EXPECT_EQ(first.message.seq, 1);
  EXPECT_EQ(first.reserved, 1 + block);
  auto second = append(*s, msg(room, "ch_a", alice, "2"));
  EXPECT_EQ(second.reserved, 1 + block) << "reserved a block at a time";

  // A crash: the next writer skips the reservation.
  auto skipped = s->skip_reserved_seqs();
  ASSERT_TRUE(skipped) << skipped.error().message;
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1 + block);
  auto third = append(*s, msg(room, "ch_a", alice, "3"));
  EXPECT_EQ(third.message.seq, 2 + block);

  // A clean stop: nothing to skip next time.
  s->release_reserved_seqs();
  s->skip_reserved_seqs();
  auto fourth = append(*s, msg(room, "ch_a", alice, "4"));
  EXPECT_EQ(fourth.message.seq, 3 + block);

  // Seqs shown from a rolled-back batch stay burnt.
  auto floored = msg(room, "ch_a", alice, "5");
  floored.seq_floor = 10 + block;
  EXPECT_EQ(append(*s, floored).message.seq, 11 + block);
}

TEST_P(StoreTest, SeqContinuesAfterDeletingNewest) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  append(*s, msg(room, "ch_a", alice, "1"));
  append(*s, msg(room, "ch_a", alice, "2"));
  auto third = append(*s, msg(room, "ch_a", alice, "3"));
  ASSERT_EQ(third.message.seq, 3);

  s->begin();
  auto deleted = s->delete_message(third.message.id);
  s->commit();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 3);

  auto fourth = append(*s, msg(room, "ch_a", alice, "4"));
  EXPECT_EQ(fourth.message.seq, 4);
}

TEST_P(StoreTest, KeysetPaginationSeesEveryMessageOnceDespiteInserts) {
  auto s = open();
  auto other = open();  // a concurrent writer on its own connection
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");

  // Several messages share a created_at, so the id tiebreak is exercised.
  std::set<std::string> originals;
  s->begin();
  for (int i = 0; i < 53; ++i) {
    auto r = s->append_message(msg(room, i % 2 ? "ch_a" : room_thread, alice,
                                   "m" + std::to_string(i), "", 1'000'000 + i / 4))
                 .value();
    ASSERT_FALSE(r.message.id.empty());
    originals.insert(r.message.id);
  }
  s->commit();

  message_query q;
  q.room_id = room;
  q.limit = 7;
  std::vector<message_row> seen;
  int pages = 0;
  for (;;) {
    auto page = s->list_messages(q).value();
    ASSERT_LE(page.size(), 7u);
    if (page.empty()) break;
    ++pages;
    seen.insert(seen.end(), page.begin(), page.end());
    q.before_created_at = page.back().created_at;
    q.before_id = page.back().id;
    // New messages arrive between page reads, some with the same timestamp as the
    // cursor (clock skew between writers) but newer ids.
    append(*other, msg(room, "ch_a", alice, "late", "", page.back().created_at));
    append(*other, msg(room, room_thread, alice, "later", "", 2'000'000 + pages));
  }
  EXPECT_EQ(pages, 8);  // ceil(53 / 7)
  ASSERT_EQ(seen.size(), originals.size());
  std::set<std::string> ids;
  for (const auto& m : seen) {
    EXPECT_TRUE(originals.count(m.id)) << "unexpected " << m.content;
    EXPECT_TRUE(ids.insert(m.id).second) << "seen twice: " << m.id;
  }
  for (std::size_t i = 1; i < seen.size(); ++i) {
    const auto& a = seen[i - 1];
    const auto& b = seen[i];
    EXPECT_TRUE(a.created_at > b.created_at || (a.created_at == b.created_at && a.id > b.id))
        << "order broken at " << i;
  }
}

TEST_P(StoreTest, BeforeCreatedAtWithoutIdAndLimitClamp) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 0; i < 120; ++i) s->append_message(msg(room, "ch_a", alice, "x", "", 5000 + i));
  s->commit();

  message_query q;
  q.room_id = room;
  q.limit = 100000;
  EXPECT_EQ(s->list_messages(q).value().size(), 120u) << "clamped to max_query_rows, all 120 fit";
  q.limit = 100;
  EXPECT_EQ(s->list_messages(q).value().size(), 100u);
  q.limit = 0;
  auto one = s->list_messages(q).value();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].created_at, 5119);
  q.limit = -5;
  EXPECT_EQ(s->list_messages(q).value().size(), 1u);

  q.limit = 3;
  q.before_created_at = 5010;
  auto page = s->list_messages(q).value();
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].created_at, 5009);
  EXPECT_EQ(page[1].created_at, 5008);
  EXPECT_EQ(page[2].created_at, 5007);

  q.room_id = "room_other";
  EXPECT_TRUE(s->list_messages(q).value().empty());
}

TEST_P(StoreTest, AfterSeqReturnsOldestFirst) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 0; i < 10; ++i) s->append_message(msg(room, "ch_a", alice, std::to_string(i)));
  for (int i = 0; i < 3; ++i) s->append_message(msg(room, "ch_b", alice, "b"));
  s->commit();

  message_query q;
  q.room_id = room;
  q.channel_id = "ch_a";
  q.after_seq = 4;
  q.limit = 3;
  auto page = s->list_messages(q).value();
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 5);
  EXPECT_EQ(page[1].seq, 6);
  EXPECT_EQ(page[2].seq, 7);
  for (const auto& m : page) EXPECT_EQ(m.channel_id, "ch_a");

  q.after_seq = 8;
  q.limit = 50;
  page = s->list_messages(q).value();
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 9);
  EXPECT_EQ(page[1].seq, 10);

  q.after_seq = 10;
  EXPECT_TRUE(s->list_messages(q).value().empty());

  q.channel_ids = std::vector<std::string>{"ch_b"};  // ch_a not visible
  q.after_seq = 0;
  EXPECT_TRUE(s->list_messages(q).value().empty());

  message_query no_channel;
  no_channel.room_id = room;
  no_channel.after_seq = 0;
  EXPECT_EQ(s->list_messages(no_channel).error().code, errc::bad_request);
}

TEST_P(StoreTest, ChannelFilters) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 0; i < 4; ++i) {
    s->append_message(msg(room, "ch_a", alice, "a"));
    s->append_message(msg(room, "ch_b", alice, "b"));
    s->append_message(msg(room, "ch_c", alice, "c"));
    s->append_message(msg(room, room_thread, alice, "lobby"));
  }
  s->commit();

  auto channels_of = [](const std::vector<message_row>& rows) {
    std::map<std::string, int> out;
    for (const auto& m : rows) ++out[m.channel_id];
    return out;
  };

  message_query q;
  q.room_id = room;
  q.limit = 100;
  EXPECT_EQ(s->list_messages(q).value().size(), 16u);

  q.channel_ids = std::vector<std::string>{"ch_a", room_thread};
  EXPECT_EQ(channels_of(s->list_messages(q).value()),
            (std::map<std::string, int>{{"", 4}, {"ch_a", 4}}));

  q.channel_ids = std::vector<std::string>{};
  EXPECT_TRUE(s->list_messages(q).value().empty());

  q.channel_ids.reset();
  q.channel_id = room_thread;
  EXPECT_EQ(channels_of(s->list_messages(q).value()), (std::map<std::string, int>{{"", 4}}));

  q.channel_id = "ch_b";
  q.channel_ids = std::vector<std::string>{"ch_b", "ch_c"};
  EXPECT_EQ(channels_of(s->list_messages(q).value()), (std::map<std::string, int>{{"ch_b", 4}}));
  q.channel_ids = std::vector<std::string>{"ch_c"};
  EXPECT_TRUE(s->list_messages(q).value().empty());

  // The IN-list query is not cached, so it can run many times with varying sizes.
  q.channel_id.reset();
  for (int n = 1; n <= 3; ++n) {
    std::vector<std::string> set = {"ch_a", "ch_b", "ch_c"};
    set.resize(n);
    q.channel_ids = set;
    EXPECT_EQ(s->list_messages(q).value().size(), 4u * n);
  }
}

TEST_P(StoreTest, TailReturnsNewestOldestFirst) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 1; i <= 5; ++i) s->append_message(msg(room, "ch_a", alice, std::to_string(i)));
  s->append_message(msg(room, "ch_b", alice, "other"));
  s->commit();

  auto t = s->tail(room, "ch_a", 3).value();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].seq, 3);
  EXPECT_EQ(t[1].seq, 4);
  EXPECT_EQ(t[2].seq, 5);
  EXPECT_EQ(t[2].content, "5");

  auto all = s->tail(room, "ch_a", 10).value();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().seq, 1);
  EXPECT_EQ(all.back().seq, 5);

  EXPECT_TRUE(s->tail(room, "ch_a", 0).value().empty());
  EXPECT_TRUE(s->tail(room, "ch_none", 5).value().empty());
  EXPECT_TRUE(s->tail(room, room_thread, 5).value().empty());
}

TEST_P(StoreTest, EditAndDelete) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  auto m = append(*s, msg(room, "ch_a", alice, "before", "c-9"));

  s->begin();
  auto edited = s->edit_message(m.message.id, "after", 123456);
  s->commit();
  ASSERT_TRUE(edited.has_value());
  EXPECT_EQ(edited->id, m.message.id);
  EXPECT_EQ(edited->content, "after");
  ASSERT_TRUE(edited->edited_at.has_value());
  EXPECT_EQ(*edited->edited_at, 123456);
  EXPECT_EQ(edited->seq, m.message.seq);
  EXPECT_EQ(edited->author.login, "alice");
  EXPECT_EQ(edited->client_msg_id, "c-9");

  auto found = s->find_message(m.message.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->content, "after");
  EXPECT_EQ(found->edited_at, std::optional<std::int64_t>{123456});

  EXPECT_TRUE(s->edit_message("msg_missing", "x", 1).not_found());

  s->begin();
  auto deleted = s->delete_message(m.message.id);
  s->commit();
  ASSERT_TRUE(deleted.has_value());
  EXPECT_EQ(deleted->id, m.message.id);
  EXPECT_EQ(deleted->content, "after");
  EXPECT_EQ(deleted->author.id, alice);
  EXPECT_FALSE(s->find_message(m.message.id).has_value());
  EXPECT_FALSE(s->delete_message(m.message.id).has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 0);
}

TEST_P(StoreTest, BotMessagesWithoutUserRowAndBotTag) {
  auto s = open();
  const auto room = room_of(*s);
  auto m = msg(room, room_thread, "usr_bot_yee", "yee");
  m.bot = "yee";
  auto r = append(*s, m);
  EXPECT_EQ(r.message.bot, "yee");
  EXPECT_EQ(r.message.author.id, "usr_bot_yee");
  EXPECT_EQ(r.message.author.login, "");
  EXPECT_EQ(r.message.thread_id, "");
}

// -- agent relay ----------------------------------------------------------------------

TEST_P(StoreTest, AgentsCreateConflictAndInvalidId) {
  auto s = open();
  agent_row given;
  given.agent_id = "build-bot.v2_A";
  given.name = "Build bot";
  given.description = "Runs the builds";
  const auto before = now_ms();
  auto a = s->create_agent(given, sha256_hex("rla_one"));
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->agent_id, "build-bot.v2_A");
  EXPECT_EQ(a->name, "Build bot");
  EXPECT_EQ(a->description, "Runs the builds");
  EXPECT_GE(a->created_at, before);  // 0 means now
  EXPECT_FALSE(a->last_seen.has_value());
  EXPECT_EQ(a->events_served, 0);
  // Only the hash is stored.
  EXPECT_EQ(text_scalar("SELECT token_hash FROM agents WHERE agent_id = 'build-bot.v2_A'"),
            sha256_hex("rla_one"));

  agent_row dated;
  dated.agent_id = std::string(64, 'x');  // the longest allowed id
  dated.created_at = 1234;
  auto b = s->create_agent(dated, sha256_hex("rla_two"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->created_at, 1234);

  auto found = s->find_agent("build-bot.v2_A");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->name, "Build bot");
  EXPECT_EQ(found->description, "Runs the builds");
  EXPECT_EQ(found->created_at, a->created_at);
  EXPECT_FALSE(s->find_agent("build-bot.v2_a").has_value());  // ids are case-sensitive
  EXPECT_TRUE(s->find_agent("nobody").not_found());

  // Taken id (with a fresh token) and taken token hash (with a fresh id).
  auto dup = s->create_agent(given, sha256_hex("rla_three"));
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(dup.conflict());
  EXPECT_NE(dup.error().message.find("build-bot.v2_A"), std::string::npos) << dup.error().message;
  agent_row other;
  other.agent_id = "other";
  auto same_hash = s->create_agent(other, sha256_hex("rla_one"));
  EXPECT_FALSE(same_hash);
  EXPECT_EQ(same_hash.error().code, errc::conflict);
  EXPECT_NE(same_hash.error().message.find("token"), std::string::npos)
      << same_hash.error().message;

  for (const std::string& bad :
       {std::string{}, std::string(65, 'x'), std::string{"has space"}, std::string{"a/b"},
        std::string{"caf\xc3\xa9"}, std::string{"semi;colon"}, std::string{"nul\0x", 5}}) {
    agent_row r;
    r.agent_id = bad;
    auto made = s->create_agent(r, sha256_hex("rla_bad" + bad));
    EXPECT_FALSE(made) << bad;
    EXPECT_EQ(made.error().code, errc::bad_request) << bad;
  }
  agent_row no_hash;
  no_hash.agent_id = "no-hash";
  auto missing = s->create_agent(no_hash, "");
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::missing_field);

  EXPECT_EQ(scalar("SELECT count(*) FROM agents"), 2);
}

TEST_P(StoreTest, AgentTokenLookupAndRotation) {
  auto s = open();
  agent_row r;
  r.agent_id = "alpha";
  r.name = "Alpha";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_old")));
  r.agent_id = "beta";
  r.name = "Beta";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_beta")));

  auto by_token = s->find_agent_by_token_hash(sha256_hex("rla_old"));
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->agent_id, "alpha");
  EXPECT_EQ(by_token->name, "Alpha");
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_wrong")).has_value());
  EXPECT_TRUE(s->find_agent_by_token_hash("").not_found());

  // Rotation: the old hash stops matching at once, the new one works.
  auto rotation = s->rotate_agent_token("alpha", sha256_hex("rla_new"));
  EXPECT_TRUE(rotation) << rotation.error().message;
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_old")).has_value());
  auto rotated = s->find_agent_by_token_hash(sha256_hex("rla_new"));
  ASSERT_TRUE(rotated.has_value());
  EXPECT_EQ(rotated->agent_id, "alpha");
  // Also for another connection that was open all along.
  auto other = open();
  EXPECT_FALSE(other->find_agent_by_token_hash(sha256_hex("rla_old")).has_value());
  EXPECT_TRUE(other->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());

  // Unknown agent: not found (not a failure).
  EXPECT_TRUE(s->rotate_agent_token("nobody", sha256_hex("rla_x")).not_found());
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_x")).has_value());

  // Another agent's hash is refused and changes nothing.
  EXPECT_EQ(s->rotate_agent_token("alpha", sha256_hex("rla_beta")).error().code, errc::conflict);
  EXPECT_EQ(s->find_agent_by_token_hash(sha256_hex("rla_new"))->agent_id, "alpha");
  EXPECT_EQ(s->find_agent_by_token_hash(sha256_hex("rla_beta"))->agent_id, "beta");

  EXPECT_EQ(s->rotate_agent_token("alpha", "").error().code, errc::missing_field);
  EXPECT_TRUE(s->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());

  // Rotating inside the writer's transaction and rolling back keeps the old hash.
  s->begin();
  EXPECT_TRUE(s->rotate_agent_token("alpha", sha256_hex("rla_newer")));
  s->rollback();
  EXPECT_TRUE(s->find_agent_by_token_hash(sha256_hex("rla_new")).has_value());
  EXPECT_FALSE(s->find_agent_by_token_hash(sha256_hex("rla_newer")).has_value());
}

TEST_P(StoreTest, TouchAgentAccumulates) {
  auto s = open();
  agent_row r;
  r.agent_id = "worker";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_worker")));
  r.agent_id = "idle";
  ASSERT_TRUE(s->create_agent(r, sha256_hex("rla_idle")));

  ASSERT_TRUE(s->begin());
  auto touched = s->touch_agent("worker", 1000, 3);
  EXPECT_TRUE(touched) << touched.error().message;
  s->touch_agent("worker", 2000, 4);
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  auto w = s->find_agent("worker");
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->last_seen, std::optional<std::int64_t>{2000});
  EXPECT_EQ(w->events_served, 7);

  // A connection without events only moves last_seen.
  s->begin();
  s->touch_agent("worker", 3000, 0);
  s->commit();
  w = s->find_agent("worker");
  EXPECT_EQ(w->last_seen, std::optional<std::int64_t>{3000});
  EXPECT_EQ(w->events_served, 7);

  // Rolled back touches do not count.
  s->begin();
  s->touch_agent("worker", 4000, 100);
  s->rollback();
  EXPECT_EQ(s->find_agent("worker")->events_served, 7);

  auto idle = s->find_agent("idle");
  ASSERT_TRUE(idle.has_value());
  EXPECT_FALSE(idle->last_seen.has_value());
  EXPECT_EQ(idle->events_served, 0);

  // Unknown agent: not_found, and the rest of the transaction still commits.
  ASSERT_TRUE(s->begin());
  s->touch_agent("idle", 5000, 1);
  EXPECT_EQ(s->touch_agent("nobody", 5000, 1).error().code, errc::not_found);
  ASSERT_TRUE(s->commit());
  EXPECT_EQ(s->find_agent("idle")->events_served, 1);
}

TEST_P(StoreTest, AppsWithAllowlist) {
  auto s = open();
  for (const char* id : {"gamma", "alpha", "beta"}) {
    agent_row r;
    r.agent_id = id;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }

  app_row given;
  given.app_id = "dashboard";
  given.name = "Dashboard";
  given.allowlist = {"gamma", "alpha", "gamma"};  // unsorted, with a duplicate
  const auto app_hash = sha256_hex("rlk_dashboard_secret");
  const auto before = now_ms();
  auto a = s->create_app(given, app_hash);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->app_id, "dashboard");
  EXPECT_EQ(a->name, "Dashboard");
  EXPECT_GE(a->created_at, before);
  EXPECT_EQ(a->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  EXPECT_EQ(text_scalar("SELECT token_hash FROM apps WHERE app_id = 'dashboard'"), app_hash);

  auto by_token = s->find_app_by_token_hash(app_hash);
  ASSERT_TRUE(by_token.has_value());
  EXPECT_EQ(by_token->app_id, "dashboard");
  EXPECT_EQ(by_token->name, "Dashboard");
  EXPECT_EQ(by_token->created_at, a->created_at);
  EXPECT_EQ(by_token->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  auto by_id = s->find_app("dashboard");
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->allowlist, (std::vector<std::string>{"alpha", "gamma"}));
  EXPECT_FALSE(s->find_app_by_token_hash(sha256_hex("rlk_dashboard_wrong")).has_value());
  EXPECT_TRUE(s->find_app("nope").not_found());
  // An app token is not an agent token.
  EXPECT_FALSE(s->find_agent_by_token_hash(app_hash).has_value());

  // No allowlist, explicit created_at.
  app_row bare;
  bare.app_id = "bare.app";
  bare.created_at = 42;
  auto b = s->create_app(bare, sha256_hex("rlk_bare.app_secret"));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_TRUE(b->allowlist.empty());
  EXPECT_EQ(b->created_at, 42);
  auto bare_found = s->find_app("bare.app");
  ASSERT_TRUE(bare_found.has_value());
  EXPECT_TRUE(bare_found->allowlist.empty());
  EXPECT_EQ(bare_found->created_at, 42);

  // An unknown agent in the allowlist stores nothing.
  app_row orphan;
  orphan.app_id = "orphan";
  orphan.allowlist = {"alpha", "ghost"};
  auto o = s->create_app(orphan, sha256_hex("rlk_orphan_secret"));
  EXPECT_FALSE(o);
  EXPECT_EQ(o.error().code, errc::not_found);
  EXPECT_NE(o.error().message.find("ghost"), std::string::npos) << o.error().message;
  EXPECT_FALSE(s->find_app("orphan").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist WHERE app_id = 'orphan'"), 0);
  // ... and frees the id and the hash for a retry.
  orphan.allowlist = {"alpha"};
  EXPECT_TRUE(s->create_app(orphan, sha256_hex("rlk_orphan_secret")));

  // Conflicts and bad input.
  app_row dup = given;
  dup.allowlist.clear();
  auto d = s->create_app(dup, sha256_hex("rlk_dashboard_other"));
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error().code, errc::conflict);
  app_row same_hash;
  same_hash.app_id = "copycat";
  auto h = s->create_app(same_hash, app_hash);
  EXPECT_FALSE(h);
  EXPECT_EQ(h.error().code, errc::conflict);
  EXPECT_FALSE(s->find_app("copycat").has_value());
  for (const std::string& bad :
       {std::string{}, std::string(65, 'a'), std::string{"a b"}, std::string{"rlk_x/y"}}) {
    app_row r;
    r.app_id = bad;
    auto made = s->create_app(r, sha256_hex("rlk_" + bad + "_s"));
    EXPECT_FALSE(made) << bad;
    EXPECT_EQ(made.error().code, errc::bad_request) << bad;
  }
  app_row no_hash;
  no_hash.app_id = "no-hash";
  EXPECT_EQ(s->create_app(no_hash, "").error().code, errc::missing_field);
  EXPECT_EQ(scalar("SELECT count(*) FROM apps"), 3);
}

TEST_P(StoreTest, SetAllowlistReplacesAtomically) {
  auto s = open();
  for (const char* id : {"alpha", "beta", "gamma"}) {
    agent_row r;
    r.agent_id = id;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }
  app_row app;
  app.app_id = "console";
  app.allowlist = {"alpha"};
  ASSERT_TRUE(s->create_app(app, sha256_hex("rlk_console_s")));

  auto replaced = s->set_allowlist("console", {"gamma", "beta", "beta"});
  ASSERT_TRUE(replaced) << replaced.error().message;
  EXPECT_EQ(replaced->app_id, "console");
  EXPECT_EQ(replaced->allowlist, (std::vector<std::string>{"beta", "gamma"}));
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta", "gamma"}));

  // An unknown agent: not_found, and the old list stays.
  auto bad = s->set_allowlist("console", {"alpha", "ghost"});
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::not_found);
  EXPECT_TRUE(bad.not_found());
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta", "gamma"}));

  // An unknown app: not_found, nothing written.
  auto missing = s->set_allowlist("ghost-app", {"alpha"});
  EXPECT_FALSE(missing);
  EXPECT_EQ(missing.error().code, errc::not_found);
  auto missing_empty = s->set_allowlist("ghost-app", {});
  EXPECT_EQ(missing_empty.error().code, errc::not_found);
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist WHERE app_id = 'ghost-app'"), 0);

  // Inside the writer's transaction a failed replace leaves the rest of it alone.
  s->begin();
  agent_row delta;
  delta.agent_id = "delta";
  ASSERT_TRUE(s->create_agent(delta, sha256_hex("rla_delta")));
  EXPECT_FALSE(s->set_allowlist("console", {"delta", "ghost"}));
  auto ok = s->set_allowlist("console", {"delta", "alpha"});
  EXPECT_TRUE(ok) << ok.error().message;
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"alpha", "delta"}));

  // ... and a rolled back replace restores the old list.
  s->begin();
  EXPECT_TRUE(s->set_allowlist("console", {"gamma"}));
  s->rollback();
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"alpha", "delta"}));

  // An empty list clears it.
  auto cleared = s->set_allowlist("console", {});
  ASSERT_TRUE(cleared) << cleared.error().message;
  EXPECT_TRUE(cleared->allowlist.empty());
  EXPECT_TRUE(s->find_app("console")->allowlist.empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM app_allowlist"), 0);

  // Deleting an agent drops it from allowlists (ON DELETE CASCADE).
  ASSERT_TRUE(s->set_allowlist("console", {"alpha", "beta"}));
  exec("PRAGMA foreign_keys = ON; DELETE FROM agents WHERE agent_id = 'alpha'");
  EXPECT_EQ(s->find_app("console")->allowlist, (std::vector<std::string>{"beta"}));
}

TEST_P(StoreTest, AgentsAndAppsListInIdOrder) {
  auto s = open();
  EXPECT_TRUE(s->list_agents().value().empty());
  EXPECT_TRUE(s->list_apps().value().empty());

  // Created out of order, with created_at against the id order.
  std::int64_t t = 5000;
  for (const char* id : {"m", "B", "a", "z.1", "z-0", "0"}) {
    agent_row r;
    r.agent_id = id;
    r.created_at = t--;
    ASSERT_TRUE(s->create_agent(r, sha256_hex(std::string{"rla_"} + id)));
  }
  std::vector<std::string> ids;
  for (const auto& a : s->list_agents().value()) ids.push_back(a.agent_id);
  // Byte order, like std::sort on the ids.
  std::vector<std::string> expected{"m", "B", "a", "z.1", "z-0", "0"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ids, expected);

  for (const auto& [id, allow] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"zeta", {"m", "a"}}, {"alpha", {}}, {"mid", {"z.1", "0", "B"}}}) {
    app_row r;
    r.app_id = id;
    r.name = id + " app";
    r.allowlist = allow;
    ASSERT_TRUE(s->create_app(r, sha256_hex("rlk_" + id + "_s")));
  }
  auto apps = s->list_apps().value();
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_EQ(apps[0].app_id, "alpha");
  EXPECT_EQ(apps[0].name, "alpha app");
  EXPECT_TRUE(apps[0].allowlist.empty());
  EXPECT_EQ(apps[1].app_id, "mid");
  EXPECT_EQ(apps[1].allowlist, (std::vector<std::string>{"0", "B", "z.1"}));
  EXPECT_EQ(apps[2].app_id, "zeta");
  EXPECT_EQ(apps[2].allowlist, (std::vector<std::string>{"a", "m"}));
}

// -- room bots --------------------------------------------------------------------------

TEST_P(StoreTest, BotsCreateAndListByLogin) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "den", alice);
  const auto other = new_room(*s, "attic", alice);
  agent_row helper;
  helper.agent_id = "helper.v1";
  ASSERT_TRUE(s->create_agent(helper, sha256_hex("rla_helper")));
  EXPECT_TRUE(s->list_bots(room).value().empty());

  const auto before = now_ms();
  auto yee = s->create_bot(room, "yeeyee", "Yee Yee", "helper.v1", "yeeyee:");
  ASSERT_TRUE(yee) << yee.error().message;
  EXPECT_EQ(yee->room_id, room);
  EXPECT_EQ(yee->user.id.rfind("usr_", 0), 0u) << yee->user.id;
  EXPECT_EQ(yee->user.login, "yeeyee");
  EXPECT_EQ(yee->user.name, "Yee Yee");
  EXPECT_EQ(yee->user.email, "");
  EXPECT_EQ(yee->user.avatar_url, "");
  EXPECT_FALSE(yee->user.github_id.has_value());
  EXPECT_GE(yee->user.created_at, before);
  EXPECT_EQ(yee->agent_id, "helper.v1");
  EXPECT_EQ(yee->prefix, "yeeyee:");
  EXPECT_GE(yee->created_at, before);

  // The bot is a user like any other.
  auto as_user = s->find_user_by_login("yeeyee");
  ASSERT_TRUE(as_user.has_value());
  EXPECT_EQ(as_user->id, yee->user.id);
  EXPECT_EQ(as_user->name, "Yee Yee");
  EXPECT_EQ(as_user->email, "");

  // More bots, created against login order; one in another room.
  ASSERT_TRUE(s->create_bot(room, "Zed_bot", "Zed", "", ""));
  ASSERT_TRUE(s->create_bot(room, "alpha-1", "Alpha", "helper.v1", ""));
  ASSERT_TRUE(s->create_bot(room, "Beta", "", "", "b>"));
  ASSERT_TRUE(s->create_bot(other, "attic-bot", "Attic", "", ""));

  auto bots = s->list_bots(room).value();
  ASSERT_EQ(bots.size(), 4u);
  std::vector<std::string> logins;
  for (const auto& b : bots) logins.push_back(b.user.login);
  // By login without case, like room member lists.
  EXPECT_EQ(logins, (std::vector<std::string>{"alpha-1", "Beta", "yeeyee", "Zed_bot"}));
  EXPECT_EQ(bots[1].prefix, "b>");
  EXPECT_EQ(bots[1].agent_id, "");
  const auto& listed = bots[2];
  EXPECT_EQ(listed.room_id, room);
  EXPECT_EQ(listed.user.id, yee->user.id);
  EXPECT_EQ(listed.user.name, "Yee Yee");
  EXPECT_EQ(listed.user.created_at, yee->user.created_at);
  EXPECT_FALSE(listed.user.github_id.has_value());
  EXPECT_EQ(listed.agent_id, "helper.v1");
  EXPECT_EQ(listed.prefix, "yeeyee:");
  EXPECT_EQ(listed.created_at, yee->created_at);

  auto attic = s->list_bots(other).value();
  ASSERT_EQ(attic.size(), 1u);
  EXPECT_EQ(attic[0].user.login, "attic-bot");
  EXPECT_TRUE(s->list_bots("room_missing").value().empty());

  // Deleting a room or a bot's user drops its rows (ON DELETE CASCADE).
  exec("PRAGMA foreign_keys = ON; DELETE FROM rooms WHERE id = '" + other + "'");
  EXPECT_TRUE(s->list_bots(other).value().empty());
  exec("PRAGMA foreign_keys = ON; DELETE FROM users WHERE login = 'Beta'");
  EXPECT_EQ(s->list_bots(room).value().size(), 3u);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 3);
}

TEST_P(StoreTest, BotLoginConflictsWithAnyoneWithoutCase) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto room = new_room(*s, "den", alice);
  const auto users_before = scalar("SELECT count(*) FROM users");

  // A human's login, exact or in another case: nothing is created.
  for (const char* taken : {"alice", "ALICE", "Alice"}) {
    auto b = s->create_bot(room, taken, "Imposter", "", "");
    EXPECT_FALSE(b) << taken;
    EXPECT_EQ(b.error().code, errc::conflict) << taken;
    EXPECT_TRUE(b.conflict()) << taken;
    EXPECT_NE(b.error().message.find(taken), std::string::npos) << b.error().message;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE name = 'Imposter'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);
  EXPECT_TRUE(s->list_bots(room).value().empty());

  // Another bot's login, even in another room.
  const auto other = new_room(*s, "attic", alice);
  ASSERT_TRUE(s->create_bot(room, "helper", "Helper", "", ""));
  auto dup = s->create_bot(other, "HELPER", "Helper 2", "", "");
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error().code, errc::conflict);
  EXPECT_TRUE(s->list_bots(other).value().empty());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before + 1);

  // The bot's login is a user's login: nobody else can take it afterwards.
  auto u = s->create_user("helper", "", "");
  EXPECT_FALSE(u);
  EXPECT_EQ(u.error().code, errc::conflict);
}

TEST_P(StoreTest, BotUnknownRoomOrAgentCreatesNothing) {
  auto s = open();
  const auto room = room_of(*s);
  const auto users_before = scalar("SELECT count(*) FROM users");

  auto no_room = s->create_bot("room_missing", "lost", "Lost", "", "");
  EXPECT_FALSE(no_room);
  EXPECT_EQ(no_room.error().code, errc::not_found);
  EXPECT_TRUE(no_room.not_found());
  EXPECT_NE(no_room.error().message.find("room"), std::string::npos) << no_room.error().message;
  auto empty_room = s->create_bot("", "lost", "Lost", "", "");
  EXPECT_EQ(empty_room.error().code, errc::not_found);

  auto no_agent = s->create_bot(room, "lost", "Lost", "ghost", "");
  EXPECT_FALSE(no_agent);
  EXPECT_EQ(no_agent.error().code, errc::not_found);
  EXPECT_NE(no_agent.error().message.find("ghost"), std::string::npos) << no_agent.error().message;

  // No user row, no bot row: the login is still free.
  EXPECT_FALSE(s->find_user_by_login("lost").has_value());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);

  // Agent ids are case-sensitive, like find_agent.
  agent_row ghost;
  ghost.agent_id = "ghost";
  ASSERT_TRUE(s->create_agent(ghost, sha256_hex("rla_ghost")));
  EXPECT_EQ(s->create_bot(room, "lost", "Lost", "Ghost", "").error().code, errc::not_found);
  auto found = s->create_bot(room, "lost", "Lost", "ghost", "");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->agent_id, "ghost");
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before + 1);
}

TEST_P(StoreTest, PlainBotHasEmptyAgentId) {
  auto s = open();
  const auto room = room_of(*s);
  auto b = s->create_bot(room, "echo", "", "", "");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->agent_id, "");
  EXPECT_EQ(b->prefix, "");
  EXPECT_EQ(b->user.name, "");
  EXPECT_EQ(text_scalar("SELECT agent_id FROM room_bots WHERE user_id = '" + b->user.id + "'"), "");
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots WHERE agent_id = '' AND prefix = ''"), 1);
  auto bots = s->list_bots(room).value();
  ASSERT_EQ(bots.size(), 1u);
  EXPECT_EQ(bots[0].user.login, "echo");
  EXPECT_EQ(bots[0].agent_id, "");
  EXPECT_EQ(bots[0].prefix, "");
}

TEST_P(StoreTest, BotLoginMustBeShortAndPlain) {
  auto s = open();
  const auto room = room_of(*s);
  const auto users_before = scalar("SELECT count(*) FROM users");
  for (const std::string& bad : {std::string{}, std::string(40, 'x'), std::string{"has space"},
                                 std::string{"dot.ted"}, std::string{"@bot"}, std::string{"a/b"},
                                 std::string{"caf\xc3\xa9"}, std::string{"nul\0x", 5}}) {
    auto b = s->create_bot(room, bad, "Bad", "", "");
    EXPECT_FALSE(b) << bad;
    EXPECT_EQ(b.error().code, errc::bad_request) << bad;
  }
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), users_before);
  EXPECT_EQ(scalar("SELECT count(*) FROM room_bots"), 0);

  // The bounds and every allowed character.
  EXPECT_TRUE(s->create_bot(room, std::string(39, 'x'), "", "", ""));
  EXPECT_TRUE(s->create_bot(room, "b", "", "", ""));
  EXPECT_TRUE(s->create_bot(room, "AZaz09-_", "", "", ""));
  EXPECT_EQ(s->list_bots(room).value().size(), 3u);
}

TEST_P(StoreTest, FailedBotLeavesTheWritersTransactionAlone) {
  auto s = open();
  const auto room = room_of(*s);
  s->begin();
  ASSERT_TRUE(s->create_bot(room, "first", "", "", ""));
  EXPECT_FALSE(s->create_bot(room, "second", "", "ghost", ""));
  EXPECT_FALSE(s->create_bot(room, "FIRST", "", "", ""));
  ASSERT_TRUE(s->create_bot(room, "second", "", "", ""));
  auto done = s->commit();
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(s->list_bots(room).value().size(), 2u);

  // ... and a rolled back transaction takes its bots (and their users) with it.
  s->begin();
  ASSERT_TRUE(s->create_bot(room, "third", "", "", ""));
  s->rollback();
  EXPECT_EQ(s->list_bots(room).value().size(), 2u);
  EXPECT_FALSE(s->find_user_by_login("third").has_value());
}

// -- transactions and connections ---------------------------------------------------

TEST_P(StoreTest, CommitIsVisibleFromSecondConnection) {
  auto writer = open();
  auto reader = open(/*read_only=*/true);
  const auto room = room_of(*writer);
  const auto alice = user(*writer, "alice");

  ASSERT_TRUE(writer->begin());
  auto appended = writer->append_message(msg(room, "ch_a", alice, "hello"));
  ASSERT_TRUE(appended) << appended.error().message;
  auto& r = *appended;
  // Not yet committed: the reader's snapshot must not contain it.
  EXPECT_FALSE(reader->find_message(r.message.id).has_value());
  EXPECT_EQ(reader->last_seq(room, "ch_a").value(), 0);
  ASSERT_TRUE(writer->commit());

  auto seen = reader->find_message(r.message.id);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->content, "hello");
  EXPECT_EQ(seen->author.login, "alice");
  EXPECT_EQ(reader->last_seq(room, "ch_a").value(), 1);
  message_query q;
  q.room_id = room;
  ASSERT_EQ(reader->list_messages(q).value().size(), 1u);
  EXPECT_TRUE(reader->find_user_by_login("alice").has_value());
}

TEST_P(StoreTest, RollbackDiscards) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  append(*s, msg(room, "ch_a", alice, "kept"));

  ASSERT_TRUE(s->begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", "bob@example.com"));
  auto r = s->append_message(msg(room, "ch_a", alice, "discarded", "c-r")).value();
  EXPECT_EQ(r.message.seq, 2);
  s->rollback();

  EXPECT_FALSE(s->find_user_by_login("bob").has_value());
  EXPECT_FALSE(s->find_message(r.message.id).has_value());
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1);
  // The seq and the client id are free again.
  auto again = append(*s, msg(room, "ch_a", alice, "retried", "c-r"));
  EXPECT_FALSE(again.duplicate);
  EXPECT_EQ(again.message.seq, 2);

  s->rollback();  // no transaction open: harmless
  EXPECT_TRUE(s->healthy());
}

TEST_P(StoreTest, BeginTwiceReportsError) {
  auto s = open();
  ASSERT_TRUE(s->begin());
  EXPECT_FALSE(s->begin());
  EXPECT_FALSE(s->commit()) << "a failed call aborts the open transaction";
  ASSERT_TRUE(s->begin());
  EXPECT_TRUE(s->commit());
}

TEST_P(StoreTest, WriterLockIsExclusiveAcrossConnections) {
  auto a = open();
  auto b = open();
  const auto room = room_of(*a);
  const auto alice = user(*a, "alice");
  a->begin();
  a->append_message(msg(room, "ch_a", alice, "from a"));

  // b's BEGIN IMMEDIATE waits on the busy timeout and succeeds once a commits.
  std::thread t{[&] {
    auto began = b->begin();
    EXPECT_TRUE(began) << began.error().message;
    auto r = b->append_message(msg(room, "ch_a", alice, "from b")).value_or(append_result{});
    EXPECT_EQ(r.message.seq, 2);
    EXPECT_TRUE(b->commit());
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  a->commit();
  t.join();
  EXPECT_EQ(a->last_seq(room, "ch_a").value(), 2);
}

// -- halls (docs/halls.md): keys, halls, sessions, webhook idempotence and the ledger ---

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

class HallsStoreTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    db_ = open();
    auto k = db_->create_hall_key("starter", false, sha256_hex("relay_live_x"));
    ASSERT_TRUE(k) << k.error().message;
    key_ = *k;
    hall_row h;
    h.id = make_id("h");
    h.workspace_id = key_.workspace_id;
    h.name = "Standup";
    auto r = db_->create_hall(h);
    ASSERT_TRUE(r) << r.error().message;
    hall_ = *r;
  }

  hall_session_row session(const std::string& pid, std::optional<std::int64_t> joined,
                           std::optional<std::int64_t> left, std::int64_t minutes = 0) {
    return {make_id("hs"), hall_.id, pid, pid, hall_role::publisher, joined, left, minutes};
  }

  expected<bool> apply(std::vector<hall_session_row> sessions, std::string webhook = "") {
    hall_change c;
    c.hall_id = hall_.id;
    c.webhook_id = std::move(webhook);
    c.sessions = std::move(sessions);
    return db_->apply_hall_change(c);
  }

  std::int64_t usage(const std::string& period, bool test = false) {
    return db_->hall_usage_minutes(key_.workspace_id, test, period).value();
  }

  std::unique_ptr<store> db_;
  hall_key_row key_;
  hall_row hall_;
};

TEST_P(HallsStoreTest, KeysAreFoundByHashWithTheirWorkspacePlan) {
  auto k = db_->find_hall_key(sha256_hex("relay_live_x"));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->workspace_id, key_.workspace_id);
  EXPECT_EQ(k->plan, "starter");
  EXPECT_FALSE(k->test_mode);
  EXPECT_FALSE(db_->find_hall_key(sha256_hex("relay_live_y")));
  EXPECT_EQ(db_->create_hall_key("gold", false, "h").error().code, errc::bad_request);
  EXPECT_EQ(db_->create_hall_key("growth", true, sha256_hex("relay_live_x")).error().code,
            errc::conflict);
}

TEST_P(HallsStoreTest, ACompleteSessionIsAddedToTheLedgerOnce) {
  auto open = session("u1", t0, std::nullopt);
  ASSERT_TRUE(apply({open}));
  EXPECT_EQ(usage("2026-05"), 0);
  auto closed = open;
  closed.left_at = t0 + 3 * min;
  closed.minutes = 3;
  ASSERT_TRUE(apply({closed}));
  EXPECT_EQ(usage("2026-05"), 3);
  ASSERT_TRUE(apply({closed})) << "rewriting a billed session";
  EXPECT_EQ(usage("2026-05"), 3);
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->sessions.size(), 1u);
  EXPECT_EQ(snap->sessions[0].left_at, t0 + 3 * min);
}

TEST_P(HallsStoreTest, ASessionIsBilledInTheMonthItEnds) {
  const std::int64_t june = *parse_iso8601("2026-06-01T00:10:00Z");
  ASSERT_TRUE(apply({session("u1", june - 20 * min, june, 20)}));
  EXPECT_EQ(usage("2026-05"), 0);
  EXPECT_EQ(usage("2026-06"), 20);
}

TEST_P(HallsStoreTest, AWebhookIdIsAppliedOnce) {
  auto r = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  auto again = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "a replay";
  EXPECT_EQ(usage("2026-05"), 1);
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
}

TEST_P(HallsStoreTest, OneOpenSessionPerParticipantAndAFailedChangeLeavesNothing) {
  ASSERT_TRUE(apply({session("u1", t0, std::nullopt)}));
  auto r = apply({session("u2", t0, t0 + min, 1), session("u1", t0 + 1, std::nullopt)}, "EV_2");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_EQ(usage("2026-05"), 0) << "u2's session went with the failed change";
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
  auto retry = apply({session("u2", t0, t0 + min, 1)}, "EV_2");
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry) << "the failed webhook's id was not kept";
}

TEST_P(HallsStoreTest, ClosingAHallAndItsGrantsPersist) {
  hall_change c;
  c.hall_id = hall_.id;
  c.grant = hall_grant_row{hall_.id, "u1", "Ada", hall_role::subscriber, t0};
  c.closed_at = t0 + min;
  ASSERT_TRUE(db_->apply_hall_change(c));
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->hall.status, "closed");
  EXPECT_EQ(snap->hall.closed_at, t0 + min);
  ASSERT_EQ(snap->grants.size(), 1u);
  EXPECT_EQ(snap->grants[0].role, hall_role::subscriber);
  hall_change unknown;
  unknown.hall_id = "h_nope";
  EXPECT_EQ(db_->apply_hall_change(unknown).error().code, errc::not_found);
}

TEST_P(HallsStoreTest, TestModeUsageIsKeptApart) {
  auto k = db_->create_hall_key("starter", true, sha256_hex("relay_test_x"));
  ASSERT_TRUE(k);
  hall_row h;
  h.id = make_id("h");
  h.workspace_id = k->workspace_id;
  h.test_mode = true;
  h.name = "t";
  ASSERT_TRUE(db_->create_hall(h));
  hall_change c;
  c.hall_id = h.id;
  c.sessions = {{make_id("hs"), h.id, "u1", "u1", hall_role::publisher, t0, t0 + min, 1}};
  ASSERT_TRUE(db_->apply_hall_change(c));
  EXPECT_EQ(db_->hall_usage_minutes(k->workspace_id, true, "2026-05").value(), 1);
  EXPECT_EQ(db_->hall_usage_minutes(k->workspace_id, false, "2026-05").value(), 0);
}

// -- logins as identities without case (issue 19) ------------------------------------

class LoginStoreTest : public StoreTest {
 protected:
  std::int64_t count(const std::string& sql) const { return scalar(sql); }
};

TEST_P(LoginStoreTest, ALoginThatDiffersOnlyByCaseIsTheSameUser) {
  auto s = open();
  auto bob = s->create_user("bob", "Bob", "");
  ASSERT_TRUE(bob) << bob.error().message;

  // `relay user add BOB` and dev sign-in both go through these two calls.
  auto found = s->find_user_by_login("BOB");
  ASSERT_TRUE(found.has_value()) << "BOB must find bob";
  EXPECT_EQ(found->id, bob->id);
  EXPECT_EQ(found->login, "bob") << "the stored spelling is kept";
  auto second = s->create_user("BOB", "Impostor", "");
  EXPECT_FALSE(second);
  EXPECT_EQ(second.error().code, errc::conflict);
  EXPECT_EQ(count("SELECT count(*) FROM users"), 1);

  // The database itself refuses a second spelling, whoever writes it.
  EXPECT_NE(exec_error("INSERT INTO users (id, login, created_at) VALUES ('usr_x', 'bOb', 1)"), "");
}

TEST_P(LoginStoreTest, InvalidLoginsAreRefusedAndStoreNothing) {
  auto s = open();
  for (const std::string& bad :
       {std::string("x' OR 1=1 --"), std::string(5000, 'a'), std::string("a b"), std::string("")}) {
    auto u = s->create_user(bad, "n", "");
    EXPECT_FALSE(u) << bad.substr(0, 20);

    oauth_profile p{777, bad, "Hostile", "", ""};
    auto o = s->upsert_oauth_user(p);
    EXPECT_FALSE(o) << bad.substr(0, 20);
    EXPECT_NE(o.error().code, errc::none);
    EXPECT_NE(o.error().message.find("login"), std::string::npos) << o.error().message;
  }
  EXPECT_EQ(count("SELECT count(*) FROM users"), 0);
}

TEST_P(LoginStoreTest, OAuthLoginTakenByAnotherAccountGetsAValidSuffixedLogin) {
  auto s = open();
  const std::string long_login(39, 'L');
  ASSERT_TRUE(s->create_user(long_login, "", ""));
  ASSERT_TRUE(s->create_user("octo", "", ""));

  auto a = s->upsert_oauth_user({1234567890, std::string(39, 'l'), "", "", ""});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_TRUE(valid_login(a->login)) << a->login;
  EXPECT_EQ(a->login, std::string(28, 'l') + "-1234567890");

  auto b = s->upsert_oauth_user({42, "OCTO", "", "", ""});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->login, "OCTO-42");
}

// -- errors as values: not found, conflict, failed ------------------------------------

TEST_P(StoreTest, ErrorKindsTellAbsentFromTakenFromFailed) {
  auto s = open();
  auto missing = s->find_user("usr_missing");
  EXPECT_TRUE(missing.not_found());
  EXPECT_FALSE(missing.conflict());
  EXPECT_FALSE(missing.failed());

  ASSERT_TRUE(s->create_user("alice", "Alice", ""));
  auto taken = s->create_user("ALICE", "Other", "");
  EXPECT_TRUE(taken.conflict());
  EXPECT_FALSE(taken.not_found());
  EXPECT_FALSE(taken.failed());

  // Another connection holds the write lock past the busy timeout: the write fails,
  // and says so, instead of looking like a missing or a taken row.
  exec("CREATE TABLE hold (x)");
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE; INSERT INTO hold VALUES (1)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  auto locked = s->create_user("bob", "Bob", "");
  EXPECT_TRUE(locked.failed()) << locked.error().message;
  EXPECT_EQ(locked.error().code, errc::unavailable);
  EXPECT_FALSE(locked.not_found());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);

  // A read that cannot run (its table is gone) is a failure too, not an absent row.
  exec("DROP TABLE room_bots");
  auto bots = s->list_bots(room_of(*s));
  EXPECT_TRUE(bots.failed());
  EXPECT_EQ(bots.error().code, errc::internal) << bots.error().message;
  EXPECT_THROW(bots.value(), std::logic_error) << "a caller that does not check learns it";
}

TEST_P(StoreTest, AFailureAbortsTheTransactionAndNothingOfItCommits) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  append(*s, msg(room, "ch_a", alice, "before"));
  exec("ALTER TABLE agents RENAME TO agents_gone");

  ASSERT_TRUE(s->begin());
  auto kept = s->append_message(msg(room, "ch_a", alice, "in the batch"));
  ASSERT_TRUE(kept) << kept.error().message;
  // A write whose result nobody looks at fails the batch all the same.
  auto touched = s->touch_agent("worker", 1, 1);
  EXPECT_TRUE(touched.failed()) << touched.error().message;
  auto after = s->create_user("bob", "Bob", "");
  EXPECT_TRUE(after.failed()) << "the calls after a failure fail too";
  auto done = s->commit();
  EXPECT_FALSE(done);
  EXPECT_EQ(done.error().message, touched.error().message) << "commit names the first failure";

  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 1) << "the batch rolled back whole";
  EXPECT_EQ(scalar("SELECT count(*) FROM users WHERE login = 'bob'"), 0);
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1);

  // The next transaction starts clean.
  ASSERT_TRUE(s->begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  EXPECT_TRUE(s->commit());
}

// -- the savepoint guard ----------------------------------------------------------------

TEST_P(StoreTest, AFailureMidAppendLeavesNothingBehind) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  // The row goes in, then storing its seq fails: the guard must take the row back out.
  exec(
      "CREATE TRIGGER block_seq BEFORE INSERT ON channel_seqs"
      " BEGIN SELECT RAISE(ABORT, 'blocked'); END");

  // On its own (no transaction): the append's own savepoint.
  auto lone = s->append_message(msg(room, "ch_new", alice, "lost"));
  EXPECT_FALSE(lone);
  EXPECT_TRUE(lone.failed()) << lone.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_seqs"), 0);

  // In the writer's transaction: the failure aborts it, so the row never commits.
  ASSERT_TRUE(s->begin());
  EXPECT_TRUE(s->append_message(msg(room, "ch_new", alice, "lost too")).failed());
  EXPECT_FALSE(s->commit());
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 0);

  exec("DROP TRIGGER block_seq");
  EXPECT_EQ(append(*s, msg(room, "ch_new", alice, "kept")).message.seq, 1)
      << "the failed appends took no seq";
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 1);
}

TEST_P(StoreTest, AFailedSavepointStepLeavesTheRestOfTheBatch) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  ASSERT_TRUE(s->begin());
  ASSERT_TRUE(s->create_channel(channel(room, "kept", alice)));
  // A refused member rolls back this channel's savepoint only (not_found: not a failure).
  auto refused = s->create_channel(channel(room, "refused", alice), {alice, "usr_missing"});
  EXPECT_TRUE(refused.not_found());
  ASSERT_TRUE(s->commit());
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'kept'"), 1);
  EXPECT_EQ(scalar("SELECT count(*) FROM channels WHERE slug = 'refused'"), 0);
  EXPECT_EQ(scalar("SELECT count(*) FROM channel_members"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(sqlite_backend),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Backends, HallsStoreTest, ::testing::Values(sqlite_backend),
                         [](const auto& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(Backends, LoginStoreTest, ::testing::Values(sqlite_backend),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace relay::storage
