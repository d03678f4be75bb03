// Logins (issue 19, finding 5): the one validator in core/, and the store refusing logins
// that break it, the OAuth provider's included. Real SQLite files, no mocks.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "core/ids.hpp"
#include "core/login.hpp"
#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"

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

class LoginStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/relay-logins-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "relay.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
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

  std::string text(const std::string& sql) const {
    auto* db = raw();
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  std::int64_t count(const std::string& sql) const { return std::stoll("0" + text(sql)); }

  fs::path dir_;
  std::string path_;
};

TEST_F(LoginStoreTest, InvalidLoginsAreRefusedAndStoreNothing) {
  auto s = open();
  for (const std::string& bad :
       {std::string("x' OR 1=1 --"), std::string(5000, 'a'), std::string("a b"), std::string("")}) {
    auto u = s->create_user(bad, "n", "");
    EXPECT_FALSE(u) << bad.substr(0, 20);

    storage::oauth_profile p{777, bad, "Hostile", "", ""};
    auto o = s->upsert_oauth_user(p);
    EXPECT_FALSE(o) << bad.substr(0, 20);
    EXPECT_NE(o.error.code, errc::none);
    EXPECT_NE(o.error.message.find("login"), std::string::npos) << o.error.message;
  }
  EXPECT_EQ(count("SELECT count(*) FROM users"), 0);
}

TEST_F(LoginStoreTest, OAuthLoginTakenByAnotherAccountGetsAValidSuffixedLogin) {
  auto s = open();
  const std::string long_login(39, 'L');
  ASSERT_TRUE(s->create_user(long_login, "", ""));
  ASSERT_TRUE(s->create_user("octo", "", ""));

  auto a = s->upsert_oauth_user({1234567890, std::string(39, 'l'), "", "", ""});
  ASSERT_TRUE(a) << a.error.message;
  EXPECT_TRUE(valid_login(a.value->login)) << a.value->login;
  EXPECT_EQ(a.value->login, std::string(28, 'l') + "-1234567890");

  auto b = s->upsert_oauth_user({42, "OCTO", "", "", ""});
  ASSERT_TRUE(b) << b.error.message;
  EXPECT_EQ(b.value->login, "OCTO-42");
}

}  // namespace
}  // namespace relay
