// Tiered storage on one node: SQLite hands old messages to a real Postgres (the test
// command starts one and exports RELAY_TEST_POSTGRES_URL), and reads see one history.
// Each test gets a database of its own.

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include "actors/archiver.hpp"
#include "actors/messages.hpp"
#include "actors/store_writer.hpp"
#include "core/clock.hpp"
#include "storage/postgres/archive.hpp"
#include "storage/postgres/schema.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/tiered_reads.hpp"
#include "temp_dir.hpp"

using namespace relay;
using storage::message_row;

namespace {

constexpr std::int64_t day_ms = 86'400'000;

// A fresh database on the test Postgres, dropped afterwards.
struct pg_database {
  pg_database() {
    const char* base = std::getenv("RELAY_TEST_POSTGRES_URL");
    if (base == nullptr || *base == '\0') return;
    static std::atomic<int> n{0};
    name = "relay_archive_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
    admin = base;
    pqxx::connection c{admin};
    pqxx::nontransaction{c}.exec("CREATE DATABASE " + name);
    url = admin.substr(0, admin.rfind('/') + 1) + name;
  }
  ~pg_database() {
    if (name.empty()) return;
    try {
      pqxx::connection c{admin};
      pqxx::nontransaction{c}.exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (const std::exception&) {
    }
  }
  std::string admin, name, url;
};

class archive : public ::testing::Test {
 protected:
  void SetUp() override {
    if (pg.url.empty()) GTEST_SKIP() << "RELAY_TEST_POSTGRES_URL is not set (make test sets it)";
    db_path = storage::sqlite_store::db_path(dir.path);
    hot = std::make_unique<storage::sqlite_store>(db_path);
    room_id = hot->find_room_by_slug("lobby")->id;
    alice = hot->create_user("alice", "Alice", "")->id;
    bob = hot->create_user("bob", "Bob", "")->id;
    cold = std::make_unique<storage::postgres::archive>(pg.url);
    ASSERT_TRUE(cold->open()) << "cannot open the archive";
  }

  // `n` messages in the room-wide thread, one a minute, starting `age_ms` ago.
  std::vector<message_row> post(int n, std::int64_t age_ms, const std::string& author = "") {
    std::vector<message_row> out;
    const auto start = now_ms() - age_ms;
    for (int i = 0; i < n; ++i) {
      storage::new_message m;
      m.room_id = room_id;
      m.author_id = author.empty() ? alice : author;
      m.content = "message " + std::to_string(posted++);
      m.client_msg_id = "c" + std::to_string(posted);
      m.created_at = start + i * 60'000;
      auto r = hot->append_message(m);
      EXPECT_TRUE(r) << r.error().message;
      if (r) out.push_back(r->message);
    }
    return out;
  }

  // One batch by hand, as the archiver runs it; `stop_after` simulates a crash.
  enum class step { none, stored, forgotten };
  storage::forgotten move(std::int64_t created_before, int limit, step stop_after = step::none) {
    auto rows = hot->archive_candidates(created_before, limit).value();
    EXPECT_TRUE(cold->store_unsettled(rows));
    if (stop_after == step::stored) return {};
    EXPECT_TRUE(hot->begin());
    auto done = hot->forget_archived(rows).value();
    EXPECT_TRUE(hot->commit());
    if (stop_after == step::forgotten) return done;
    EXPECT_TRUE(cold->settle(done));
    EXPECT_TRUE(hot->begin());
    EXPECT_TRUE(hot->clear_settling(done));
    EXPECT_TRUE(hot->commit());
    return done;
  }

  // The whole room-wide thread through `reads`: newest first in pages of `page`.
  std::vector<message_row> history(storage::tiered_reads& reads, int page) {
    std::vector<message_row> out;
    storage::message_query q;
    q.room_id = room_id;
    q.channel_id = "";
    q.limit = page;
    for (;;) {
      auto rows = reads.list_messages(q).value();
      out.insert(out.end(), rows.begin(), rows.end());
      if (static_cast<int>(rows.size()) < page) return out;
      q.before_created_at = rows.back().created_at;
      q.before_id = rows.back().id;
    }
  }

  // The same, oldest first by seq (a resume from `after`).
  std::vector<message_row> resume(storage::tiered_reads& reads, std::int64_t after, int page) {
    std::vector<message_row> out;
    storage::message_query q;
    q.room_id = room_id;
    q.channel_id = "";
    q.limit = page;
    for (q.after_seq = after;;) {
      auto rows = reads.list_messages(q).value();
      out.insert(out.end(), rows.begin(), rows.end());
      if (static_cast<int>(rows.size()) < page) return out;
      q.after_seq = rows.back().seq;
    }
  }

  std::int64_t archived() { return cold->count().value(); }

  pg_database pg;
  test_support::temp_dir dir;
  std::string db_path;
  std::unique_ptr<storage::sqlite_store> hot;
  std::unique_ptr<storage::postgres::archive> cold;
  std::string room_id, alice, bob;
  int posted = 0;
};

std::vector<std::string> ids(const std::vector<message_row>& rows) {
  std::vector<std::string> out;
  for (auto& m : rows) out.push_back(m.id);
  return out;
}

void expect_same(const std::vector<message_row>& got, const std::vector<message_row>& want) {
  ASSERT_EQ(ids(got), ids(want));
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].seq, want[i].seq);
    EXPECT_EQ(got[i].content, want[i].content);
    EXPECT_EQ(got[i].created_at, want[i].created_at);
    EXPECT_EQ(got[i].edited_at, want[i].edited_at);
    EXPECT_EQ(got[i].client_msg_id, want[i].client_msg_id);
    EXPECT_EQ(got[i].author.login, want[i].author.login);
    EXPECT_EQ(got[i].author.name, want[i].author.name);
  }
}

TEST(archive_schema, nodes_starting_together_apply_each_version_once) {
  pg_database pg;
  if (pg.url.empty()) GTEST_SKIP() << "RELAY_TEST_POSTGRES_URL is not set (make test sets it)";
  std::vector<std::thread> nodes;
  std::atomic<int> opened{0};
  for (int i = 0; i < 4; ++i)
    nodes.emplace_back([&] {
      storage::postgres::archive a{pg.url};
      if (a.open()) ++opened;
    });
  for (auto& t : nodes) t.join();
  EXPECT_EQ(opened, 4);
  pqxx::connection c{pg.url};
  auto r = pqxx::nontransaction{c}.exec("SELECT count(*), max(version) FROM relay_schema");
  EXPECT_EQ(r[0][0].as<int>(), storage::postgres::latest_schema_version());
  EXPECT_EQ(r[0][1].as<int>(), storage::postgres::latest_schema_version());
}

TEST_F(archive, history_resume_tail_and_lookups_read_the_same_across_the_boundary) {
  post(20, 10 * day_ms);  // old
  post(17, day_ms / 2);   // recent
  storage::tiered_reads before{*hot, nullptr};
  const auto whole = history(before, 1000);
  const auto ascending = resume(before, 0, 1000);
  ASSERT_EQ(whole.size(), 37u);

  auto done = move(now_ms() - day_ms, 500);
  EXPECT_EQ(done.moved.size(), 20u);
  EXPECT_EQ(archived(), 20);
  storage::tiered_reads hot_only{*hot, nullptr};
  EXPECT_EQ(history(hot_only, 1000).size(), 17u) << "the old messages left SQLite";

  storage::tiered_reads reads{*hot, cold.get()};
  for (int page : {1, 3, 7, 16, 17, 18, 50}) {
    SCOPED_TRACE("page " + std::to_string(page));
    expect_same(history(reads, page), whole);
    expect_same(resume(reads, 0, page), ascending);
  }
  // Resumes starting inside the archive, at its edge, and past it.
  for (std::int64_t after : {5, 19, 20, 21, 30}) {
    auto want = std::vector<message_row>(ascending.begin() + after, ascending.end());
    expect_same(resume(reads, after, 4), want);
  }
  auto tail = reads.tail(room_id, "", 25).value();
  expect_same(tail, std::vector<message_row>(ascending.end() - 25, ascending.end()));
  expect_same(reads.tail(room_id, "", 100).value(), ascending);

  auto found = reads.find_message(ascending[3].id);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->content, ascending[3].content);
  EXPECT_EQ(found->author.login, "alice");
  EXPECT_TRUE(reads.find_message("msg_unknown").not_found());
  // The seq counter is the channel's, not the newest row's: archiving changes nothing.
  EXPECT_EQ(hot->last_seq(room_id, "").value(), 37);
}

TEST_F(archive, content_with_nul_bytes_and_any_unicode_survives_the_move) {
  storage::new_message m;
  m.room_id = room_id;
  m.author_id = bob;
  m.content = std::string("nul \0 inside, ✓ and 🦀", 26);
  m.created_at = now_ms() - 10 * day_ms;
  auto stored = hot->append_message(m).value().message;
  move(now_ms() - day_ms, 500);
  storage::tiered_reads reads{*hot, cold.get()};
  auto got = reads.find_message(stored.id).value();
  EXPECT_EQ(got.content, m.content);
  EXPECT_EQ(got.author.login, "bob");
}

TEST_F(archive, a_message_edited_while_its_batch_is_in_flight_moves_with_the_edit) {
  auto old = post(3, 10 * day_ms);
  auto rows = hot->archive_candidates(now_ms() - day_ms, 500).value();
  ASSERT_TRUE(cold->store_unsettled(rows));
  ASSERT_TRUE(hot->edit_message(old[1].id, "edited meanwhile", now_ms()));
  ASSERT_TRUE(hot->begin());
  auto done = hot->forget_archived(rows).value();
  ASSERT_TRUE(hot->commit());
  EXPECT_EQ(done.moved.size(), 2u) << "the edited one stays for the next batch";
  ASSERT_TRUE(cold->settle(done));
  ASSERT_TRUE(hot->begin());
  ASSERT_TRUE(hot->clear_settling(done));
  ASSERT_TRUE(hot->commit());

  storage::tiered_reads reads{*hot, cold.get()};
  EXPECT_EQ(reads.find_message(old[1].id)->content, "edited meanwhile");
  EXPECT_EQ(history(reads, 2).size(), 3u) << "no message twice while both tiers hold one";
  move(now_ms() - day_ms, 500);
  EXPECT_EQ(archived(), 3);
  EXPECT_EQ(cold->find_message(old[1].id)->content, "edited meanwhile");
}

TEST_F(archive, a_retried_send_of_an_archived_message_is_still_a_duplicate) {
  auto old = post(2, 10 * day_ms);
  move(now_ms() - day_ms, 500);
  storage::new_message again;
  again.room_id = room_id;
  again.author_id = alice;
  again.content = "message 0";
  again.client_msg_id = old[0].client_msg_id;
  auto r = hot->append_message(again).value();
  EXPECT_TRUE(r.duplicate);
  EXPECT_EQ(r.message.id, old[0].id);
  EXPECT_EQ(r.message.seq, old[0].seq);
  EXPECT_EQ(hot->last_seq(room_id, "").value(), 2) << "no seq was spent on the retry";
}

TEST_F(archive, reads_that_stay_in_sqlite_work_while_postgres_is_down) {
  post(5, 10 * day_ms);
  post(5, 0);
  move(now_ms() - day_ms, 500);
  storage::postgres::archive down{"postgresql://relay@127.0.0.1:1/none"};
  storage::tiered_reads reads{*hot, &down};
  storage::message_query q;
  q.room_id = room_id;
  q.channel_id = "";
  q.limit = 5;
  auto recent = reads.list_messages(q);
  ASSERT_TRUE(recent) << recent.error().message;
  EXPECT_EQ(recent->size(), 5u);
  q.limit = 6;  // reaches into the archive
  auto older = reads.list_messages(q);
  ASSERT_FALSE(older);
  EXPECT_EQ(older.error().code, errc::unavailable);
  EXPECT_FALSE(down.healthy());
}

// -- the archiver actor, with the real writer --------------------------------------------

// Only the writer writes SQLite while the actors run (as in the server), so each test
// writes what it needs first and then starts them.
class archiver_actor_test : public archive {
 protected:
  void start() {
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    open = [p = db_path] { return std::make_unique<storage::sqlite_store>(p); };
    writer = spawn_store_writer(*sys, open);
    archiver_params p{
        open, [u = pg.url] { return std::make_unique<storage::postgres::archive>(u); }, writer};
    p.after = std::chrono::hours(24);
    p.every = std::chrono::hours(1);  // after the pass at start, passes run when asked
    p.batch = 7;
    archiver = spawn_archiver(*sys, p);
  }
  void TearDown() override {
    if (sys) {
      caf::anon_send_exit(archiver, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
      sys->await_all_actors_done();
    }
  }

  archive_report pass() {
    caf::scoped_actor self{*sys};
    archive_report out;
    self->request(archiver, std::chrono::seconds(30), archive_atom::value)
        .receive([&](archive_report& r) { out = r; },
                 [&](caf::error& e) { out.error = to_string(e); });
    return out;
  }

  template <class... Ts>
  write_outcome ask(Ts... xs) {
    caf::scoped_actor self{*sys};
    write_outcome out;
    self->request(archiver, std::chrono::seconds(30), xs...)
        .receive([&](write_outcome& r) { out = r; },
                 [&](caf::error& e) { out.error = make_error(errc::internal, to_string(e)); });
    return out;
  }

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  store_factory open;
  store_writer_actor writer;
  archiver_actor archiver;
};

TEST_F(archiver_actor_test, a_pass_moves_everything_old_in_batches_and_nothing_recent) {
  post(30, 10 * day_ms);
  post(4, 0);
  start();
  // The pass at start may be running or done: either way, after the answer all is moved.
  EXPECT_EQ(pass().error, "");
  EXPECT_EQ(archived(), 30);
  EXPECT_EQ(pass().moved, 0) << "nothing is moved twice";
  storage::tiered_reads reads{*hot, cold.get()};
  EXPECT_EQ(history(reads, 9).size(), 34u);
  EXPECT_TRUE(cold->unsettled(100)->empty());
  EXPECT_TRUE(hot->settling()->moved.empty());
}

TEST_F(archiver_actor_test, a_crash_between_storing_and_forgetting_loses_and_duplicates_nothing) {
  auto old = post(10, 10 * day_ms);
  move(now_ms() - day_ms, 500, step::stored);  // the archive holds unsettled copies; crash
  ASSERT_EQ(cold->unsettled(100)->size(), 10u);
  // Before the next pass a user deletes one of them; its archived copy must not survive.
  ASSERT_TRUE(hot->delete_message(old[4].id));
  start();
  // (The pass at start may be the one that did it: the state says what happened.)
  EXPECT_EQ(pass().error, "");
  EXPECT_EQ(archived(), 9);
  EXPECT_TRUE(cold->find_message(old[4].id).not_found()) << "the deleted message's copy is gone";
  EXPECT_TRUE(cold->unsettled(100)->empty());
  storage::tiered_reads reads{*hot, cold.get()};
  auto all = resume(reads, 0, 4);
  ASSERT_EQ(all.size(), 9u);
  for (auto& m : all) EXPECT_NE(m.id, old[4].id);
  EXPECT_TRUE(
      std::is_sorted(all.begin(), all.end(), [](auto& a, auto& b) { return a.seq < b.seq; }));
}

TEST_F(archiver_actor_test, a_crash_between_forgetting_and_settling_is_finished_by_the_next_pass) {
  post(6, 10 * day_ms);
  auto done = move(now_ms() - day_ms, 500, step::forgotten);
  ASSERT_EQ(done.moved.size(), 6u);
  ASSERT_EQ(hot->settling()->moved.size(), 6u);
  storage::tiered_reads reads{*hot, cold.get()};
  EXPECT_EQ(history(reads, 4).size(), 6u) << "readable while unsettled";
  start();
  EXPECT_EQ(pass().error, "");
  EXPECT_TRUE(hot->settling()->moved.empty());
  EXPECT_TRUE(cold->unsettled(100)->empty());
  EXPECT_EQ(archived(), 6);
}

TEST_F(archiver_actor_test, archived_messages_are_edited_and_deleted_by_the_writers_rules) {
  auto old = post(3, 10 * day_ms);
  start();
  pass();
  ASSERT_EQ(archived(), 3);
  principal as_alice, as_bob;
  as_alice.user.id = alice;
  as_bob.user.id = bob;
  const std::vector<std::string> visible{""};

  auto forbidden = ask(edit_atom::value, room_id, edit_request{as_bob, old[0].id, "x", visible});
  EXPECT_EQ(forbidden.error.code, errc::forbidden);
  auto hidden =
      ask(edit_atom::value, room_id, edit_request{as_alice, old[0].id, "x", {"ch_other"}});
  EXPECT_EQ(hidden.error.code, errc::not_found);
  auto elsewhere = ask(edit_atom::value, std::string{"room_other"},
                       edit_request{as_alice, old[0].id, "x", visible});
  EXPECT_EQ(elsewhere.error.code, errc::not_found);
  auto edited = ask(edit_atom::value, room_id, edit_request{as_alice, old[0].id, "fixed", visible});
  ASSERT_FALSE(edited.error) << edited.error.message;
  EXPECT_EQ(edited.message.content, "fixed");
  EXPECT_TRUE(edited.message.edited_at.has_value());
  EXPECT_EQ(edited.message.author.login, "alice");
  EXPECT_EQ(cold->find_message(old[0].id)->content, "fixed");

  auto not_owner =
      ask(delete_atom::value, room_id, std::string{}, delete_request{as_bob, old[1].id, visible});
  EXPECT_EQ(not_owner.error.code, errc::forbidden);
  auto by_owner = ask(delete_atom::value, room_id, std::string{bob},
                      delete_request{as_bob, old[1].id, visible});
  ASSERT_FALSE(by_owner.error) << by_owner.error.message;
  EXPECT_EQ(by_owner.message.id, old[1].id);
  EXPECT_TRUE(cold->find_message(old[1].id).not_found());
  auto again = ask(delete_atom::value, room_id, std::string{bob},
                   delete_request{as_bob, old[1].id, visible});
  EXPECT_EQ(again.error.code, errc::not_found);
}

TEST_F(archiver_actor_test, a_deleted_channels_archived_messages_leave_the_archive) {
  storage::channel_row row;
  row.room_id = room_id;
  row.slug = "gone";
  row.name = "gone";
  row.created_by = alice;
  row.created_at = now_ms();
  auto ch = hot->create_channel(row, {alice});
  ASSERT_TRUE(ch) << ch.error().message;
  post(4, 10 * day_ms);  // the room-wide thread's stay
  const auto t0 = now_ms() - 10 * day_ms;
  for (int i = 0; i < 5; ++i) {
    storage::new_message m;
    m.room_id = room_id;
    m.channel_id = ch->id;
    m.author_id = alice;
    m.content = "in the channel " + std::to_string(i);
    m.client_msg_id = "gone" + std::to_string(i);
    m.created_at = t0 + i * 60'000;
    ASSERT_TRUE(hot->append_message(m));
  }
  start();
  EXPECT_EQ(pass().error, "");
  ASSERT_EQ(archived(), 9);

  caf::scoped_actor self{*sys};
  bool deleted = false;
  self->request(writer, std::chrono::seconds(30), job_atom::value,
                store_job{[&, id = ch->id](storage::store& db) {
                  deleted = static_cast<bool>(db.delete_channel(id));
                }})
      .receive([](bool) {}, [](caf::error&) {});
  ASSERT_TRUE(deleted);
  ASSERT_EQ(hot->deleted_archived_channels()->size(), 1u) << "the channel's mark is left";

  auto r = pass();
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.dropped, 5);
  EXPECT_EQ(archived(), 4) << "only the room-wide thread's messages stay archived";
  EXPECT_TRUE(hot->deleted_archived_channels()->empty());
  EXPECT_EQ(hot->archived_upto(room_id, ch->id).value(), 0);
  EXPECT_EQ(pass().dropped, 0) << "nothing left to drop";
}

}  // namespace
