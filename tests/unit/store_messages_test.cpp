// The store suite (store_suite.hpp), messages area: per-channel seqs, idempotent appends,
// keyset pages, edits and deletes.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

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

// Reserving seqs ahead is SQLite's (store_sqlite_test.cpp); Postgres reserves nothing
// (store_postgres_test.cpp).

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

// A client that resends a send it never saw acknowledged gets the same serverId even when
// the message was deleted meanwhile, and no second message takes a seq.
TEST_P(StoreTest, ADeletedMessageKeepsItsClientIdTaken) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  auto first = append(*s, msg(room, "ch_a", alice, "secret", "c-gone"));
  ASSERT_TRUE(s->begin());
  ASSERT_TRUE(s->delete_message(first.message.id));
  ASSERT_TRUE(s->commit());

  auto resent = append(*s, msg(room, "ch_a", alice, "secret again", "c-gone"));
  EXPECT_TRUE(resent.duplicate);
  EXPECT_EQ(resent.message.id, first.message.id);
  EXPECT_EQ(resent.message.seq, 1);
  EXPECT_EQ(resent.message.client_msg_id, "c-gone");
  EXPECT_EQ(resent.message.content, "") << "a deleted message's text does not outlive it";
  EXPECT_FALSE(s->find_message(first.message.id).has_value());
  EXPECT_EQ(s->last_seq(room, "ch_a").value(), 1);
  EXPECT_EQ(append(*s, msg(room, "ch_a", alice, "next", "c-next")).message.seq, 2);
  EXPECT_EQ(scalar("SELECT count(*) FROM messages"), 1);
}

// Content is bytes as the client sent them: U+0000 and all survive every read.
TEST_P(StoreTest, ContentKeepsEveryByte) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  constexpr char raw[] = "nul\0in the middle \xe2\x9c\x93 and '\\' quotes\"";
  const std::string content{raw, sizeof raw - 1};
  ASSERT_EQ(content.size(), 37u);
  auto r = append(*s, msg(room, "ch_a", alice, content));
  EXPECT_EQ(r.message.content, content);
  EXPECT_EQ(s->find_message(r.message.id)->content, content);
  EXPECT_EQ(s->tail(room, "ch_a", 1).value().at(0).content, content);
  message_query q;
  q.room_id = room;
  EXPECT_EQ(s->list_messages(q).value().at(0).content, content);

  const std::string edited{"\0\0edited\0", 9};
  ASSERT_EQ(edited.back(), '\0');
  ASSERT_TRUE(s->begin());
  auto e = s->edit_message(r.message.id, edited, 5);
  ASSERT_TRUE(s->commit());
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->content, edited);
  EXPECT_EQ(s->find_message(r.message.id)->content, edited);
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

// -- reactions ----------------------------------------------------------------------

std::vector<std::pair<std::string, std::vector<std::string>>> reactions_of(const message_row& m) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (auto& r : m.reactions) out.emplace_back(r.emoji, r.logins);
  return out;
}

using reaction_list = std::vector<std::pair<std::string, std::vector<std::string>>>;

TEST_P(StoreTest, ReactionsAreIdempotentAndKeepTheOrderPeopleReacted) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  auto m = append(*s, msg(room, "ch_a", alice, "react to me")).message;
  EXPECT_TRUE(m.reactions.empty());

  s->begin();
  EXPECT_EQ(s->add_reaction(m.id, "👍", bob, 50).value_or(false), true);
  EXPECT_EQ(s->add_reaction(m.id, ":tada:", alice, 50).value_or(false), true);
  EXPECT_EQ(s->add_reaction(m.id, "👍", alice, 50).value_or(false), true);
  // Again: nothing changes, and it says so.
  auto again = s->add_reaction(m.id, "👍", bob, 50);
  s->commit();
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);

  auto found = s->find_message(m.id);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(reactions_of(*found), (reaction_list{{"👍", {"bob", "alice"}}, {":tada:", {"alice"}}}));

  s->begin();
  EXPECT_EQ(s->remove_reaction(m.id, "👍", bob).value_or(false), true);
  auto gone = s->remove_reaction(m.id, "👍", bob);
  auto never = s->remove_reaction(m.id, ":nope:", alice);
  s->commit();
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  ASSERT_TRUE(never);
  EXPECT_FALSE(*never);
  // An emoji is ordered by the earliest reaction still on it: alice's 👍 came after her 🎉.
  EXPECT_EQ(reactions_of(*s->find_message(m.id)),
            (reaction_list{{":tada:", {"alice"}}, {"👍", {"alice"}}}));

  // The last one off an emoji takes the emoji off; putting it back puts it last.
  s->begin();
  ASSERT_TRUE(s->remove_reaction(m.id, "👍", alice));
  ASSERT_TRUE(s->add_reaction(m.id, "👍", bob, 50));
  s->commit();
  EXPECT_EQ(reactions_of(*s->find_message(m.id)),
            (reaction_list{{":tada:", {"alice"}}, {"👍", {"bob"}}}));

  EXPECT_TRUE(s->add_reaction("msg_missing", "👍", bob, 50).not_found());
  EXPECT_TRUE(s->remove_reaction("msg_missing", "👍", bob).not_found());

  // A deleted message's reactions go with it; reacting to it is not_found.
  s->begin();
  ASSERT_TRUE(s->delete_message(m.id));
  s->commit();
  EXPECT_TRUE(s->add_reaction(m.id, "👍", bob, 50).not_found());
}

TEST_P(StoreTest, AMessageTakesAtMostTheDistinctReactionsItMayHave) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  auto m = append(*s, msg(room, "ch_a", alice, "popular")).message;
  s->begin();
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(s->add_reaction(m.id, ":e" + std::to_string(i) + ":", alice, 5));
  auto sixth = s->add_reaction(m.id, ":e5:", alice, 5);
  // Another person on an emoji already there is not a new distinct one.
  auto more = s->add_reaction(m.id, ":e0:", bob, 5);
  s->commit();
  ASSERT_FALSE(sixth);
  EXPECT_EQ(sixth.error().code, errc::conflict);
  ASSERT_TRUE(more);
  EXPECT_TRUE(*more);
  auto found = s->find_message(m.id);
  ASSERT_EQ(found->reactions.size(), 5u);
  EXPECT_EQ(found->reactions[0].logins, (std::vector<std::string>{"alice", "bob"}));
}

TEST_P(StoreTest, PagesTailsAndResumesCarryEachMessagesReactions) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto bob = user(*s, "bob");
  std::vector<message_row> ms;
  for (int i = 0; i < 4; ++i)
    ms.push_back(append(*s, msg(room, "ch_a", alice, "m" + std::to_string(i))).message);
  s->begin();
  ASSERT_TRUE(s->add_reaction(ms[0].id, "👍", bob, 50));
  ASSERT_TRUE(s->add_reaction(ms[2].id, "🎉", alice, 50));
  ASSERT_TRUE(s->add_reaction(ms[2].id, "🎉", bob, 50));
  ASSERT_TRUE(s->add_reaction(ms[2].id, ":x:", bob, 50));
  s->commit();
  auto check = [&](const std::vector<message_row>& page) {
    ASSERT_EQ(page.size(), 4u);
    for (auto& m : page) {
      if (m.id == ms[0].id)
        EXPECT_EQ(reactions_of(m), (reaction_list{{"👍", {"bob"}}}));
      else if (m.id == ms[2].id)
        EXPECT_EQ(reactions_of(m), (reaction_list{{"🎉", {"alice", "bob"}}, {":x:", {"bob"}}}));
      else
        EXPECT_TRUE(m.reactions.empty()) << m.content;
    }
  };
  message_query q;
  q.room_id = room;
  q.channel_id = "ch_a";
  q.limit = 10;
  auto page = s->list_messages(q);
  ASSERT_TRUE(page);
  check(*page);
  q.after_seq = 0;
  page = s->list_messages(q);
  ASSERT_TRUE(page);
  check(*page);
  auto tail = s->tail(room, "ch_a", 10);
  ASSERT_TRUE(tail);
  check(*tail);
  message_query all;
  all.room_id = room;
  all.channel_ids = std::vector<std::string>{"ch_a", room_thread};
  all.limit = 10;
  page = s->list_messages(all);
  ASSERT_TRUE(page);
  check(*page);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
