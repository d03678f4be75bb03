// The log of what SSE streams wrote: where a client that names its last event is in
// every channel.

#include <gtest/gtest.h>

#include "core/stream_cursors.hpp"

using namespace relay;

TEST(stream_cursors, splits_event_ids_at_the_last_colon) {
  auto a = split_event_id("__lobby:12");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first, "__lobby");
  EXPECT_EQ(a->second, 12);
  EXPECT_EQ(split_event_id("a:b:3")->first, "a:b");
  for (auto bad : {"", "12", ":3", "ch:", "ch:x", "ch:-1", "ch:3x"})
    EXPECT_FALSE(split_event_id(bad)) << bad;
}

TEST(stream_cursors, the_last_event_gives_every_channel_as_of_then) {
  stream_cursors book;
  auto log = book.open("room/u1", 0);
  log->synced({{"__lobby", 3}, {"ch_a", 7}, {"ch_b", 0}}, "__lobby:3");
  log->wrote("__lobby:4");
  log->wrote("ch_a:8");
  log->wrote("ch_b:1");
  log->wrote("__lobby:5");
  // The client got ch_a:8 but nothing after it.
  EXPECT_EQ(book.find("room/u1", "ch_a:8", 1),
            (cursor_map{{"__lobby", 4}, {"ch_a", 8}, {"ch_b", 0}}));
  EXPECT_EQ(book.find("room/u1", "__lobby:5", 1),
            (cursor_map{{"__lobby", 5}, {"ch_a", 8}, {"ch_b", 1}}));
  // Not written by this stream, another user's or room's stream: unknown.
  EXPECT_FALSE(book.find("room/u1", "ch_a:9", 1));
  EXPECT_FALSE(book.find("room/u2", "ch_a:8", 1));
  EXPECT_FALSE(book.find("other/u1", "ch_a:8", 1));
}

TEST(stream_cursors, a_client_that_got_only_the_sync_resumes_from_it) {
  stream_cursors book;
  auto first = book.open("k", 0);
  first->synced({{"__lobby", 0}, {"ch", 0}}, "");
  first->wrote("ch:1");
  book.ended(first, 10);
  // It reconnected from ch:1 and got a sync with lobby 2 (the sync's id), then the
  // socket died with ch:2 in flight: its Last-Event-ID is the sync's.
  auto second = book.open("k", 20);
  second->synced({{"__lobby", 2}, {"ch", 1}}, "__lobby:2");
  second->wrote("ch:2");
  EXPECT_EQ(book.find("k", "ch:2", 30), (cursor_map{{"__lobby", 2}, {"ch", 2}}));
  EXPECT_EQ(book.find("k", "__lobby:2", 30), (cursor_map{{"__lobby", 2}, {"ch", 1}}));
  // Still at ch:1, it may never have got that sync: the first stream decides, and
  // lobby 2 comes again rather than not at all.
  EXPECT_EQ(book.find("k", "ch:1", 30), (cursor_map{{"__lobby", 0}, {"ch", 1}}));
  // A sync without messages moved nothing the client could miss: its cursor is enough.
  auto third = book.open("k", 40);
  third->synced({{"__lobby", 2}, {"ch", 2}}, "");
  EXPECT_EQ(book.find("k", "ch:2", 50), (cursor_map{{"__lobby", 2}, {"ch", 2}}));
}

TEST(stream_cursors, a_client_that_lost_more_than_the_log_falls_back) {
  stream_cursors book;
  auto log = book.open("k", 0);
  log->synced({{"ch", 0}}, "");
  for (int i = 1; i <= static_cast<int>(stream_cursors::log_entries) + 10; ++i)
    log->wrote("ch:" + std::to_string(i));
  EXPECT_FALSE(book.find("k", "ch:5", 1));  // folded away
  EXPECT_TRUE(book.find("k", "ch:100", 1));
}

TEST(stream_cursors, ended_streams_are_forgotten_after_keep_ms) {
  stream_cursors book{1000};
  auto log = book.open("k", 0);
  log->synced({{"ch", 0}}, "");
  log->wrote("ch:1");
  EXPECT_TRUE(book.find("k", "ch:1", 5000));  // still live: kept
  book.ended(log, 5000);
  EXPECT_TRUE(book.find("k", "ch:1", 5900));
  EXPECT_FALSE(book.find("k", "ch:1", 6100));
  // At most logs_per_key per key: the oldest ended one goes first.
  std::vector<std::shared_ptr<stream_cursors::log>> live;
  for (std::size_t i = 0; i < stream_cursors::logs_per_key + 1; ++i) {
    live.push_back(book.open("k2", 0));
    live.back()->synced({{"ch", 0}}, "");
    live.back()->wrote("ch:" + std::to_string(i + 1));
  }
  EXPECT_FALSE(book.find("k2", "ch:1", 0));
  EXPECT_TRUE(book.find("k2", "ch:2", 0));
}

TEST(stream_cursors, ended_logs_are_bounded_in_all_oldest_out_first) {
  stream_cursors book;
  std::vector<std::shared_ptr<stream_cursors::log>> logs;
  for (std::size_t i = 0; i < stream_cursors::max_ended + 2; ++i) {
    auto key = "room/u" + std::to_string(i);  // a different user each: no per-key cap
    logs.push_back(book.open(key, 0));
    logs.back()->synced({{"ch", 0}}, "");
    logs.back()->wrote("ch:1");
    book.ended(logs.back(), static_cast<std::int64_t>(i));
  }
  EXPECT_EQ(book.size(), stream_cursors::max_ended);
  EXPECT_FALSE(book.find("room/u0", "ch:1", 10));
  EXPECT_FALSE(book.find("room/u1", "ch:1", 10));
  EXPECT_TRUE(book.find("room/u2", "ch:1", 10));
  // A live stream is never counted against the bound, nor dropped by age.
  auto live = book.open("room/live", 0);
  live->synced({{"ch", 0}}, "");
  live->wrote("ch:7");
  EXPECT_TRUE(book.find("room/live", "ch:7", 100 * 60 * 1000));
  EXPECT_EQ(book.size(), 1u);  // every ended one has expired by then
}
