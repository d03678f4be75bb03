// The channel's cache of resume pages: ranges, page limits, merging, edits and
// deletes, the byte cap and idle expiry.

#include <algorithm>

#include <gtest/gtest.h>

#include "actors/chat/page_cache.hpp"
#include "actors/resume_page.hpp"

using namespace relay;

namespace {

storage::message_row row(std::int64_t seq, std::string content = {}) {
  storage::message_row r;
  r.id = "msg_" + std::to_string(seq);
  r.seq = seq;
  // Every default content is as long as every other: the byte tests count rows.
  auto n = std::to_string(seq);
  r.content =
      content.empty() ? "message " + std::string(6 - n.size(), '0') + n : std::move(content);
  return r;
}

// Every seq in [from, to] except `missing`.
std::vector<storage::message_row> rows(std::int64_t from, std::int64_t to,
                                       std::vector<std::int64_t> missing = {}) {
  std::vector<storage::message_row> out;
  for (auto s = from; s <= to; ++s)
    if (std::find(missing.begin(), missing.end(), s) == missing.end()) out.push_back(row(s));
  return out;
}

std::vector<std::int64_t> seqs(const page_cache::page& p) {
  std::vector<std::int64_t> out;
  for (auto& r : p.rows) out.push_back(r.seq);
  return out;
}

constexpr std::size_t any = 1000;
constexpr std::size_t big = 1 << 20;

}  // namespace

TEST(page_cache, serves_only_what_a_read_covered) {
  page_cache c{big};
  EXPECT_FALSE(c.find(10, 100, any, big, 0));
  c.insert(10, 20, rows(11, 20, {15}), 0);  // 15 was deleted before the read
  auto p = c.find(10, 100, any, big, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{11, 12, 13, 14, 16, 17, 18, 19, 20}));
  EXPECT_EQ(p->next, 20);
  p = c.find(14, 100, any, big, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{16, 17, 18, 19, 20}));
  EXPECT_EQ(p->next, 20);
  // Before the range, and past its end: unknown.
  EXPECT_FALSE(c.find(9, 100, any, big, 0));
  EXPECT_FALSE(c.find(20, 100, any, big, 0));
}

TEST(page_cache, pages_stop_at_the_limits_and_at_upto) {
  page_cache c{big};
  c.insert(0, 50, rows(1, 50), 0);
  auto p = c.find(10, 100, 3, big, 0);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{11, 12, 13}));
  EXPECT_EQ(p->next, 13);
  // Two rows' worth of bytes (page_cost), and always at least one row.
  p = c.find(10, 100, any, 2 * page_cost(row(11)), 0);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{11, 12}));
  EXPECT_EQ(p->next, 12);
  p = c.find(10, 100, any, 1, 0);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{11}));
  EXPECT_EQ(p->next, 11);
  p = c.find(45, 47, any, big, 0);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{46, 47}));
  EXPECT_EQ(p->next, 47);
  // Nothing durable past the cursor yet: an empty page that stays put.
  p = c.find(45, 45, any, big, 0);
  EXPECT_TRUE(p->rows.empty());
  EXPECT_EQ(p->next, 45);
}

TEST(page_cache, overlapping_and_touching_reads_merge_into_one_range) {
  page_cache c{big};
  c.insert(20, 30, rows(21, 30), 0);
  c.insert(40, 50, rows(41, 50), 0);
  EXPECT_FALSE(c.find(30, 100, any, big, 0));  // (30, 40] was never read
  c.insert(30, 40, rows(31, 40), 0);           // touches both
  c.insert(15, 25, rows(16, 25), 0);           // overlaps the front
  auto p = c.find(15, 100, any, big, 0);
  ASSERT_TRUE(p);
  EXPECT_EQ(seqs(*p).size(), 35u);
  EXPECT_EQ(p->rows.front().seq, 16);
  EXPECT_EQ(p->next, 50);
  EXPECT_EQ(c.bytes(), page_bytes(rows(16, 50)));
}

TEST(page_cache, follows_edits_and_deletes) {
  page_cache c{big};
  c.insert(0, 10, rows(1, 10), 0);
  auto edited = row(4, "edited");
  c.edit(edited);
  c.erase(row(5));
  c.edit(row(99, "not cached"));  // outside every range: ignored
  auto p = c.find(0, 100, any, big, 0);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{1, 2, 3, 4, 6, 7, 8, 9, 10}));
  EXPECT_EQ(p->rows[3].content, "edited");
  EXPECT_EQ(p->next, 10);
  EXPECT_EQ(c.bytes(), page_bytes(p->rows));
}

TEST(page_cache, stays_under_its_cap_dropping_the_least_recent_oldest_rows) {
  auto cost = page_cost(row(1));
  page_cache c{10 * cost};
  c.insert(0, 8, rows(1, 8), 0);
  c.insert(100, 104, rows(101, 104), 1);  // 12 rows: over by two
  EXPECT_LE(c.bytes(), 10 * cost);
  // The older segment (read at 0) lost its two oldest rows; it still covers the rest.
  EXPECT_FALSE(c.find(0, 200, any, big, 2));
  EXPECT_FALSE(c.find(1, 200, any, big, 2));
  auto p = c.find(2, 200, any, big, 2);
  ASSERT_TRUE(p);
  EXPECT_EQ(seqs(*p), (std::vector<std::int64_t>{3, 4, 5, 6, 7, 8}));
  EXPECT_TRUE(c.find(100, 200, any, big, 2));
  // A read bigger than the cap keeps only its newest rows.
  c.insert(200, 230, rows(201, 230), 3);
  EXPECT_LE(c.bytes(), 10 * cost);
  EXPECT_FALSE(c.find(2, 300, any, big, 4));
  EXPECT_TRUE(c.find(225, 300, any, big, 4));
  page_cache off{0};
  off.insert(0, 10, rows(1, 10), 0);
  EXPECT_FALSE(off.find(0, 10, any, big, 0));
}

TEST(page_cache, ranges_nobody_reads_expire) {
  page_cache c{big};
  c.insert(0, 10, rows(1, 10), 0);
  c.insert(20, 30, rows(21, 30), 0);
  EXPECT_TRUE(c.find(20, 100, any, big, 500));  // read again at 500
  c.expire(100);
  EXPECT_FALSE(c.find(0, 100, any, big, 600));
  EXPECT_TRUE(c.find(20, 100, any, big, 600));
  c.expire(1000);
  EXPECT_TRUE(c.empty());
  EXPECT_EQ(c.bytes(), 0u);
}
