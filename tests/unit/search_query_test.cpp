// protocol/search_query: every operator and filter of the query language, the errors
// that name the problem, FTS5 expressions that cannot be steered by what a user types,
// and snippets that escape everything but their <mark>s.

#include "protocol/search_query.hpp"

#include "core/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace relay::codec {
namespace {

search_query ok(std::string_view q) {
  auto r = parse_search_query(q);
  if (auto* e = std::get_if<error_info>(&r)) ADD_FAILURE() << q << ": " << e->message;
  return std::get_if<search_query>(&r) ? std::get<search_query>(r) : search_query{};
}

std::string error(std::string_view q) {
  auto r = parse_search_query(q);
  auto* e = std::get_if<error_info>(&r);
  if (!e) {
    ADD_FAILURE() << q << " parsed";
    return {};
  }
  return e->message;
}

using v = std::vector<std::string>;

TEST(SearchQuery, WordsPrefixesPhrasesAndExclusions) {
  auto q = ok("  deploy Fri*  \"release notes\" -draft -\"old plan\" ");
  EXPECT_EQ(q.terms, v{"deploy"});
  EXPECT_EQ(q.prefixes, v{"Fri"});
  EXPECT_EQ(q.phrases, v{"release notes"});
  EXPECT_EQ(q.excluded, (v{"draft", "old plan"}));
  EXPECT_FALSE(q.has_filter());
}

TEST(SearchQuery, Filters) {
  auto q =
      ok("in:Eng/Backend from:@Alice before:2026-03-01 after:2026-02-27 has:link "
         "has:attachment is:thread");
  EXPECT_EQ(q.room, "eng");
  EXPECT_EQ(q.channel, std::optional<std::string>{"backend"});
  EXPECT_EQ(q.from, "alice");
  EXPECT_EQ(q.before_ms, 1772323200000);  // 2026-03-01T00:00Z
  EXPECT_EQ(q.after_ms, 1772236800000);   // 2026-02-28T00:00Z: the day itself is left out
  EXPECT_TRUE(q.has_link && q.has_attachment && q.is_thread);
  EXPECT_FALSE(q.has_positive());
  auto r = ok("in:lobby hello");
  EXPECT_EQ(r.room, "lobby");
  EXPECT_FALSE(r.channel);
}

TEST(SearchQuery, UnknownKeysAreText) {
  auto q = ok("foo:bar content:x https://example.com/a");
  EXPECT_EQ(q.terms, (v{"foo:bar", "content:x", "https://example.com/a"}));
  EXPECT_EQ(ok("-foo:bar x").excluded, v{"foo:bar"});
}

TEST(SearchQuery, ErrorsNameTheProblem) {
  EXPECT_NE(error("say \"hello").find("unterminated quote"), std::string::npos);
  EXPECT_NE(error("zebra\"").find("unterminated quote"), std::string::npos);
  EXPECT_NE(error("a\"b c").find("unterminated quote"), std::string::npos);
  EXPECT_NE(error("").find("empty query"), std::string::npos);
  EXPECT_NE(error("   \t ").find("empty query"), std::string::npos);
  EXPECT_NE(error("* - \"\" !!! \"?!\"").find("empty query"), std::string::npos);
  EXPECT_NE(error("-spam").find("besides its -exclusions"), std::string::npos);
  EXPECT_NE(error("before:2026-02-30").find("before: needs a date"), std::string::npos);
  EXPECT_NE(error("after:yesterday").find("after: needs a date"), std::string::npos);
  EXPECT_NE(error("before:1969-12-31").find("before:"), std::string::npos);
  EXPECT_NE(error("from:").find("from: needs a login"), std::string::npos);
  EXPECT_NE(error("from:a/b").find("from: needs a login"), std::string::npos);
  EXPECT_NE(error("in:").find("in: needs a room"), std::string::npos);
  EXPECT_NE(error("in:eng/").find("in: needs a room"), std::string::npos);
  EXPECT_NE(error("in:a in:b").find("given twice"), std::string::npos);
  EXPECT_NE(error("has:pdf").find("has: takes link or attachment"), std::string::npos);
  EXPECT_NE(error("is:pinned").find("is: takes thread"), std::string::npos);
  EXPECT_NE(error("x -from:bob").find("cannot be excluded"), std::string::npos);
  EXPECT_EQ(ok("before:2024-02-29").before_ms, 1709164800000);  // a leap day
}

TEST(SearchQuery, HostileInputNeverCrashes) {
  EXPECT_NE(error(std::string(10'000, 'a')).find("too long"), std::string::npos);
  auto invalid = parse_search_query("caf\xC3 \xFF\xFE");
  ASSERT_TRUE(std::holds_alternative<error_info>(invalid));
  EXPECT_EQ(std::get<error_info>(invalid).code, errc::invalid_utf8);
  // Under the length cap, any bytes parse or fail with a reason.
  std::string noise;
  for (int i = 0; i < 200; ++i) noise += "\"*^:(";
  EXPECT_FALSE(error(noise).empty());
  EXPECT_EQ(ok("a" + std::string(999, '*')).prefixes, v{"a"}) << "trailing stars make a prefix";
}

TEST(SearchQuery, NulSeparatesWords) {
  using namespace std::string_literals;
  EXPECT_EQ(ok("a\0b"s).terms, (v{"a", "b"}));
  EXPECT_EQ(ok("\"a\0b\""s).phrases, v{"a b"});
  auto q = ok("deploy\0*"s);
  EXPECT_EQ(q.terms, v{"deploy"});
  EXPECT_TRUE(q.prefixes.empty());
  EXPECT_EQ(fts5_match(ok("zebra\0"s)), "\"zebra\"");
}

TEST(SearchQuery, TooManyWords) {
  std::string q;
  for (int i = 0; i < 33; ++i) q += "w" + std::to_string(i) + " ";
  EXPECT_NE(error(q).find("too many words"), std::string::npos);
}

TEST(SearchQuery, Fts5ExpressionQuotesEverything) {
  EXPECT_EQ(fts5_string("a\"b"), "\"a\"\"b\"");
  auto q = ok("NEAR(a b) ^start x*y* content:evil OR NOT say\"\" -\"AND\"");
  // Every user word is a string literal; only AND, NOT and * between them are ours.
  EXPECT_EQ(fts5_match(q),
            "(\"NEAR(a\" AND \"b)\" AND \"^start\" AND \"content:evil\" AND \"OR\" AND \"NOT\" "
            "AND \"say\"\"\"\"\" AND \"x*y\"*) NOT (\"AND\")");
  EXPECT_EQ(fts5_match(q, false).find("NOT ("), std::string::npos);
  auto only = ok("in:eng -spam -\"x y\"");
  EXPECT_EQ(fts5_match(only), "");
  EXPECT_EQ(fts5_excluded(only), "\"spam\" OR \"x y\"");
}

TEST(SearchQuery, TsqueryKeepsOnlyLettersAndDigitsInQuotes) {
  auto q = ok("NEAR(a b) ^start x*y* it's a|b&!c:* \\'x -\"draft plan\" -no");
  // Words split where the index splits them; no quote, backslash or operator of the
  // user's reaches to_tsquery, only ours between quoted words.
  EXPECT_EQ(tsquery_match(q),
            "(('NEAR' <-> 'a') & 'b' & 'start' & ('it' <-> 's') & 'x' & ('x' <-> 'y':*) & "
            "('a' <-> 'b' <-> 'c':*)) & !(('draft' <-> 'plan') | 'no')");
  EXPECT_EQ(tsquery_match(q, false).find('!'), std::string::npos);
  auto only = ok("in:eng -spam -\"x y\"");
  EXPECT_EQ(tsquery_match(only), "");
  EXPECT_EQ(tsquery_excluded(only), "'spam' | ('x' <-> 'y')");
  EXPECT_EQ(tsquery_match(ok("Café*")), "'Café':*") << "accents and case are folded in SQL";
}

TEST(SearchQuery, HasLink) {
  EXPECT_TRUE(has_link("see https://x.dev"));
  EXPECT_TRUE(has_link("http://a"));
  EXPECT_FALSE(has_link("no links, just https"));
}

TEST(SearchSnippet, MarksMatchesAndEscapesTheRest) {
  auto q = ok("deploy caf* \"release notes\"");
  EXPECT_EQ(search_snippet("<b>Deploy</b> & Café: release-notes", q),
            "&lt;b&gt;<mark>Deploy</mark>&lt;/b&gt; &amp; <mark>Café</mark>: "
            "<mark>release</mark>-<mark>notes</mark>");
  EXPECT_EQ(search_snippet("Déploiement", ok("deploiement")), "<mark>Déploiement</mark>");
  EXPECT_EQ(search_snippet("\"quoted' <script>", ok("x")), "&quot;quoted&#39; &lt;script&gt;");
}

TEST(SearchSnippet, CutsAroundTheFirstMatch) {
  std::string content;
  for (int i = 0; i < 100; ++i) content += "filler ";
  content += "needle";
  for (int i = 0; i < 100; ++i) content += " filler";
  auto s = search_snippet(content, ok("needle"), 80);
  EXPECT_EQ(s.rfind("…", 0), 0u);
  EXPECT_NE(s.find("<mark>needle</mark>"), std::string::npos);
  EXPECT_EQ(s.substr(s.size() - 3), "…");
  EXPECT_LT(s.size(), 120u);
}

TEST(SearchSnippet, LongTokensAroundAMatchGiveTheirPartThatFits) {
  const std::string url = "https://example.com/" + std::string(300, 'u');
  auto s = search_snippet(url + " dingo " + url, ok("dingo"));
  EXPECT_NE(s.find(" <mark>dingo</mark> https://example.com/uuu"), std::string::npos) << s;
  EXPECT_GT(utf8_length(s), 150u) << s;
  std::string cjk;
  for (int i = 0; i < 200; ++i) cjk += "日本語";
  s = search_snippet(cjk + " dingo " + cjk, ok("dingo"));
  EXPECT_NE(s.find("語 <mark>dingo</mark> 日本"), std::string::npos) << s;
  EXPECT_GT(utf8_length(s), 150u) << s;
  EXPECT_LE(utf8_length(s), 160u + 2 + 13) << s << " (160 of text, two …, the mark tags)";
}

}  // namespace
}  // namespace relay::codec
