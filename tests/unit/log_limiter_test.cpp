// The limiter behind log lines that anyone can cause (core/log_limiter.hpp), e.g. one
// per refused LiveKit webhook: time is passed in, so these tests are exact.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/log_limiter.hpp"

using relay::log_limiter;

TEST(log_limiter, logs_the_first_then_holds_back_the_rest_of_the_interval) {
  log_limiter l{10'000};
  auto first = l.admit(5'000);
  EXPECT_TRUE(first.log);
  EXPECT_EQ(first.suppressed, 0u);
  for (int i = 0; i < 999; ++i) EXPECT_FALSE(l.admit(5'000 + i).log) << i;
  EXPECT_FALSE(l.admit(14'999).log);
  auto next = l.admit(15'000);
  EXPECT_TRUE(next.log) << "one line per interval";
  EXPECT_EQ(next.suppressed, 1000u) << "and it says how many were held back";
  auto quiet = l.admit(40'000);
  EXPECT_TRUE(quiet.log);
  EXPECT_EQ(quiet.suppressed, 0u);
}

TEST(log_limiter, a_burst_of_refusals_writes_a_bounded_number_of_lines) {
  // 100,000 refusals spread over 60 s with a 10 s interval: at most 7 lines (the
  // first, then one per interval), and together they account for every refusal.
  log_limiter l{10'000};
  int lines = 0;
  std::uint64_t accounted = 0;
  std::uint64_t held = 0;  // since the last line written
  for (int i = 0; i < 100'000; ++i) {
    auto v = l.admit(i * 60'000LL / 100'000);
    if (v.log) {
      ++lines;
      accounted += 1 + v.suppressed;
      held = 0;
    } else {
      ++held;
    }
  }
  EXPECT_LE(lines, 7);
  EXPECT_GE(lines, 6);
  EXPECT_EQ(accounted + held, 100'000u) << "no refusal goes uncounted";
}

TEST(log_limiter, a_clock_that_steps_back_does_not_silence_it) {
  log_limiter l{10'000};
  EXPECT_TRUE(l.admit(1'000'000).log);
  EXPECT_FALSE(l.admit(1'000'001).log);
  EXPECT_TRUE(l.admit(500).log);
  EXPECT_FALSE(l.admit(600).log);
}

TEST(log_limiter, threads_sharing_it_write_one_line_per_interval) {
  log_limiter l{10'000};
  std::atomic<int> lines{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i)
        if (l.admit(42).log) ++lines;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(lines.load(), 1);
  auto v = l.admit(10'042);
  EXPECT_TRUE(v.log);
  EXPECT_EQ(v.suppressed, 39'999u);
}
