// Ids, times and text: the core every module builds on.

#include <set>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/login.hpp"
#include "core/text.hpp"

using namespace relay;

TEST(ids, are_prefixed_sortable_and_unique) {
  std::string prev;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = make_id("msg");
    ASSERT_EQ(id.size(), 4u + 26u);
    ASSERT_EQ(id.rfind("msg_", 0), 0u);
    ASSERT_LT(prev, id) << "ids made in one process must be strictly increasing";
    prev = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
  EXPECT_LT(make_id("x", 1000), make_id("x", 2000).substr(0, 12) + "ZZZZZZZZZZZZZZZZ");
}

TEST(ids, hash_and_random_hex) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto a = random_hex(32), b = random_hex(32);
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
}

TEST(clock, iso8601_round_trips_with_milliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1777937400123), "2026-05-04T23:30:00.123Z");
  EXPECT_EQ(parse_iso8601("2026-05-04T23:30:00.123Z"), 1777937400123);
  EXPECT_EQ(parse_iso8601("2026-05-04T23:30:00Z"), 1777937400000);
  EXPECT_EQ(parse_iso8601("2026-05-04T23:30:00.123456Z"), 1777937400123);
  EXPECT_FALSE(parse_iso8601("2026-05-04 23:30:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-13-04T23:30:00Z"));
  EXPECT_FALSE(parse_iso8601("yesterday"));
}

TEST(text, utf8_validation_rejects_every_malformed_form) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_FALSE(valid_utf8("\xFF"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE2\x82"));          // truncated
  EXPECT_FALSE(valid_utf8("\x80"));              // stray continuation
}

// Both functions read ASCII 8 bytes at a time: a sequence must be judged and counted the
// same wherever it sits against those 8-byte steps, and at the very end of the text.
TEST(text, utf8_is_judged_and_counted_the_same_at_every_offset_in_long_text) {
  const std::string bad[] = {"\xFF",     "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                             "\xE2\x82", "\x80"};
  const std::string good[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\x7F"};
  for (std::size_t before = 0; before <= 17; ++before) {
    for (std::size_t after : {std::size_t{0}, std::size_t{1}, std::size_t{9}}) {
      const std::string head(before, 'a'), tail(after, 'z');
      for (auto& b : bad) {
        // A truncated sequence followed by ASCII is still malformed.
        EXPECT_FALSE(valid_utf8(head + b + tail)) << before << "+" << after;
      }
      for (auto& g : good) {
        EXPECT_TRUE(valid_utf8(head + g + tail)) << before << "+" << after;
        EXPECT_EQ(utf8_length(head + g + tail), before + 1 + after) << before << "+" << after;
      }
    }
  }
  std::string mixed;
  for (int i = 0; i < 50; ++i)
    mixed +=
        "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"
        "cdefghij";
  EXPECT_TRUE(valid_utf8(mixed));
  EXPECT_EQ(utf8_length(mixed), 50u * 13u);
}

TEST(text, trim_and_length_count_code_points) {
  EXPECT_EQ(trim("  hi \n\t"), "hi");
  EXPECT_EQ(trim("\xE3\x80\x80hi\xC2\xA0"), "hi");  // ideographic space, no-break space
  EXPECT_EQ(trim("   "), "");
  EXPECT_EQ(utf8_length("\xF0\x9F\x98\x80\xF0\x9F\x98\x80"), 2u);
}

TEST(text, a_reaction_is_one_emoji_or_a_short_name) {
  for (const char* ok : {"👍",
                         "👍🏽",
                         "❤️",
                         "❤",
                         "👨‍👩‍👧‍👦",
                         "🏳️‍🌈",
                         "🧑🏿‍💻",
                         "🏌️‍♂️",
                         "🇫🇷",
                         "🇺🇸",
                         "1️⃣",
                         "#⃣",
                         "*️⃣",
                         "🏴󠁧󠁢󠁥󠁮󠁧󠁿",
                         "©️",
                         ":tada:",
                         ":+1:",
                         ":-1:",
                         ":a:",
                         ":thumbs_up_2:",
                         ":abcdefghijklmnopqrstuvwxyz012345:"})
    EXPECT_TRUE(valid_reaction(ok)) << ok;
  for (const char* bad : {"",
                          "a",
                          "ab",
                          "1",
                          "#",
                          "👍👍",
                          "👍 ",
                          " 👍",
                          "👍a",
                          "🇫",
                          "🇫🇷🇺🇸",
                          "🏽",
                          "\u200D",
                          "👍\u200D",
                          "\u200D👍",
                          "👍\u200D\u200D👍",
                          "️",
                          "1⃣⃣",
                          "👍\n",
                          "\t",
                          "\x01",
                          "\x7f",
                          ":",
                          "::",
                          ":Tada:",
                          ":TADA:",
                          ":ta da:",
                          ":tada",
                          "tada:",
                          ":ta:da:",
                          ":abcdefghijklmnopqrstuvwxyz0123456:",
                          ":tada:\n",
                          ":\xC3\xA9:",
                          "\xF0\x9F\x91",
                          "\xC0\xAF",
                          "\xED\xA0\x80",
                          "🏴󠁧󠁢",
                          "🏴󠁿",
                          "<script>",
                          "%F0%9F%91%8D",
                          "\xE2\x80\xAE👍"})
    EXPECT_FALSE(valid_reaction(bad)) << bad;
  // A chain of joiners past any real sequence is refused, not stored.
  std::string chain = "👍";
  for (int i = 0; i < 20; ++i) chain += "\u200D👍";
  EXPECT_FALSE(valid_reaction(chain));
  // A NUL inside is not the emoji before it.
  EXPECT_FALSE(valid_reaction(std::string_view("👍\0", 5)));
}

TEST(login, mentions_are_words_outside_code_each_once) {
  using v = std::vector<std::string>;
  EXPECT_EQ(mentioned_logins("hi @Bob and @carol, @bob again"), (v{"bob", "carol"}));
  EXPECT_EQ(mentioned_logins("mail a@bob.com or @bob_2! @"), (v{"bob_2"}));
  EXPECT_EQ(mentioned_logins("say `@bob` to @carol"), (v{"carol"}));
  EXPECT_EQ(mentioned_logins("``a ` @bob`` @dan"), (v{"dan"}));
  EXPECT_EQ(mentioned_logins("```\n@bob\n```\n@erin"), (v{"erin"}));
  EXPECT_EQ(mentioned_logins("open fence ```\n@bob"), v{});
  EXPECT_EQ(mentioned_logins("a lone ` then @frank"), (v{"frank"}));
  EXPECT_EQ(mentioned_logins("@" + std::string(40, 'x')), v{});
  EXPECT_EQ(mentioned_logins("@a @b @c", 2), (v{"a", "b"}));
  EXPECT_TRUE(mentions_login("hi @Helper!", "helper"));
  EXPECT_FALSE(mentions_login("hi @helpers", "helper"));
  EXPECT_FALSE(mentions_login("`@helper`", "helper"));
}
