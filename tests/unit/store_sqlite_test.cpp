// What only the SQLite store has (store_suite.hpp has the shared suite): its file, pragmas
// and migrations, a write lock held by another connection, and seqs reserved ahead.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

/// What only the SQLite implementation has: its file, its pragmas, its migrations.
class SqliteStoreTest : public StoreFixture {
 protected:
  const store_backend& backend() const override { return sqlite_backend; }

  /// Leaves at path_ a database as a build of schema `version` left it: migrations 1 to
  /// `version`, then `rows`. Call it in ASSERT_NO_FATAL_FAILURE.
  void write_old_database(int version, const std::string& rows) {
    ASSERT_GE(static_cast<int>(migrations().size()), version);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    for (int i = 0; i < version; ++i) {
      ASSERT_EQ(migrations()[i].version, i + 1);
      const std::string sql{migrations()[i].sql};
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
          << sqlite3_errmsg(db);
      if (migrations()[i].seed != nullptr) migrations()[i].seed(db);
    }
    const std::string all = rows + "PRAGMA user_version = " + std::to_string(version) + ";";
    ASSERT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    EXPECT_EQ(schema_version(db), version);
    sqlite3_close(db);
  }
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

// Seqs may be shown before their commit (live fan-out goes first), so each channel
// reserves seqs ahead. A writer that starts after a crash skips what was reserved; one
// that stopped cleanly released it, and the channel continues without a gap.
TEST_F(SqliteStoreTest, ReservedSeqsAreSkippedAfterACrashAndReleasedOnACleanStop) {
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

// Another connection holds the write lock past the busy timeout: the write fails, and
// says so, instead of looking like a missing or a taken row.
TEST_F(SqliteStoreTest, ABusyWriteLockIsUnavailableNotAbsent) {
  auto s = open();
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
  EXPECT_TRUE(s->create_user("bob", "Bob", "")) << "the next call works once the lock is gone";
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

// -- schema versions 2, 3 and 4 -------------------------------------------------------

TEST_F(SqliteStoreTest, MigratesVersionOneDatabase) {
  ASSERT_GE(migrations().size(), 2u);
  // A database as a version-1 build left it, with a user and an API token.
  ASSERT_NO_FATAL_FAILURE(write_old_database(
      1,
      "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
      "INSERT INTO tokens (id, user_id, name, hash, created_at) VALUES ('tok_old', 'usr_old',"
      " 'legacy', '" +
          sha256_hex("old-secret") + "', 2);"));

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
  // A database as a version-2 build left it: a user with a session, a whitelist entry and
  // a notification.
  ASSERT_NO_FATAL_FAILURE(write_old_database(
      2,
      "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
      "INSERT INTO tokens (id, user_id, name, hash, created_at, kind, expires_at) VALUES"
      " ('tok_old', 'usr_old', 'browser', '" +
          sha256_hex("old-session") + "', 2, 'session', " + std::to_string(now_ms() + 3600000) +
          ");"
          "INSERT INTO whitelist (id, room_id, login, created_at)"
          " SELECT 'wl_old', id, 'old', 3 FROM rooms WHERE slug = 'lobby';"
          "INSERT INTO notifications (id, user_id, kind, created_at)"
          " VALUES ('ntf_old', 'usr_old', 'access_request', 4);"));

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
  ASSERT_EQ(migrations()[3].version, 4);
  // A database as a version-3 build left it: a user, an agent and an app allowed to
  // address it.
  ASSERT_NO_FATAL_FAILURE(write_old_database(
      3,
      "INSERT INTO users (id, login, created_at) VALUES ('usr_old', 'old', 1);"
      "INSERT INTO agents (agent_id, name, token_hash, created_at) VALUES"
      " ('helper', 'Helper', '" +
          sha256_hex("rla_helper") +
          "', 2);"
          "INSERT INTO apps (app_id, name, token_hash, created_at) VALUES ('console', 'Console', "
          "'" +
          sha256_hex("rlk_console_s") +
          "', 3);"
          "INSERT INTO app_allowlist (app_id, agent_id) VALUES ('console', 'helper');"));

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
}  // namespace
}  // namespace relay::storage
