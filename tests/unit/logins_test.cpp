// Logins as identities without case (issue 19, findings 2 and 5): the one validator in
// core/, the store's uniqueness and lookups, OAuth logins, and the migration that renames
// users an older build let differ only by case. Real SQLite files, no mocks.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/ids.hpp"
#include "core/login.hpp"
#include "sqlite_peek.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace relay {
namespace {

namespace fs = std::filesystem;

// -- the validator ----------------------------------------------------------------

TEST(Login, ValidLoginFollowsGitHubsRule) {
  for (const char* ok : {"a", "bob", "BOB", "Bob-2", "a_b", "0", "x-y_z-09"})
    EXPECT_TRUE(valid_login(ok)) << ok;
  EXPECT_TRUE(valid_login(std::string(39, 'a')));
  EXPECT_FALSE(valid_login(std::string(40, 'a')));
  EXPECT_FALSE(valid_login(std::string(5000, 'a')));
  for (const char* bad : {"", "x' OR 1=1 --", "a b", "a.b", "a@b", "bob\n", "bö", "a/b", "<b>"})
    EXPECT_FALSE(valid_login(bad)) << bad;
  EXPECT_FALSE(valid_login(std::string("a\0b", 3)));
}

TEST(Login, SameLoginFoldsAsciiCaseOnly) {
  EXPECT_TRUE(same_login("bob", "BOB"));
  EXPECT_TRUE(same_login("Bob-2", "bOB-2"));
  EXPECT_FALSE(same_login("bob", "bob2"));
  EXPECT_FALSE(same_login("bob", "bo"));
  EXPECT_FALSE(same_login("a_b", "a-b"));
}

TEST(Login, LoginWithSuffixIsAlwaysValid) {
  EXPECT_EQ(login_with_suffix("BOB", "2"), "BOB-2");
  const auto long_one = login_with_suffix(std::string(39, 'z'), "12345678");
  EXPECT_EQ(long_one, std::string(30, 'z') + "-12345678");
  EXPECT_TRUE(valid_login(long_one));
  for (const std::string& base : {std::string("x' OR 1=1 --"), std::string(5000, 'q'),
                                  std::string(""), std::string("\xc3\xb6\xc3\xb6")}) {
    const auto l = login_with_suffix(base, "42");
    EXPECT_TRUE(valid_login(l)) << l;
    EXPECT_EQ(l.substr(l.size() - 3), "-42");
  }
}

// -- the store ----------------------------------------------------------------------

// The store's login tests run for every backend in store_users_test.cpp (LoginStoreTest);
// what is left here is SQLite's migration of an older file.
class LoginMigrationTest : public test_support::temp_dir_test {
 protected:
  void SetUp() override {
    temp_dir_test::SetUp();
    path_ = dir_.file("relay.db");
  }

  std::unique_ptr<storage::sqlite_store> open() {
    return std::make_unique<storage::sqlite_store>(path_, false);
  }

  /// Opens a raw connection; the caller closes it.
  sqlite3* raw() const {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    return db;
  }

  int exec_rc(const std::string& sql) const {
    auto* db = raw();
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    return rc;
  }

  std::string text(const std::string& sql) const { return test_support::sqlite_text(path_, sql); }

  std::int64_t count(const std::string& sql) const { return std::stoll("0" + text(sql)); }

  std::string path_;
};

// A database as a build before logins were unique without case could leave it: bob,
// then BOB and Bob, each with messages, tokens, a membership and an access request, and
// an unrelated bob-2 that takes the first free-looking name.
TEST_F(LoginMigrationTest, MigrationRenamesLaterCaseDuplicatesAndKeepsTheirRows) {
  {
    auto* db = raw();
    for (const auto& m : storage::migrations()) {
      if (m.version > 7) break;
      const std::string sql{m.sql};
      ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << m.version;
      if (m.seed != nullptr) m.seed(db);
    }
    std::string rows =
        "INSERT INTO users (id, login, created_at) VALUES"
        " ('usr_3', 'Bob', 30), ('usr_1', 'bob', 10), ('usr_2', 'BOB', 20),"
        " ('usr_4', 'bob-2', 5), ('usr_5', 'alice', 1);"
        "INSERT INTO channels (id, room_id, slug, created_at)"
        " SELECT 'ch_1', id, 'general', 1 FROM rooms WHERE slug = 'lobby';"
        "INSERT INTO whitelist (id, room_id, login, created_at)"
        " SELECT 'wl_1', id, 'bob', 1 FROM rooms WHERE slug = 'lobby';";
    for (const char* u : {"usr_1", "usr_2", "usr_3"}) {
      const std::string id{u};
      rows +=
          "INSERT INTO messages (id, room_id, seq, author_id, content, created_at)"
          " SELECT 'msg_" +
          id + "', id, " + id.substr(4) + ", '" + id + "', 'hi from " + id +
          "', 1 FROM rooms WHERE slug = 'lobby';"
          "INSERT INTO tokens (id, user_id, hash, created_at) VALUES ('tok_" +
          id + "', '" + id + "', '" + sha256_hex("secret-" + id) +
          "', 1);"
          "INSERT INTO channel_members (channel_id, user_id) VALUES ('ch_1', '" +
          id +
          "');"
          "INSERT INTO access_requests (id, room_id, user_id, created_at)"
          " SELECT 'ar_" +
          id + "', id, '" + id + "', 1 FROM rooms WHERE slug = 'lobby';";
    }
    rows += "PRAGMA user_version = 7;";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, rows.c_str(), nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_close(db);
  }

  auto s = open();
  EXPECT_EQ(count("PRAGMA user_version"), storage::latest_schema_version());
  // The oldest keeps the login; the others get the first free valid one.
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_1'"), "bob");
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_2'"), "BOB-3");
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_3'"), "Bob-4");
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_4'"), "bob-2");
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_5'"), "alice");
  EXPECT_EQ(count("SELECT count(*) FROM users"), 5);

  // Nobody lost a row: everything still hangs off the same user ids.
  for (const char* u : {"usr_1", "usr_2", "usr_3"}) {
    const std::string id{u};
    EXPECT_EQ(count("SELECT count(*) FROM messages WHERE author_id = '" + id + "'"), 1) << id;
    EXPECT_EQ(count("SELECT count(*) FROM channel_members WHERE user_id = '" + id + "'"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM access_requests WHERE user_id = '" + id + "'"), 1);
    auto cred = s->find_credential(sha256_hex("secret-" + id));
    ASSERT_TRUE(cred.has_value()) << id;
    EXPECT_EQ(cred->user.id, id);
  }
  EXPECT_EQ(s->find_credential(sha256_hex("secret-usr_2"))->user.login, "BOB-3");

  // The names now resolve to one user each.
  EXPECT_EQ(s->find_user_by_login("BOB")->id, "usr_1");
  EXPECT_EQ(s->find_user_by_login("bob-3")->id, "usr_2");
  auto many = s->find_users_by_logins({"BOB", "bOb"}).value();
  ASSERT_EQ(many.size(), 1u);
  EXPECT_EQ(many[0].id, "usr_1");
  EXPECT_FALSE(s->create_user("BOB-4", "", ""));

  // Reopening changes nothing.
  s.reset();
  s = open();
  EXPECT_EQ(text("SELECT login FROM users WHERE id = 'usr_2'"), "BOB-3");
  EXPECT_EQ(count("SELECT count(*) FROM users"), 5);
}

}  // namespace
}  // namespace relay
