// `relay store copy-to-postgres` (storage/copy_to_postgres.hpp): a real SQLite file with a
// row in every table, copied into a fresh real Postgres database per test. Each table is
// compared row by row, read past both stores, so an id, seq, hash or time that changed
// on the way fails here; then what the cluster relies on after the move: the next seq of
// a channel, a retried clientMsgId answered as the stored message, a token that still
// signs in.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <pqxx/pqxx>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/ids.hpp"
#include "postgres_peek.hpp"
#include "sqlite_peek.hpp"
#include "storage/copy_to_postgres.hpp"
#include "storage/postgres/store.hpp"
#include "storage/sqlite_store.hpp"
#include "temp_dir.hpp"

namespace relay::storage {
namespace {

using namespace relay::test_support;

// -- reading both sides ---------------------------------------------------------------

/// A table as the test reads it on both sides: its columns, in the same order, and what
/// orders its rows. SQLite's booleans are 0/1, so Postgres's are read as integers; content
/// as bytes on both. channel_seqs: SQLite's next seq starts above `reserved`.
struct spec {
  std::string table;
  std::string sqlite_cols;
  std::string pg_cols;
  std::string order;
};

const std::vector<spec>& specs() {
  static const std::vector<spec> list = {
      {"users", "id, login, name, avatar_url, email, github_id, created_at", "", "id"},
      {"tokens", "id, user_id, name, hash, created_at, revoked_at, kind, expires_at", "", "id"},
      {"notifications",
       "id, user_id, kind, room_id, ref_id, body, state, created_at, saved, visibility",
       "id, user_id, kind, room_id, ref_id, body, state, created_at, saved::int, visibility", "id"},
      {"rooms",
       "id, slug, display_name, description, accent_colors, avatar_url, owner_id,"
       " whitelist_only, created_at",
       "id, slug, display_name, description, accent_colors, avatar_url, owner_id,"
       " whitelist_only::int, created_at",
       "id"},
      {"channels", "id, room_id, slug, name, visibility, created_by, created_at", "", "id"},
      {"channel_members", "channel_id, user_id", "", "channel_id, user_id"},
      {"whitelist", "id, room_id, login, email, note, added_by, created_at", "", "id"},
      {"access_requests", "id, room_id, user_id, note, state, created_at, decided_at, decided_by",
       "", "id"},
      {"agents", "agent_id, name, description, token_hash, created_at, last_seen, events_served",
       "", "agent_id"},
      {"apps", "app_id, name, token_hash, created_at", "", "app_id"},
      {"app_allowlist", "app_id, agent_id", "", "app_id, agent_id"},
      {"room_bots", "room_id, user_id, agent_id, prefix, created_at", "", "room_id, user_id"},
      {"messages",
       "id, room_id, channel_id, seq, author_id, content, client_msg_id, created_at, edited_at,"
       " thread_id, bot",
       "", "id"},
      {"reactions", "message_id, emoji, user_id, added, created_at", "",
       "message_id, emoji, user_id"},
      {"threads", "id, room_id, channel_id, root_id, reply_count, last_reply_at, created_at", "",
       "id"},
      {"thread_replies", "id, thread_id, seq, author_id, content, client_msg_id, created_at", "",
       "id"},
      {"incoming_webhooks",
       "id, room_id, channel_id, name, creator_id, user_id, secret_hash, github_secret,"
       " created_at, revoked_at",
       "", "id"},
      {"boards", "id, room_id, name, owner_id, is_default, created_at",
       "id, room_id, name, owner_id, is_default::int, created_at", "id"},
      {"board_columns", "id, board_id, name, position", "", "id"},
      {"cards", "id, board_id, column_id, title, body, author_id, position, created_at, updated_at",
       "", "id"},
      {"card_saves", "card_id, user_id, created_at", "", "card_id, user_id"},
      {"webhooks",
       "id, room_id, creator_id, url, events, description, enabled, secret, prev_secret,"
       " prev_secret_until, failure_count, last_state, last_status_code, last_attempt_at,"
       " disabled_reason, created_at",
       "id, room_id, creator_id, url, events, description, enabled::int, secret, prev_secret,"
       " prev_secret_until, failure_count, last_state, last_status_code, last_attempt_at,"
       " disabled_reason, created_at",
       "id"},
      // A lease is the single node's own: the copy drops it (lease_until 0 in Postgres).
      {"webhook_deliveries",
       "id, webhook_id, event, payload, msg_id, attempt, state, next_attempt_at, 0, status_code,"
       " latency_ms, error, created_at, updated_at",
       "id, webhook_id, event, payload, msg_id, attempt, state, next_attempt_at, lease_until,"
       " status_code, latency_ms, error, created_at, updated_at",
       "id"},
      {"channel_seqs", "room_id, channel_id, max(last_seq, reserved)",
       "room_id, channel_id, last_seq", "room_id, channel_id"},
      {"deleted_messages",
       "author_id, client_msg_id, id, room_id, channel_id, seq, created_at, bot, deleted_at", "",
       "author_id, client_msg_id"},
      {"hall_workspaces", "id, plan, created_at", "", "id"},
      {"hall_keys", "id, workspace_id, key_hash, test_mode, created_at",
       "id, workspace_id, key_hash, test_mode::int, created_at", "id"},
      {"halls",
       "id, workspace_id, test_mode, name, max_participants, status, created_at, closed_at",
       "id, workspace_id, test_mode::int, name, max_participants, status, created_at, closed_at",
       "id"},
      {"hall_grants", "hall_id, participant_id, display_name, role, granted_at", "",
       "hall_id, participant_id"},
      {"hall_sessions",
       "id, hall_id, participant_id, display_name, role, joined_at, left_at, minutes,"
       " billed_period",
       "", "id"},
      {"hall_usage", "workspace_id, test_mode, period, minutes",
       "workspace_id, test_mode::int, period, minutes", "workspace_id, test_mode, period"},
      {"livekit_webhooks", "id, hall_id, applied_at", "", "id"},
      // The bytes come from the data directory (make_source writes them), checked below.
      {"attachments",
       "id, uploader_id, entity_type, entity_id, content_type, size, width, height, name,"
       " sha256, created_at",
       "", "id"},
  };
  return list;
}

using rows = std::vector<std::vector<std::optional<std::string>>>;

rows sqlite_rows(const std::string& path, const spec& s) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const auto sql = "SELECT " + s.sqlite_cols + " FROM " + s.table + " ORDER BY " + s.order;
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  rows out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto& row = out.emplace_back();
    for (int i = 0; i < sqlite3_column_count(st); ++i) {
      if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        row.emplace_back();
        continue;
      }
      auto* p = static_cast<const char*>(sqlite3_column_blob(st, i));
      row.emplace_back(std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, i))));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

rows pg_rows(const std::string& url, const spec& s) {
  pqxx::connection c{url};
  auto r =
      pqxx::nontransaction{c}.exec("SELECT " + (s.pg_cols.empty() ? s.sqlite_cols : s.pg_cols) +
                                   " FROM " + s.table + " ORDER BY " + s.order);
  constexpr pqxx::oid bytea = 17;
  rows out;
  for (auto row : r) {
    auto& o = out.emplace_back();
    for (auto f : row) {
      if (f.is_null())
        o.emplace_back();
      else if (f.type() == bytea)
        o.emplace_back(pqxx::binarystring{f}.str());
      else
        o.emplace_back(f.as<std::string>());
    }
  }
  return out;
}

// -- the source store ---------------------------------------------------------------

/// Rows in every table, with the values that go wrong on the way: NULLs, booleans both
/// ways, a U+0000 inside a message, a seq reserved above the last one, times past 2^31.
constexpr const char* seed = R"sql(
INSERT INTO users VALUES ('usr_a', 'alice', 'Alice', 'https://x/a.png', 'a@x.org', 4242, 1000),
  ('usr_b', 'bob', '', '', '', NULL, 1001), ('usr_bot', 'helper', 'Helper', '', '', NULL, 1002);
INSERT INTO tokens (id, user_id, name, hash, created_at, revoked_at, kind, expires_at) VALUES
  ('tok_1', 'usr_a', 'cli', 'hash_alice', 1100, NULL, 'api', NULL),
  ('tok_2', 'usr_a', 'web', 'hash_revoked', 1101, 1200, 'session', 99999999999),
  ('tok_3', 'usr_b', '', 'hash_bob', 1102, NULL, 'session', 4102444800000);
INSERT INTO notifications VALUES ('ntf_1', 'usr_a', 'access_request', 'room_x', 'req_2',
  '{"note":"please"}', 'unread', 1300, 1, 'public'), ('ntf_2', 'usr_b', 'access_approved',
  'room_x', 'req_1', '{}', 'read', 1301, 0, 'private'), ('ntf_3', 'usr_b', 'mention', 'room_x',
  'msg_1', '{"excerpt":"hi @bob"}', 'archived', 1302, 1, 'private');
INSERT INTO rooms VALUES ('room_x', 'team', 'Team', 'desc', '["#112233"]', '', 'usr_a', 1, 1400),
  ('room_y', 'open', 'Open', '', '[]', '', NULL, 0, 1401);
INSERT INTO channels VALUES ('ch_pub', 'room_x', 'general', 'General', 'public', 'usr_a', 1500),
  ('ch_priv', 'room_x', 'secret', 'Secret', 'private', 'usr_a', 1501);
INSERT INTO channel_members VALUES ('ch_priv', 'usr_a'), ('ch_priv', 'usr_b');
INSERT INTO whitelist VALUES ('wl_1', 'room_x', 'Bob', NULL, 'n', 'usr_a', 1600),
  ('wl_2', 'room_x', NULL, 'c@x.org', '', 'usr_a', 1601);
INSERT INTO access_requests VALUES
  ('req_1', 'room_x', 'usr_b', 'please', 'approved', 1700, 1701, 'usr_a'),
  ('req_2', 'room_x', 'usr_b', 'again', 'pending', 1702, NULL, '');
INSERT INTO agents VALUES ('summarizer', 'Sum', 'sums up', 'hash_agent', 1800, 1900, 7),
  ('idle', '', '', 'hash_idle', 1801, NULL, 0);
INSERT INTO apps VALUES ('crm', 'CRM', 'hash_app', 1802);
INSERT INTO app_allowlist VALUES ('crm', 'summarizer'), ('crm', 'idle');
INSERT INTO room_bots VALUES ('room_x', 'usr_bot', 'summarizer', '!', 1803);
INSERT INTO messages VALUES
  ('msg_01', 'room_x', '', 1, 'usr_a', 'hello', 'c-1', 2000, NULL, NULL, NULL),
  ('msg_02', 'room_x', '', 2, 'usr_b', 'a' || char(0) || 'b', NULL, 2001, 2100, NULL, NULL),
  ('msg_03', 'room_x', 'ch_pub', 1, 'usr_a', 'pub 1', 'c-3', 2002, NULL, NULL, NULL),
  ('msg_04', 'room_x', 'ch_pub', 2, 'usr_bot', 'summary', NULL, 2003, NULL, 'msg_03', 'summarizer'),
  ('msg_06', 'room_x', 'ch_priv', 1, 'usr_b', 'psst', 'c-6', 2005, 2200, NULL, NULL),
  ('msg_07', 'room_x', 'ch_priv', 3, 'usr_a', 'after a delete', 'c-7', 2006, NULL, NULL, NULL),
  ('msg_08', 'room_y', '', 1, 'usr_a', 'y', 'c-8', 2007, NULL, NULL, NULL),
  ('msg_09', 'room_y', '', 2, 'usr_a', 'y2', 'c-9', 2008, NULL, NULL, NULL),
  ('msg_10', 'room_y', '', 3, 'usr_b', 'y3', NULL, 2009, NULL, NULL, NULL);
INSERT INTO reactions VALUES ('msg_01', '👍', 'usr_b', 1, 2400), ('msg_01', ':tada:', 'usr_a', 2, 2401),
  ('msg_06', '👨‍👩‍👧', 'usr_a', 1, 2402);
INSERT INTO threads VALUES ('thr_1', 'room_x', 'ch_pub', 'msg_03', 2, 2501, 2500),
  ('thr_2', 'room_x', '', 'msg_gone', 0, NULL, 2502);
INSERT INTO thread_replies VALUES ('msg_r1', 'thr_1', 1, 'usr_b', 'a reply', 'c-r1', 2500),
  ('msg_r2', 'thr_1', 2, 'usr_a', 'x' || char(0) || 'y', NULL, 2501);
INSERT INTO incoming_webhooks VALUES
  ('ihk_1', 'room_x', 'ch_pub', 'CI', 'usr_a', 'usr_bot', 'hash_1', '', 2600, NULL),
  ('ihk_2', 'room_x', '', 'GH', 'usr_a', 'usr_b', 'hash_2', 'gh-secret', 2601, 2602);
INSERT INTO boards VALUES ('brd_1', 'room_x', 'Board', 'usr_a', 1, 2700),
  ('brd_2', 'room_x', 'Roadmap', 'usr_b', 0, 2701);
INSERT INTO board_columns VALUES ('col_1', 'brd_1', 'Todo', 0), ('col_2', 'brd_1', 'Doing', 1),
  ('col_3', 'brd_2', 'Todo', 0);
INSERT INTO cards VALUES ('crd_1', 'brd_1', 'col_1', 'ship', 'by Friday', 'usr_a', 0, 2702, 2702),
  ('crd_2', 'brd_1', 'col_1', 'test', '', 'usr_b', 1, 2703, 2704);
INSERT INTO card_saves VALUES ('crd_2', 'usr_a', 2705);
INSERT INTO webhooks VALUES ('whk_1', 'room_x', 'usr_a', 'https://ci.example/hook',
  ',message.created,', '', 1, 'whsec_a', 'whsec_old', 2800, 0, 'succeeded', 200, 2801, '', 2799),
  ('whk_2', 'room_x', 'usr_a', 'https://x.example/', ',reaction.added,', 'gone', 0, 'whsec_b', '',
  0, 3, 'failed', 410, 2802, 'the receiver answered 410', 2798);
INSERT INTO webhook_deliveries VALUES ('dlv_1', 'whk_1', 'message.created', '{"type":"message.created"}',
  'msg_w1', 1, 'succeeded', 2801, 0, 200, 12, '', 2800, 2801),
  ('dlv_2', 'whk_1', 'message.created', '{}', 'msg_w2', 0, 'pending', 2900, 2950, NULL, NULL, '',
  2802, 2802);
INSERT INTO channel_seqs VALUES ('room_x', '', 2, 2), ('room_x', 'ch_pub', 2, 7),
  ('room_x', 'ch_priv', 3, 3), ('room_y', '', 3, 3);
INSERT INTO deleted_messages VALUES ('usr_a', 'c-5', 'msg_05', 'room_x', 'ch_priv', 2, 2004,
  NULL, 2300);
INSERT INTO hall_workspaces VALUES ('ws_1', 'starter', 3000), ('ws_2', 'growth', 3001);
INSERT INTO hall_keys VALUES ('hk_1', 'ws_1', 'hash_live', 0, 3002),
  ('hk_2', 'ws_1', 'hash_test', 1, 3003);
INSERT INTO halls VALUES ('hall_1', 'ws_1', 0, 'Standup', 10, 'open', 3004, NULL),
  ('hall_2', 'ws_1', 1, 'Town', NULL, 'closed', 3005, 3600);
INSERT INTO hall_grants VALUES ('hall_1', 'p1', 'Pat', 'host', 3006),
  ('hall_1', 'p2', 'Sam', 'guest', 3007);
INSERT INTO hall_sessions VALUES ('hs_1', 'hall_1', 'p1', 'Pat', 'host', 3008, 3608, 10, '2026-12'),
  ('hs_2', 'hall_1', 'p2', 'Sam', 'guest', NULL, 3609, 0, NULL),
  ('hs_3', 'hall_1', 'p1', 'Pat', 'host', 3700, NULL, 0, NULL);
INSERT INTO hall_usage VALUES ('ws_1', 0, '2026-12', 10), ('ws_1', 1, '2026-12', 4),
  ('ws_2', 0, '2026-11', 1);
INSERT INTO livekit_webhooks VALUES ('wh_1', 'hall_1', 3610), ('wh_2', 'hall_1', 3611);
)sql";

const std::string attachment_bytes = std::string("file\0bytes\n", 11);

class copy_to_postgres_test : public temp_dir_test {
 protected:
  void SetUp() override {
    temp_dir_test::SetUp();
    if (auto why = postgres_unavailable(); !why.empty()) GTEST_SKIP() << why;
    url_ = create_postgres_database();
    path_ = make_source("a");
  }
  void TearDown() override {
    if (!url_.empty()) drop_postgres_database(url_);
  }

  /// A single node's store as its server leaves it (created and migrated), with `seed`.
  std::string make_source(const std::string& name) {
    const auto path = dir_.file(name + ".db");
    { sqlite_store created{path}; }
    EXPECT_EQ(sqlite_exec(path, seed), "");
    // An attachment: its row, and its bytes where the SQLite store keeps them.
    const std::string sha = sha256_hex(attachment_bytes);
    std::filesystem::create_directories(dir_.file("attachments/" + sha.substr(0, 2)));
    std::ofstream(dir_.file("attachments/" + sha.substr(0, 2) + "/" + sha), std::ios::binary)
        << attachment_bytes;
    EXPECT_EQ(sqlite_exec(path,
                          "INSERT INTO attachments VALUES ('att_1', 'usr_a', 'message',"
                          " 'msg_01', 'text/plain; charset=utf-8', " +
                              std::to_string(attachment_bytes.size()) + ", NULL, NULL, 'a.txt', '" +
                              sha + "', 2500)"),
              "");
    return path;
  }

  /// Every table of the copy equals the source's, row for row.
  void expect_identical(const std::string& path) {
    for (auto& s : specs()) EXPECT_EQ(pg_rows(url_, s), sqlite_rows(path, s)) << s.table;
  }

  std::string url_;
  std::string path_;
};

TEST_F(copy_to_postgres_test, CopiesEveryTableWithItsIdsSeqsAndTimes) {
  auto r = copy_to_postgres(path_, url_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->verified());
  EXPECT_FALSE(r->already_done);
  EXPECT_FALSE(r->resumed);
  // Every table of the store, and the archived client ids (the archive tests have them).
  ASSERT_EQ(r->counts.size(), specs().size() + 1);
  {
    pqxx::connection c{url_};
    pqxx::work w{c};
    auto bytes = w.exec("SELECT bytes FROM attachments WHERE id = 'att_1'");
    ASSERT_EQ(bytes.size(), 1u);
    EXPECT_EQ(pqxx::binarystring(bytes[0][0]).str(), attachment_bytes) << "the file's bytes";
  }
  for (auto& c : r->counts) {
    if (c.table != "archived_client_ids") {
      EXPECT_GT(c.source, 0) << c.table << " is not exercised";
    }
  }
  expect_identical(path_);
  // The source's lobby replaced the one the Postgres migration seeded: one lobby, its id.
  EXPECT_EQ(postgres_text(url_, "SELECT id FROM rooms WHERE slug = 'lobby'"),
            sqlite_text(path_, "SELECT id FROM rooms WHERE slug = 'lobby'"));
}

TEST_F(copy_to_postgres_test, TheClusterGoesOnWhereTheNodeStopped) {
  ASSERT_TRUE(copy_to_postgres(path_, url_));
  postgres::postgres_store db{url_};
  // The same token signs in; the revoked one does not.
  auto alice = db.find_user_by_token_hash("hash_alice");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->id, "usr_a");
  EXPECT_FALSE(db.find_user_by_token_hash("hash_revoked"));

  auto send = [&](const std::string& id, const std::string& channel, const std::string& author,
                  const std::string& client_id) {
    new_message m;
    m.id = id;
    m.room_id = "room_x";
    m.channel_id = channel;
    m.author_id = author;
    m.content = "new";
    m.client_msg_id = client_id;
    m.created_at = 5000;
    return db.append_message(m);
  };
  // The next seq continues above the last one, and above a reserved block (ch_pub's 7).
  auto next = send("msg_20", "", "usr_a", "c-20");
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->message.seq, 3);
  next = send("msg_21", "ch_pub", "usr_a", "c-21");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message.seq, 8);
  next = send("msg_22", "ch_priv", "usr_b", "c-22");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message.seq, 4);
  // A retried send of a copied message is answered with the stored one, also when that
  // message was deleted on the single node.
  auto again = send("msg_23", "ch_pub", "usr_a", "c-3");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, "msg_03");
  EXPECT_EQ(again->message.seq, 1);
  again = send("msg_24", "ch_priv", "usr_a", "c-5");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->message.id, "msg_05");
}

TEST_F(copy_to_postgres_test, ASecondRunChangesNothingAndSaysSo) {
  ASSERT_TRUE(copy_to_postgres(path_, url_));
  auto again = copy_to_postgres(path_, url_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->already_done);
  EXPECT_TRUE(again->verified());
  expect_identical(path_);
}

TEST_F(copy_to_postgres_test, RunsCutOffAfterEveryBatchFinishTheCopyWithoutDuplicates) {
  // Two rows per transaction, and each run stops after its first one, as a kill -9
  // between two commits would: every table is cut at least once, most of them midway.
  copy_options cut;
  cut.batch_rows = 2;
  cut.after_batch = [](const std::string&, int) { return false; };
  int runs = 0;
  expected<copy_report> r = make_error(errc::internal, "not run");
  for (; runs < 200 && !(r = copy_to_postgres(path_, url_, cut)); ++runs)
    ASSERT_EQ(r.error().code, errc::unavailable) << r.error().message;
  ASSERT_TRUE(r) << "no run finished";
  EXPECT_GT(runs, static_cast<int>(specs().size()));
  EXPECT_TRUE(r->resumed);
  EXPECT_TRUE(r->verified());
  expect_identical(path_);
}

TEST_F(copy_to_postgres_test, ACrashBetweenTheRowsAndTheirProgressDuplicatesNothing) {
  // Stop inside messages, then forget how far it got: the rows committed are there, and
  // the next run copies the table again from its first row.
  copy_options cut;
  cut.batch_rows = 2;
  cut.after_batch = [](const std::string& table, int) { return table != "messages"; };
  ASSERT_FALSE(copy_to_postgres(path_, url_, cut));
  ASSERT_EQ(postgres_scalar(url_, "SELECT count(*) FROM messages"), 2);
  ASSERT_EQ(postgres_exec(url_, "UPDATE relay_copy SET last_key = NULL WHERE tbl = 'messages'"),
            "");
  auto r = copy_to_postgres(path_, url_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->verified());
  expect_identical(path_);
}

TEST_F(copy_to_postgres_test, RefusesATargetThatHoldsRowsOfItsOwn) {
  {
    postgres::postgres_store db{url_};
    ASSERT_TRUE(db.create_user("carol", "Carol", ""));
  }
  auto r = copy_to_postgres(path_, url_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("users (1)"), std::string::npos) << r.error().message;
  // Nothing was written: still Carol alone, and no copy begun.
  EXPECT_EQ(postgres_scalar(url_, "SELECT count(*) FROM users"), 1);
  EXPECT_EQ(postgres_scalar(url_, "SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(postgres_text(url_, "SELECT to_regclass('relay_copy_source')::text"), "");
}

TEST_F(copy_to_postgres_test, RefusesToMixAnotherStoreIntoAnUnfinishedCopy) {
  copy_options cut;
  cut.after_batch = [](const std::string& table, int) { return table != "rooms"; };
  ASSERT_FALSE(copy_to_postgres(path_, url_, cut));
  const auto other = make_source("b");  // its own lobby id: another node's store
  auto r = copy_to_postgres(other, url_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_NE(r.error().message.find("another store"), std::string::npos) << r.error().message;
  // The first store's copy still finishes.
  auto done = copy_to_postgres(path_, url_);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->verified());
}

TEST_F(copy_to_postgres_test, ArchivedHistoryWithoutItsArchiveIsRefused) {
  ASSERT_EQ(sqlite_exec(path_,
                        "INSERT INTO archived_upto VALUES ('room_y', '', 1);"
                        "DELETE FROM messages WHERE id = 'msg_08'"),
            "");
  auto r = copy_to_postgres(path_, url_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_NE(r.error().message.find("archive"), std::string::npos) << r.error().message;
  // Not even migrated: the database is as it was.
  EXPECT_EQ(postgres_text(url_, "SELECT to_regclass('users')::text"), "");
}

TEST_F(copy_to_postgres_test, ArchivedMessagesComeFromTheArchiveInTheSameDatabase) {
  // The node archived msg_08 (settled) and msg_09 (its batch was cut off after SQLite let
  // go of it, so only the archive holds it); msg_11 is an unsettled row whose message its
  // author deleted meanwhile: it must not come back.
  ASSERT_EQ(sqlite_exec(path_,
                        "INSERT INTO archived_upto VALUES ('room_y', '', 2);"
                        "DELETE FROM messages WHERE id IN ('msg_08', 'msg_09');"
                        "INSERT INTO archive_settling VALUES ('msg_09', 0), ('msg_11', 1);"
                        "INSERT INTO archived_client_ids VALUES"
                        " ('usr_a', 'c-8', 'msg_08', 'room_y', '', 1, 2007, NULL),"
                        " ('usr_a', 'c-9', 'msg_09', 'room_y', '', 2, 2008, NULL),"
                        " ('usr_b', 'c-12', 'msg_12', 'room_y', '', 5, 2011, NULL)"),
            "");
  {
    postgres::postgres_store db{url_};  // migrates, as the node's archive did
  }
  ASSERT_EQ(postgres_exec(url_,
                          "INSERT INTO message_archive (id, room_id, channel_id, seq, author_id,"
                          " content, client_msg_id, created_at, settled) VALUES"
                          " ('msg_08', 'room_y', '', 1, 'usr_a', 'y', 'c-8', 2007, true),"
                          " ('msg_09', 'room_y', '', 2, 'usr_a', 'y2', 'c-9', 2008, false),"
                          " ('msg_11', 'room_y', '', 4, 'usr_a', 'gone', 'c-11', 2010, false)"),
            "");
  auto r = copy_to_postgres(path_, url_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->from_archive);
  EXPECT_TRUE(r->verified());
  EXPECT_EQ(postgres_text(url_,
                          "SELECT string_agg(id || ':' || seq, ',' ORDER BY seq) FROM"
                          " messages WHERE room_id = 'room_y'"),
            "msg_08:1,msg_09:2,msg_10:3");
  EXPECT_EQ(postgres_text(url_, "SELECT client_msg_id FROM messages WHERE id = 'msg_09'"), "c-9");
  // msg_12 was archived, then deleted from the archive: its client id stays taken.
  postgres::postgres_store db{url_};
  new_message retry;
  retry.id = "msg_30";
  retry.room_id = "room_y";
  retry.author_id = "usr_b";
  retry.content = "again";
  retry.client_msg_id = "c-12";
  retry.created_at = 6000;
  auto dup = db.append_message(retry);
  ASSERT_TRUE(dup) << dup.error().message;
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->message.id, "msg_12");
  EXPECT_EQ(dup->message.seq, 5);
  // Counted again, nothing differs and nothing is added.
  auto again = copy_to_postgres(path_, url_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->verified());
  EXPECT_EQ(postgres_scalar(url_, "SELECT count(*) FROM deleted_messages"), 2);
}

}  // namespace
}  // namespace relay::storage
