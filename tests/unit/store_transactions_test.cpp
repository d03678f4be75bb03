// The store suite (store_suite.hpp) across the areas: transactions, errors as values, and
// the savepoint guard.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

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

// Two writers on one channel take turns: SQLite's BEGIN IMMEDIATE, Postgres's row lock on
// the channel's counter (another node's writer, storage/postgres/messages.hpp).
TEST_P(StoreTest, WriterLockIsExclusiveAcrossConnections) {
  auto a = open();
  auto b = open();
  const auto room = room_of(*a);
  const auto alice = user(*a, "alice");
  a->begin();
  a->append_message(msg(room, "ch_a", alice, "from a"));

  // b waits (SQLite: in BEGIN IMMEDIATE, on the busy timeout; Postgres: in the append,
  // on the counter's row) and goes on once a commits.
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

  // A database that cannot do it now is `unavailable`: store_sqlite_test.cpp (a busy
  // write lock) and store_postgres_test.cpp (a lost connection).

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
  // Postgres's prepared statements follow a renamed table; a dropped one fails them.
  exec(per_backend("ALTER TABLE agents RENAME TO agents_gone", "DROP TABLE agents CASCADE"));

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
  // On Postgres an internal error (XX000): the counter is written first there, and a
  // constraint failure of it would be a refusal that leaves nothing, not a failure.
  block("block_seq", "INSERT", "channel_seqs", "XX000");

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

  unblock("block_seq", "channel_seqs");
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

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
