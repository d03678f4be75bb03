// What only the Postgres store has (store_suite.hpp has the shared suite): a connection
// that is lost and found again, schema versions applied once under the advisory lock
// however many nodes start together, seqs that stay gapless while several nodes append
// to one channel, a client id resent through two nodes at once stored once, and a
// LiveKit webhook applied once whichever nodes receive it. Against the Postgres the test
// command starts.

#include <algorithm>
#include <numeric>
#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "storage/postgres/schema.hpp"
#include "store_suite.hpp"

namespace relay::storage {
namespace {

class PostgresStoreTest : public AreaTest<users_store> {};

// libpqxx 6.4 drops libpq's result of the statement that finds the connection closed by
// the server (about 2 KB, once per lost connection, inside libpq.so): not ours to free,
// so LeakSanitizer is told to ignore what the first call on a lost connection allocates.
struct lost_connection_call {
#if defined(__SANITIZE_ADDRESS__)
  __lsan::ScopedDisabler ignore;
#endif
};

// The server ends every other session on the test's database: what a Postgres restart or
// a failover looks like to a node.
const std::string drop_sessions =
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()";

TEST_P(PostgresStoreTest, ALostConnectionFailsClearlyAndTheNextCallConnectsAgain) {
  auto s = open();
  const auto alice = user(*s, "alice");

  exec(drop_sessions);
  auto lost = [&] {
    lost_connection_call scope;
    return s->find_user(alice);
  }();
  EXPECT_TRUE(lost.failed()) << "a lost connection is a failure, not an absent row";
  EXPECT_EQ(lost.error().code, errc::unavailable) << lost.error().message;
  auto back = s->find_user(alice);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->login, "alice");
  EXPECT_TRUE(s.tx().healthy());

  // Inside the writer's transaction: the batch fails whole, and the next one works.
  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  exec(drop_sessions);
  {
    lost_connection_call scope;
    EXPECT_TRUE(s->create_user("carol", "Carol", "").failed());
  }
  auto done = s.tx().commit();
  EXPECT_FALSE(done);
  EXPECT_EQ(done.error().code, errc::unavailable) << done.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1) << "no write of the lost batch is kept";
  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  ASSERT_TRUE(s.tx().commit());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 2);
}

TEST_P(PostgresStoreTest, NodesStartingTogetherApplyEachSchemaVersionOnce) {
  constexpr int nodes = 4;
  std::vector<std::string> failures(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] {
      try {
        auto s = open();
        if (!s->find_user_by_login("nobody").not_found()) failures[i] = "lookup failed";
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema"), postgres::latest_schema_version());
  EXPECT_EQ(scalar("SELECT max(version) FROM relay_schema"), postgres::latest_schema_version());
  EXPECT_GE(postgres::latest_schema_version(), 2) << "version 2 holds the users area";
}

// -- cluster mode: several nodes on one database -------------------------------------

/// Whole stores on Postgres, one per node (thread) where a test needs several.
class PostgresClusterTest : public StoreFixture {
 protected:
  const store_backend& backend() const override { return postgres_backend; }
  error_info a_failed;
};

// A seq is taken inside the append's transaction and never ahead of it
// (storage/postgres/messages.hpp): reserved is the message's own seq, there is nothing
// to skip or release, and a rolled-back append gives its seq back.
TEST_F(PostgresClusterTest, NothingIsReservedAheadAndARolledBackAppendGivesItsSeqBack) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  auto first = append(*s, msg(room, "ch_a", alice, "1"));
  EXPECT_EQ(first.message.seq, 1);
  EXPECT_EQ(first.reserved, 1) << "nothing is shown before its commit, so nothing is reserved";

  ASSERT_TRUE(s->begin());
  auto lost = s->append_message(msg(room, "ch_a", alice, "rolled back"));
  ASSERT_TRUE(lost) << lost.error().message;
  EXPECT_EQ(lost->message.seq, 2);
  s->rollback();

  ASSERT_TRUE(s->skip_reserved_seqs());
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1) << "a skip after a crash burns nothing";
  auto second = append(*s, msg(room, "ch_a", alice, "2"));
  EXPECT_EQ(second.message.seq, 2) << "the rolled-back append's seq is given again";
  EXPECT_EQ(second.reserved, 2);
  ASSERT_TRUE(s->release_reserved_seqs());
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 2);

  // Seqs a client saw from a batch that failed elsewhere stay burnt (seq_floor).
  auto floored = msg(room, "ch_a", alice, "3");
  floored.seq_floor = 10;
  EXPECT_EQ(append(*s, floored).message.seq, 11);
}

// Four nodes append 50 messages each to the same channel at once, each on its own
// connection in small transactions, some of which roll back: every seq from 1 to 200
// is taken exactly once, in each node's order, and none by a rolled-back append.
TEST_F(PostgresClusterTest, NodesAppendingToOneChannelGetEverySeqOnceWithoutGaps) {
  constexpr int nodes = 4;
  constexpr int per_node = 50;
  std::string room;
  std::string alice;
  {
    auto s = open();
    room = room_of(*s);
    alice = user(*s, "alice");
  }
  std::vector<std::vector<std::int64_t>> seqs(nodes);
  std::vector<std::string> failures(nodes);
  std::atomic<int> rolled_back{0};
  std::vector<std::thread> threads;
  for (int n = 0; n < nodes; ++n)
    threads.emplace_back([&, n] {
      auto s = open();
      int sent = 0;
      for (int batch = 0; sent < per_node; ++batch) {
        if (!s->begin()) return void(failures[n] = "begin failed");
        // Every fifth batch is one append that rolls back (a node's failed batch).
        if (batch % 5 == 4) {
          auto r = s->append_message(msg(room, "ch_busy", alice, "lost"));
          if (!r) return void(failures[n] = r.error().message);
          s->rollback();
          ++rolled_back;
          continue;
        }
        std::vector<std::int64_t> mine;
        for (int i = 0; i < 1 + batch % 3 && sent < per_node; ++i, ++sent) {
          auto r = s->append_message(msg(room, "ch_busy", alice,
                                         std::to_string(n) + "/" + std::to_string(sent),
                                         "n" + std::to_string(n) + "-" + std::to_string(sent)));
          if (!r) return void(failures[n] = r.error().message);
          mine.push_back(r->message.seq);
        }
        if (auto done = s->commit(); !done) return void(failures[n] = done.error().message);
        seqs[n].insert(seqs[n].end(), mine.begin(), mine.end());
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& f : failures) ASSERT_EQ(f, "");
  EXPECT_GT(rolled_back.load(), 0);

  std::vector<std::int64_t> all;
  for (const auto& node : seqs) {
    EXPECT_EQ(node.size(), static_cast<std::size_t>(per_node));
    EXPECT_TRUE(std::is_sorted(node.begin(), node.end())) << "a node's seqs rise";
    all.insert(all.end(), node.begin(), node.end());
  }
  std::sort(all.begin(), all.end());
  std::vector<std::int64_t> expected(nodes * per_node);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected) << "every seq once, no gaps, none burnt by a rollback";
  EXPECT_EQ(scalar("SELECT count(*) FROM messages WHERE channel_id = 'ch_busy'"), nodes * per_node);
  EXPECT_EQ(scalar("SELECT count(DISTINCT seq) FROM messages WHERE channel_id = 'ch_busy'"),
            nodes * per_node);
  EXPECT_EQ(scalar("SELECT max(seq) FROM messages WHERE channel_id = 'ch_busy'"), nodes * per_node);
  EXPECT_EQ(scalar("SELECT last_seq FROM channel_seqs WHERE channel_id = 'ch_busy'"),
            nodes * per_node);
}

// Two nodes' batches append to two channels in opposite orders: each holds one channel's
// seq row and waits for the other's. Postgres breaks the deadlock by rolling one batch
// back, and that failure says the batch may simply run again (the writer does).
TEST_F(PostgresClusterTest, ADeadlockBetweenTwoNodesBatchesFailsOneOfThemAsRetryable) {
  std::string room;
  std::string alice;
  {
    auto s = open();
    room = room_of(*s);
    alice = user(*s, "alice");
  }
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a->begin());
  ASSERT_TRUE(b->begin());
  ASSERT_TRUE(a->append_message(msg(room, "ch_x", alice, "a on x")));
  ASSERT_TRUE(b->append_message(msg(room, "ch_y", alice, "b on y")));
  // a now waits for y, which b holds; then b waits for x, which a holds.
  std::thread other([&] {
    auto r = a->append_message(msg(room, "ch_y", alice, "a on y"));
    auto done = a->commit();
    if (!r || !done) a_failed = done ? r.error() : done.error();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto r = b->append_message(msg(room, "ch_x", alice, "b on x"));
  auto b_done = b->commit();
  other.join();
  error_info b_failed = !r ? r.error() : (!b_done ? b_done.error() : error_info{});
  ASSERT_TRUE(static_cast<bool>(a_failed) != static_cast<bool>(b_failed))
      << "exactly one batch is rolled back: a '" << a_failed.message << "', b '" << b_failed.message
      << "'";
  const auto& failed = a_failed ? a_failed : b_failed;
  EXPECT_EQ(failed.code, errc::unavailable);
  EXPECT_TRUE(failed.retry) << failed.message;
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 2) << "the other batch committed whole";
}

// A client that resends through another node: both nodes append the same (author, client
// id) at once. The second waits for the first's commit, answers the first's row as a
// duplicate and gives back the seq it took, so the next message of its batch follows
// without a gap.
TEST_F(PostgresClusterTest, TheSameClientIdOnTwoNodesAtOnceIsStoredOnceAndBurnsNoSeq) {
  std::string room;
  std::string alice;
  {
    auto s = open();
    room = room_of(*s);
    alice = user(*s, "alice");
  }
  auto a = open();
  auto b = open();
  ASSERT_TRUE(a->begin());
  ASSERT_TRUE(b->begin());
  auto first = a->append_message(msg(room, "ch_a", alice, "sent", "c-race"));
  ASSERT_TRUE(first) << first.error().message;
  std::string b_failed;
  message_row resent;
  bool resent_duplicate = false;
  std::int64_t next_seq = 0;
  std::thread other([&] {
    auto r = b->append_message(msg(room, "ch_a", alice, "resent", "c-race"));
    if (!r) return void(b_failed = r.error().message);
    resent = r->message;
    resent_duplicate = r->duplicate;
    auto next = b->append_message(msg(room, "ch_a", alice, "next", "c-next"));
    if (!next) return void(b_failed = next.error().message);
    next_seq = next->message.seq;
    if (auto done = b->commit(); !done) b_failed = done.error().message;
  });
  // Commit only once b waits on a's locks, so b takes the path of a concurrent insert.
  bool waiting = false;
  for (int i = 0; i < 100 && !waiting; ++i) {
    waiting = scalar(
                  "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                  " AND datname = current_database()") > 0;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto a_done = a->commit();
  other.join();
  EXPECT_TRUE(waiting) << "b never waited for a";
  ASSERT_TRUE(a_done) << a_done.error().message;
  ASSERT_EQ(b_failed, "");
  EXPECT_TRUE(resent_duplicate);
  EXPECT_EQ(resent.id, first->message.id);
  EXPECT_EQ(resent.seq, 1);
  EXPECT_EQ(resent.content, "sent");
  EXPECT_EQ(next_seq, 2) << "the duplicate gave its seq back";
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(scalar("SELECT last_seq FROM channel_seqs WHERE channel_id = 'ch_a'"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStoreTest,
                         ::testing::Values(postgres_area<users_store>()), backend_name);

// -- halls across nodes -----------------------------------------------------------------

// LiveKit may deliver a webhook again, and in a cluster the delivery may land on another
// node: each node makes its own session ids for the event, so a second apply would add a
// second session and bill its minutes twice.
class PostgresHallsTest : public AreaTest<halls_store> {
 protected:
  static constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z

  hall_change event(const std::string& hall_id, const std::string& webhook_id) {
    hall_change c;
    c.hall_id = hall_id;
    c.webhook_id = webhook_id;
    c.sessions = {{make_id("hs"), hall_id, "u1", "Ada", hall_role::publisher, t0, t0 + 60000, 1}};
    return c;
  }

  /// True once another session on the test's database waits for a lock (within 5 s).
  bool someone_waits_for_a_lock() const {
    for (int i = 0; i < 500; ++i) {
      if (scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                 " AND wait_event_type = 'Lock'") > 0)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

TEST_P(PostgresHallsTest, NodesApplyingTheSameWebhookAtOnceApplyItOnce) {
  auto node_a = open();
  auto node_b = open();
  auto k = node_a->create_hall_key("starter", false, sha256_hex("relay_live_x"));
  ASSERT_TRUE(k) << k.error().message;
  hall_row h;
  h.id = make_id("h");
  h.workspace_id = k->workspace_id;
  h.name = "Standup";
  ASSERT_TRUE(node_a->create_hall(h));

  // Node A has applied EV_1 in its writer's open transaction; node B's apply waits for it,
  // then finds EV_1 applied.
  ASSERT_TRUE(node_a.tx().begin());
  auto on_a = node_a->apply_hall_change(event(h.id, "EV_1"));
  ASSERT_TRUE(on_a) << on_a.error().message;
  EXPECT_TRUE(*on_a);
  std::optional<expected<bool>> on_b;
  std::thread b{[&] { on_b.emplace(node_b->apply_hall_change(event(h.id, "EV_1"))); }};
  const bool waited = someone_waits_for_a_lock();
  auto committed = node_a.tx().commit();
  b.join();
  EXPECT_TRUE(waited) << "node B did not wait for node A's change";
  ASSERT_TRUE(committed) << committed.error().message;
  ASSERT_TRUE(on_b && *on_b) << (on_b ? on_b->error().message : "no answer");
  EXPECT_FALSE(**on_b) << "node B applied EV_1 again";

  // Node A's change of EV_2 rolls back: the id was never applied, so node B applies it.
  ASSERT_TRUE(node_a.tx().begin());
  ASSERT_TRUE(node_a->apply_hall_change(event(h.id, "EV_2")));
  on_b.reset();
  std::thread b2{[&] { on_b.emplace(node_b->apply_hall_change(event(h.id, "EV_2"))); }};
  const bool waited2 = someone_waits_for_a_lock();
  node_a.tx().rollback();
  b2.join();
  EXPECT_TRUE(waited2) << "node B did not wait for node A's change";
  ASSERT_TRUE(on_b && *on_b) << (on_b ? on_b->error().message : "no answer");
  EXPECT_TRUE(**on_b) << "a rolled back change does not claim its webhook id";

  // Four nodes receive EV_3 at the same moment, outside any transaction.
  constexpr int nodes = 4;
  std::vector<area_handle<halls_store>> handles;
  for (int i = 0; i < nodes; ++i) handles.push_back(open());
  std::vector<std::optional<expected<bool>>> answers(nodes);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] {
      auto c = event(h.id, "EV_3");
      ++ready;
      while (ready.load() < nodes) std::this_thread::yield();
      answers[i].emplace(handles[i]->apply_hall_change(c));
    });
  for (auto& t : threads) t.join();
  int applied = 0;
  for (const auto& a : answers) {
    ASSERT_TRUE(a && *a) << (a ? a->error().message : "no answer");
    applied += **a ? 1 : 0;
  }
  EXPECT_EQ(applied, 1);

  EXPECT_EQ(scalar("SELECT count(*) FROM hall_sessions"), 3) << "one session per event";
  EXPECT_EQ(scalar("SELECT count(*) FROM livekit_webhooks"), 3);
  EXPECT_EQ(node_b->hall_usage_minutes(k->workspace_id, false, "2026-05").value(), 3)
      << "a minute per event, billed once";
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresHallsTest,
                         ::testing::Values(postgres_area<halls_store>()), backend_name);

}  // namespace
}  // namespace relay::storage
