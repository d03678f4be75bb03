// What a message's content must be before it is stored: trimmed, 1..4000 characters,
// UTF-8; and which bot a reply prefix tags it with.
#include "actors/chat/content_rules.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace relay;

TEST(content_rules, trims_and_limits_to_4000_characters) {
  auto ok = check_content("  hello  ", 4000);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.text, "hello");
  std::string emoji;
  for (int i = 0; i < 4000; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_FALSE(check_content(emoji, 4000).error) << "4000 emoji are 4000 characters";
  EXPECT_EQ(check_content(emoji + "x", 4000).error.code, errc::content_too_long);
  EXPECT_FALSE(check_content(" " + std::string(4000, 'a') + " ", 4000).error);
  EXPECT_EQ(check_content(" \t\n", 4000).error.code, errc::content_empty);
  EXPECT_EQ(check_content("\xFF", 4000).error.code, errc::invalid_utf8);
  EXPECT_EQ(check_content(std::string("a\0b", 3), 4000).error.code, errc::bad_request);
  EXPECT_EQ(bot_tag("yeeyee: hi"), "yee");
  EXPECT_EQ(bot_tag("hi yeeyee:"), "");
}
