// The store suite (store_suite.hpp), threads area: one thread per root, replies numbered
// and paged in order, idempotent client ids, the counts every read of a root carries, and
// a thread that outlives its root.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

new_reply reply(const std::string& thread, const std::string& author, const std::string& text,
                const std::string& client_id = "") {
  new_reply r;
  r.thread_id = thread;
  r.author_id = author;
  r.content = text;
  r.client_msg_id = client_id;
  return r;
}

TEST_P(StoreTest, ARootHasOneThreadAndItsReadsCarryTheCounts) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  auto root = append(*s, msg(room, "ch_a", alice, "root")).message;
  EXPECT_EQ(root.thread_id, "");
  EXPECT_EQ(root.reply_count, 0);

  bool created = false;
  s->begin();
  auto t = s->create_thread(root.id, created);
  bool again_created = true;
  auto again = s->create_thread(root.id, again_created);
  s->commit();
  ASSERT_TRUE(t) << t.error().message;
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(created);
  EXPECT_FALSE(again_created);
  EXPECT_EQ(t->id, again->id);
  EXPECT_EQ(t->id.rfind("thr_", 0), 0u);
  EXPECT_EQ(t->room_id, room);
  EXPECT_EQ(t->channel_id, "ch_a");
  EXPECT_EQ(t->root_id, root.id);
  EXPECT_EQ(scalar("SELECT count(*) FROM threads"), 1);

  bool unused = false;
  EXPECT_TRUE(s->create_thread("msg_missing", unused).not_found());
  EXPECT_TRUE(s->find_thread("thr_missing").not_found());

  s->begin();
  auto r1 = s->append_reply(reply(t->id, alice, "first"));
  auto r2 = s->append_reply(reply(t->id, alice, "second", "c-2"));
  s->commit();
  ASSERT_TRUE(r1) << r1.error().message;
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r1->message.seq, 1);
  EXPECT_EQ(r2->message.seq, 2);
  EXPECT_EQ(r2->message.thread_id, t->id);
  EXPECT_EQ(r2->message.room_id, room);
  EXPECT_EQ(r2->message.channel_id, "ch_a");
  EXPECT_EQ(r2->message.author.login, "alice");
  EXPECT_EQ(r2->message.client_msg_id, "c-2");

  // Every read of the root carries its thread: by id, pages and tails.
  auto found = s->find_message(root.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->thread_id, t->id);
  EXPECT_EQ(found->reply_count, 2);
  EXPECT_EQ(found->last_reply_at, r2->message.created_at);
  auto tail = s->tail(room, "ch_a", 5);
  ASSERT_TRUE(tail);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ(tail->front().reply_count, 2);
  message_query q;
  q.room_id = room;
  q.limit = 10;
  auto page = s->list_messages(q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().thread_id, t->id);
  EXPECT_EQ(page->front().reply_count, 2);
  // Replies are not messages of the channel.
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1);

  auto th = s->find_thread(t->id);
  ASSERT_TRUE(th);
  EXPECT_EQ(th->reply_count, 2);
  EXPECT_FALSE(th->room_slug.empty());
}

TEST_P(StoreTest, RepliesAreIdempotentPagedInOrderAndOutliveTheRoot) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  auto root = append(*s, msg(room, room_thread, alice, "root")).message;
  bool created = false;
  s->begin();
  auto t = s->create_thread(root.id, created).value();
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(s->append_reply(
        reply(t.id, i % 2 ? alice : bob, "r" + std::to_string(i), "c-" + std::to_string(i))));
  // The same (author, client id) again: the original, nothing new. Another author may use it.
  auto dup = s->append_reply(reply(t.id, alice, "retry", "c-1"));
  auto other = s->append_reply(reply(t.id, bob, "bob's c-1", "c-1"));
  s->commit();
  ASSERT_TRUE(dup);
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->message.content, "r1");
  EXPECT_EQ(dup->message.seq, 1);
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->duplicate);
  EXPECT_EQ(other->message.seq, 6);

  auto first = s->list_replies(t.id, 0, 4);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 4u);
  EXPECT_EQ(first->front().content, "r1");
  EXPECT_EQ((*first)[1].author.login, "bob");
  auto rest = s->list_replies(t.id, first->back().seq, 4);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ(rest->front().content, "r5");
  EXPECT_EQ(rest->back().content, "bob's c-1");
  EXPECT_TRUE(s->list_replies("thr_missing", 0, 10).value().empty());
  EXPECT_TRUE(s->append_reply(reply("thr_missing", alice, "x")).not_found());

  // Deleting the root keeps the thread and its replies; replying still works.
  s->begin();
  ASSERT_TRUE(s->delete_message(root.id));
  auto after = s->append_reply(reply(t.id, bob, "after the root went"));
  s->commit();
  ASSERT_TRUE(after) << after.error().message;
  EXPECT_EQ(after->message.seq, 7);
  EXPECT_EQ(s->list_replies(t.id, 0, 100).value().size(), 7u);
  EXPECT_EQ(s->find_thread(t.id).value().reply_count, 7);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
