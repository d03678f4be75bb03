// Token buckets behind the send limits (core/rate_limit.hpp); time is passed in, so
// these tests are exact.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/rate_limit.hpp"

using relay::keyed_limiter;
using relay::token_bucket;

TEST(token_bucket, grants_the_burst_then_says_how_long_to_wait) {
  token_bucket b{2.0, 3.0};  // 2 a second, burst 3
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.take(1000), 0) << i;
  EXPECT_EQ(b.take(1000), 500) << "one token takes half a second at 2/s";
  EXPECT_EQ(b.take(1250), 250);
  EXPECT_EQ(b.take(1500), 0) << "refilled";
}

TEST(token_bucket, refills_up_to_the_burst_only) {
  token_bucket b{10.0, 2.0};
  EXPECT_EQ(b.take(0), 0);
  EXPECT_EQ(b.take(0), 0);
  EXPECT_GT(b.take(0), 0);
  EXPECT_TRUE(b.full(60'000));
  EXPECT_EQ(b.take(60'000), 0);
  EXPECT_EQ(b.take(60'000), 0);
  EXPECT_GT(b.take(60'000), 0) << "an hour of silence still buys only the burst";
}

TEST(token_bucket, time_going_backwards_grants_nothing_extra) {
  token_bucket b{1.0, 1.0};
  EXPECT_EQ(b.take(5000), 0);
  EXPECT_GT(b.take(4000), 0);
}

TEST(keyed_limiter, keys_have_their_own_buckets) {
  keyed_limiter l{1.0, 1.0};
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_GT(l.take("alice", 0), 0);
  EXPECT_EQ(l.take("bob", 0), 0);
}

TEST(keyed_limiter, is_exact_under_concurrent_takes) {
  keyed_limiter l{0.0001, 1000.0};
  std::atomic<int> granted{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        if (l.take("shared", 0) == 0) ++granted;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(granted.load(), 1000) << "2000 attempts, a burst of 1000";
}

TEST(keyed_limiter, without_an_observer_is_a_local_bucket_as_before) {
  keyed_limiter l{1.0, 2.0};
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_EQ(l.take("alice", 0), 1000);
}

TEST(keyed_limiter, tells_its_observer_of_grants_only) {
  keyed_limiter l{1.0, 2.0};
  std::vector<std::string> heard;
  l.observe([&](const std::string& key) { heard.push_back(key); });
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_EQ(l.take("bob", 0), 0);
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_GT(l.take("alice", 0), 0) << "refused: the shared bucket is not told";
  EXPECT_EQ(heard, (std::vector<std::string>{"alice", "bob", "alice"}));
}

TEST(keyed_limiter, settle_lowers_a_bucket_and_never_raises_it) {
  keyed_limiter l{2.0, 10.0};
  EXPECT_EQ(l.take("alice", 0), 0);  // 9 left here
  l.settle("alice", 1.0, 0);         // the shared bucket had 1 left: other nodes sent
  EXPECT_EQ(l.take("alice", 0), 0);
  EXPECT_EQ(l.take("alice", 0), 500) << "the local bucket follows the shared one down";
  l.settle("alice", 50.0, 500);
  EXPECT_EQ(l.take("alice", 500), 0) << "refilled at its own rate, not to the shared 50";
  EXPECT_GT(l.take("alice", 500), 0);
  EXPECT_EQ(l.take("bob", 500), 0) << "other keys untouched";
}

TEST(keyed_limiter, a_negative_settle_is_a_debt_the_refill_pays_first) {
  keyed_limiter l{1.0, 4.0};
  l.settle("alice", -2.0, 0);
  EXPECT_EQ(l.take("alice", 0), 3000) << "two tokens owed, then one to take";
  EXPECT_EQ(l.take("alice", 3000), 0);
  l.settle("bob", -1e9, 0);
  EXPECT_EQ(l.take("bob", 0), 5000) << "the debt stops at one burst";
}

TEST(byte_budget, grants_reservations_up_to_the_rate_and_takes_refunds) {
  relay::byte_budget b{1000.0, 2000.0};  // 1,000 bytes a second, burst 2,000
  EXPECT_EQ(b.reserve(1500, 0), 0);
  EXPECT_EQ(b.reserve(1000, 0), 500) << "500 left: the next 1,000 need half a second";
  EXPECT_EQ(b.reserve(1000, 500), 0);
  EXPECT_GT(b.reserve(1, 500), 0) << "spent";
  b.refund(1000, 200);  // a page came out 800 bytes smaller than reserved
  EXPECT_EQ(b.reserve(800, 500), 0);
  b.refund(1'000'000, 0);
  EXPECT_EQ(b.reserve(2000, 500), 0) << "refunds fill up to the burst";
  EXPECT_GT(b.reserve(1, 500), 0) << "and no further";
}

TEST(byte_budget, a_reservation_above_the_burst_waits_for_a_full_bucket_then_goes_into_debt) {
  relay::byte_budget b{1000.0, 1000.0};
  EXPECT_EQ(b.reserve(5000, 0), 0) << "a full bucket lets a big page through";
  EXPECT_NEAR(b.reserve(1, 0), 4001, 1) << "paid back at the rate before anything else goes";
  EXPECT_EQ(b.reserve(1, 4002), 0);
}

TEST(byte_budget, zero_rate_means_unlimited) {
  relay::byte_budget b{0.0, 0.0};
  for (int i = 0; i < 100; ++i) EXPECT_EQ(b.reserve(1 << 30, 0), 0);
}
