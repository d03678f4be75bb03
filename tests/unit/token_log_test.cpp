#include "core/token_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using relay::token_log;

std::vector<std::pair<std::int64_t, std::string>> after(const token_log& log, std::int64_t seq) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  log.each_after(seq, [&](std::int64_t s, std::string_view t) { out.emplace_back(s, t); });
  return out;
}

TEST(TokenLog, NumbersTokensFromOneAndReplaysAfterASeq) {
  token_log log;
  EXPECT_EQ(log.last_seq(), 0);
  EXPECT_EQ(log.append("Hel"), 1);
  EXPECT_EQ(log.append(""), 2);  // an empty token is a token
  EXPECT_EQ(log.append("lo"), 3);
  using v = std::vector<std::pair<std::int64_t, std::string>>;
  EXPECT_EQ(after(log, 0), (v{{1, "Hel"}, {2, ""}, {3, "lo"}}));
  EXPECT_EQ(after(log, 2), (v{{3, "lo"}}));
  EXPECT_TRUE(after(log, 3).empty());
  EXPECT_TRUE(after(log, 99).empty());
}

TEST(TokenLog, PastItsCapDropsTheOldestHalfAndSaysWhereItStarts) {
  token_log log(64);
  for (int i = 1; i <= 100; ++i) log.append("t" + std::to_string(i));
  EXPECT_EQ(log.last_seq(), 100);
  EXPECT_LE(log.bytes(), 64u);
  EXPECT_GT(log.first_seq(), 1);
  auto kept = after(log, 0);
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.front().first, log.first_seq());
  EXPECT_EQ(kept.back(), (std::pair<std::int64_t, std::string>{100, "t100"}));
  for (auto& [seq, text] : kept) EXPECT_EQ(text, "t" + std::to_string(seq));
  EXPECT_EQ(after(log, 98).size(), 2u);
}

}  // namespace
