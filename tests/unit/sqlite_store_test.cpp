#include "storage/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "storage/migrations.hpp"

namespace relay::storage {
namespace {

namespace fs = std::filesystem;

/// A fresh directory under /tmp per test, removed afterwards.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/relay-sqlite-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "relay.db").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<sqlite_store> open(bool read_only = false) {
    return std::make_unique<sqlite_store>(path_, read_only);
  }

  /// Reads one integer through an independent raw connection.
  std::int64_t scalar(const std::string& sql) const {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
  }

  std::string text_scalar(const std::string& sql) const {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
    std::string v;
    if (sqlite3_step(st) == SQLITE_ROW)
      v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
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
  static append_result append(sqlite_store& s, const new_message& m) {
    s.begin();
    auto r = s.append_message(m);
    s.commit();
    EXPECT_FALSE(s.last_error()) << s.last_error().message;
    return r;
  }

  static std::string room_of(sqlite_store& s) {
    auto lobby = s.find_room_by_slug("lobby");
    EXPECT_TRUE(lobby.has_value());
    return lobby ? lobby->id : std::string{};
  }

  static std::string user(sqlite_store& s, const std::string& login) {
    auto u = s.create_user(login, login + " name", login + "@example.com");
    EXPECT_TRUE(u) << u.error.message;
    return u ? u.value->id : std::string{};
  }

  fs::path dir_;
  std::string path_;
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
    const std::string path = (dir_ / ("race" + std::to_string(round) + ".db")).string();
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
  EXPECT_FALSE(reader->find_room_by_slug("lobby").has_value());
  EXPECT_TRUE(reader->last_error());  // no tables yet

  auto writer = open();
  auto lobby = reader->find_room_by_slug("lobby");
  ASSERT_TRUE(lobby.has_value());
  EXPECT_EQ(lobby->id, room_of(*writer));
  EXPECT_FALSE(reader->last_error());
}

TEST_F(SqliteStoreTest, ConstructorRejectsBadInput) {
  EXPECT_THROW(sqlite_store((dir_ / "missing" / "dir" / "relay.db").string()), std::runtime_error);
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
  const auto data_dir = dir_ / "a" / "b";
  const auto p = sqlite_store::db_path(data_dir.string());
  EXPECT_EQ(p, (data_dir / "relay.db").string());
  EXPECT_TRUE(fs::is_directory(data_dir));
  sqlite_store s{p};
  EXPECT_TRUE(fs::exists(p));
}

// -- users and tokens -----------------------------------------------------------

TEST_F(SqliteStoreTest, UsersCreateFindAndConflict) {
  auto s = open();
  auto a = s->create_user("alice", "Alice A", "alice@example.com");
  ASSERT_TRUE(a) << a.error.message;
  EXPECT_EQ(a.value->id.rfind("usr_", 0), 0u);
  EXPECT_EQ(a.value->login, "alice");
  EXPECT_EQ(a.value->name, "Alice A");
  EXPECT_EQ(a.value->email, "alice@example.com");
  EXPECT_FALSE(a.value->github_id.has_value());
  EXPECT_GT(a.value->created_at, 0);

  auto dup = s->create_user("alice", "Other", "other@example.com");
  EXPECT_FALSE(dup);
  EXPECT_EQ(dup.error.code, errc::conflict);
  EXPECT_EQ(s->last_error().code, errc::conflict);

  auto by_login = s->find_user_by_login("alice");
  ASSERT_TRUE(by_login.has_value());
  EXPECT_EQ(by_login->id, a.value->id);
  EXPECT_EQ(by_login->name, "Alice A");
  auto by_id = s->find_user(a.value->id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->login, "alice");
  EXPECT_EQ(by_id->created_at, a.value->created_at);
  EXPECT_FALSE(s->find_user_by_login("bob").has_value());
  EXPECT_FALSE(s->find_user("usr_missing").has_value());
  EXPECT_FALSE(s->last_error());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1);
}

TEST_F(SqliteStoreTest, TokensLookupAndRevoke) {
  auto s = open();
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  const auto hash = sha256_hex("secret-1");
  auto t = s->create_token(alice, "laptop", hash);
  ASSERT_FALSE(t.id.empty()) << s->last_error().message;
  EXPECT_EQ(t.id.rfind("tok_", 0), 0u);
  EXPECT_EQ(t.user_id, alice);
  EXPECT_EQ(t.name, "laptop");
  EXPECT_FALSE(t.revoked_at.has_value());
  auto t2 = s->create_token(alice, "phone", sha256_hex("secret-2"));
  ASSERT_FALSE(t2.id.empty());

  // Only the hash is stored.
  EXPECT_EQ(scalar("SELECT count(*) FROM tokens WHERE hash = '" + hash + "'"), 1);

  auto owner = s->find_user_by_token_hash(hash);
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(owner->id, alice);
  EXPECT_FALSE(s->find_user_by_token_hash(sha256_hex("wrong")).has_value());
  auto cred = s->find_credential(hash);
  ASSERT_TRUE(cred.has_value());
  EXPECT_EQ(cred->user.id, alice);
  EXPECT_EQ(cred->token_id, t.id) << "the credential names the token that was used";

  auto listed = s->list_tokens(alice);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, t.id);
  EXPECT_EQ(listed[1].id, t2.id);
  EXPECT_TRUE(s->list_tokens(bob).empty());

  EXPECT_FALSE(s->revoke_token(bob, t.id));  // not bob's
  EXPECT_TRUE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_FALSE(s->revoke_token(alice, "tok_missing"));
  EXPECT_TRUE(s->revoke_token(alice, t.id));
  EXPECT_FALSE(s->revoke_token(alice, t.id));  // already revoked
  EXPECT_FALSE(s->find_user_by_token_hash(hash).has_value());
  EXPECT_TRUE(s->find_user_by_token_hash(sha256_hex("secret-2")).has_value());

  listed = s->list_tokens(alice);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_TRUE(listed[0].revoked_at.has_value());
  EXPECT_FALSE(listed[1].revoked_at.has_value());

  // Unknown user: foreign key.
  auto orphan = s->create_token("usr_missing", "x", sha256_hex("secret-3"));
  EXPECT_TRUE(orphan.id.empty());
  EXPECT_TRUE(s->last_error());
}

// -- channels -----------------------------------------------------------------------

TEST_F(SqliteStoreTest, ChannelsCreateListConflict) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");

  channel_row given;
  given.id = "ch_given";
  given.room_id = room;
  given.slug = "general";
  given.name = "General";
  given.visibility = "public";
  given.created_by = alice;
  given.created_at = 1000;
  auto a = s->create_channel(given);
  ASSERT_TRUE(a) << a.error.message;
  EXPECT_EQ(a.value->id, "ch_given");
  EXPECT_EQ(a.value->created_at, 1000);

  channel_row gen = given;
  gen.id.clear();
  gen.slug = "random";
  gen.created_at = 2000;
  auto b = s->create_channel(gen);
  ASSERT_TRUE(b) << b.error.message;
  EXPECT_EQ(b.value->id.rfind("ch_", 0), 0u);

  channel_row dup = given;
  dup.id.clear();
  auto c = s->create_channel(dup);
  EXPECT_FALSE(c);
  EXPECT_EQ(c.error.code, errc::conflict);

  channel_row orphan = given;
  orphan.id.clear();
  orphan.room_id = "room_missing";
  auto d = s->create_channel(orphan);
  EXPECT_FALSE(d);
  EXPECT_EQ(d.error.code, errc::not_found);

  auto list = s->list_channels(room);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].slug, "general");
  EXPECT_EQ(list[0].name, "General");
  EXPECT_EQ(list[0].visibility, "public");
  EXPECT_EQ(list[0].created_by, alice);
  EXPECT_EQ(list[1].slug, "random");
  EXPECT_TRUE(s->list_channels("room_missing").empty());
}

// -- messages -----------------------------------------------------------------------

TEST_F(SqliteStoreTest, AppendAssignsSeqPerChannel) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const std::vector<std::string> channels = {"ch_a", "ch_b", room_thread};

  std::map<std::string, std::vector<std::int64_t>> seqs;
  s->begin();
  for (int round = 0; round < 3; ++round) {
    for (const auto& ch : channels) {
      auto r = s->append_message(msg(room, ch, alice, "hi " + std::to_string(round)));
      ASSERT_FALSE(s->last_error()) << s->last_error().message;
      EXPECT_FALSE(r.duplicate);
      EXPECT_EQ(r.message.channel_id, ch);
      EXPECT_EQ(r.message.room_id, room);
      seqs[ch].push_back(r.message.seq);
    }
  }
  s->commit();
  for (const auto& ch : channels) {
    EXPECT_EQ(seqs[ch], (std::vector<std::int64_t>{1, 2, 3})) << "channel '" << ch << "'";
    EXPECT_EQ(s->last_seq(room, ch), 3);
  }
  EXPECT_EQ(s->last_seq(room, "ch_none"), 0);

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

TEST_F(SqliteStoreTest, DuplicateClientMsgIdReturnsOriginalWithoutBurningSeq) {
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
  EXPECT_EQ(s->last_seq(room, "ch_a"), 1);

  // Duplicates are per author; other authors may reuse the client id.
  auto other = append(*s, msg(room, "ch_a", bob, "bob's", "c-1"));
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.message.seq, 2);

  auto next = append(*s, msg(room, "ch_a", alice, "next", "c-2"));
  EXPECT_FALSE(next.duplicate);
  EXPECT_EQ(next.message.seq, 3);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 3);
}

TEST_F(SqliteStoreTest, SeqContinuesAfterDeletingNewest) {
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
  EXPECT_EQ(s->last_seq(room, "ch_a"), 3);

  auto fourth = append(*s, msg(room, "ch_a", alice, "4"));
  EXPECT_EQ(fourth.message.seq, 4);
}

TEST_F(SqliteStoreTest, KeysetPaginationSeesEveryMessageOnceDespiteInserts) {
  auto s = open();
  auto other = open();  // a concurrent writer on its own connection
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");

  // Several messages share a created_at, so the id tiebreak is exercised.
  std::set<std::string> originals;
  s->begin();
  for (int i = 0; i < 53; ++i) {
    auto r = s->append_message(msg(room, i % 2 ? "ch_a" : room_thread, alice,
                                   "m" + std::to_string(i), "", 1'000'000 + i / 4));
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
    auto page = s->list_messages(q);
    ASSERT_FALSE(s->last_error()) << s->last_error().message;
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

TEST_F(SqliteStoreTest, BeforeCreatedAtWithoutIdAndLimitClamp) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 0; i < 120; ++i) s->append_message(msg(room, "ch_a", alice, "x", "", 5000 + i));
  s->commit();

  message_query q;
  q.room_id = room;
  q.limit = 100000;
  EXPECT_EQ(s->list_messages(q).size(), 120u) << "clamped to max_query_rows, all 120 fit";
  q.limit = 100;
  EXPECT_EQ(s->list_messages(q).size(), 100u);
  q.limit = 0;
  auto one = s->list_messages(q);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].created_at, 5119);
  q.limit = -5;
  EXPECT_EQ(s->list_messages(q).size(), 1u);

  q.limit = 3;
  q.before_created_at = 5010;
  auto page = s->list_messages(q);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].created_at, 5009);
  EXPECT_EQ(page[1].created_at, 5008);
  EXPECT_EQ(page[2].created_at, 5007);

  q.room_id = "room_other";
  EXPECT_TRUE(s->list_messages(q).empty());
}

TEST_F(SqliteStoreTest, AfterSeqReturnsOldestFirst) {
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
  auto page = s->list_messages(q);
  ASSERT_EQ(page.size(), 3u);
  EXPECT_EQ(page[0].seq, 5);
  EXPECT_EQ(page[1].seq, 6);
  EXPECT_EQ(page[2].seq, 7);
  for (const auto& m : page) EXPECT_EQ(m.channel_id, "ch_a");

  q.after_seq = 8;
  q.limit = 50;
  page = s->list_messages(q);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].seq, 9);
  EXPECT_EQ(page[1].seq, 10);

  q.after_seq = 10;
  EXPECT_TRUE(s->list_messages(q).empty());
  EXPECT_FALSE(s->last_error());

  q.channel_ids = std::vector<std::string>{"ch_b"};  // ch_a not visible
  q.after_seq = 0;
  EXPECT_TRUE(s->list_messages(q).empty());

  message_query no_channel;
  no_channel.room_id = room;
  no_channel.after_seq = 0;
  EXPECT_TRUE(s->list_messages(no_channel).empty());
  EXPECT_EQ(s->last_error().code, errc::bad_request);
}

TEST_F(SqliteStoreTest, ChannelFilters) {
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
  EXPECT_EQ(s->list_messages(q).size(), 16u);

  q.channel_ids = std::vector<std::string>{"ch_a", room_thread};
  EXPECT_EQ(channels_of(s->list_messages(q)), (std::map<std::string, int>{{"", 4}, {"ch_a", 4}}));

  q.channel_ids = std::vector<std::string>{};
  EXPECT_TRUE(s->list_messages(q).empty());

  q.channel_ids.reset();
  q.channel_id = room_thread;
  EXPECT_EQ(channels_of(s->list_messages(q)), (std::map<std::string, int>{{"", 4}}));

  q.channel_id = "ch_b";
  q.channel_ids = std::vector<std::string>{"ch_b", "ch_c"};
  EXPECT_EQ(channels_of(s->list_messages(q)), (std::map<std::string, int>{{"ch_b", 4}}));
  q.channel_ids = std::vector<std::string>{"ch_c"};
  EXPECT_TRUE(s->list_messages(q).empty());

  // The IN-list query is not cached, so it can run many times with varying sizes.
  q.channel_id.reset();
  for (int n = 1; n <= 3; ++n) {
    std::vector<std::string> set = {"ch_a", "ch_b", "ch_c"};
    set.resize(n);
    q.channel_ids = set;
    EXPECT_EQ(s->list_messages(q).size(), 4u * n);
  }
}

TEST_F(SqliteStoreTest, TailReturnsNewestOldestFirst) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  s->begin();
  for (int i = 1; i <= 5; ++i) s->append_message(msg(room, "ch_a", alice, std::to_string(i)));
  s->append_message(msg(room, "ch_b", alice, "other"));
  s->commit();

  auto t = s->tail(room, "ch_a", 3);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].seq, 3);
  EXPECT_EQ(t[1].seq, 4);
  EXPECT_EQ(t[2].seq, 5);
  EXPECT_EQ(t[2].content, "5");

  auto all = s->tail(room, "ch_a", 10);
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().seq, 1);
  EXPECT_EQ(all.back().seq, 5);

  EXPECT_TRUE(s->tail(room, "ch_a", 0).empty());
  EXPECT_TRUE(s->tail(room, "ch_none", 5).empty());
  EXPECT_TRUE(s->tail(room, room_thread, 5).empty());
}

TEST_F(SqliteStoreTest, EditAndDelete) {
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

  EXPECT_FALSE(s->edit_message("msg_missing", "x", 1).has_value());
  EXPECT_FALSE(s->last_error());

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

TEST_F(SqliteStoreTest, BotMessagesWithoutUserRowAndBotTag) {
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

// -- transactions and connections ---------------------------------------------------

TEST_F(SqliteStoreTest, CommitIsVisibleFromSecondConnection) {
  auto writer = open();
  auto reader = open(/*read_only=*/true);
  const auto room = room_of(*writer);
  const auto alice = user(*writer, "alice");

  writer->begin();
  auto r = writer->append_message(msg(room, "ch_a", alice, "hello"));
  ASSERT_FALSE(writer->last_error()) << writer->last_error().message;
  // Not yet committed: the reader's snapshot must not contain it.
  EXPECT_FALSE(reader->find_message(r.message.id).has_value());
  EXPECT_EQ(reader->last_seq(room, "ch_a"), 0);
  writer->commit();
  ASSERT_FALSE(writer->last_error());

  auto seen = reader->find_message(r.message.id);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->content, "hello");
  EXPECT_EQ(seen->author.login, "alice");
  EXPECT_EQ(reader->last_seq(room, "ch_a"), 1);
  message_query q;
  q.room_id = room;
  ASSERT_EQ(reader->list_messages(q).size(), 1u);
  EXPECT_TRUE(reader->find_user_by_login("alice").has_value());
}

TEST_F(SqliteStoreTest, RollbackDiscards) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  append(*s, msg(room, "ch_a", alice, "kept"));

  s->begin();
  ASSERT_FALSE(s->last_error());
  ASSERT_TRUE(s->create_user("bob", "Bob", "bob@example.com"));
  auto r = s->append_message(msg(room, "ch_a", alice, "discarded", "c-r"));
  EXPECT_EQ(r.message.seq, 2);
  s->rollback();
  EXPECT_FALSE(s->last_error());

  EXPECT_FALSE(s->find_user_by_login("bob").has_value());
  EXPECT_FALSE(s->find_message(r.message.id).has_value());
  EXPECT_EQ(s->last_seq(room, "ch_a"), 1);
  // The seq and the client id are free again.
  auto again = append(*s, msg(room, "ch_a", alice, "retried", "c-r"));
  EXPECT_FALSE(again.duplicate);
  EXPECT_EQ(again.message.seq, 2);

  s->rollback();  // no transaction open: harmless
  EXPECT_FALSE(s->last_error());
}

TEST_F(SqliteStoreTest, BeginTwiceReportsError) {
  auto s = open();
  s->begin();
  ASSERT_FALSE(s->last_error());
  s->begin();
  EXPECT_TRUE(s->last_error());
  s->commit();
  EXPECT_FALSE(s->last_error());
}

TEST_F(SqliteStoreTest, WriterLockIsExclusiveAcrossConnections) {
  auto a = open();
  auto b = open();
  const auto room = room_of(*a);
  const auto alice = user(*a, "alice");
  a->begin();
  a->append_message(msg(room, "ch_a", alice, "from a"));

  // b's BEGIN IMMEDIATE waits on the busy timeout and succeeds once a commits.
  std::thread t{[&] {
    b->begin();
    EXPECT_FALSE(b->last_error()) << b->last_error().message;
    auto r = b->append_message(msg(room, "ch_a", alice, "from b"));
    EXPECT_EQ(r.message.seq, 2);
    b->commit();
    EXPECT_FALSE(b->last_error());
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{100});
  a->commit();
  t.join();
  EXPECT_EQ(a->last_seq(room, "ch_a"), 2);
}

}  // namespace
}  // namespace relay::storage
