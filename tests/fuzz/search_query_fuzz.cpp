// protocol/search_query: the query a signed-in user types into GET /api/search?q=. Any
// bytes parse or fail with a reason; a parsed query's FTS5 expression holds each user
// word only inside a string literal (balanced quotes, doubled inner quotes), its Postgres
// tsquery only inside quoted lexemes, and its snippet of any content has no tag but
// <mark> and </mark>.

#include <string>
#include <string_view>

#include "protocol/search_query.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// True when every `"` of `expr` opens or closes a literal or is a doubled inner one.
bool balanced_literals(const std::string& expr) {
  bool in = false;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    if (expr[i] != '"') continue;
    if (in && i + 1 < expr.size() && expr[i + 1] == '"') {
      ++i;
      continue;
    }
    in = !in;
  }
  return !in;
}

// True when user words appear in `ts` (tsquery text) only inside '…' lexemes holding no
// quote or backslash, and everything outside them is tsquery's own syntax.
bool lexemes_only(const std::string& ts) {
  bool in = false;
  for (char c : ts) {
    if (c == '\'') {
      in = !in;
    } else if (c == '\\') {
      return false;
    } else if (!in && std::string_view{" ()&|!<->:*"}.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return !in;
}

// True when the only tags in `html` are <mark> and </mark>.
bool only_marks(const std::string& html) {
  for (std::size_t i = html.find('<'); i != std::string::npos; i = html.find('<', i + 1))
    if (html.compare(i, 6, "<mark>") != 0 && html.compare(i, 7, "</mark>") != 0) return false;
  return html.find('>') == std::string::npos || [&] {
    std::string stripped = html;
    for (auto tag : {"<mark>", "</mark>"})
      for (auto p = stripped.find(tag); p != std::string::npos; p = stripped.find(tag))
        stripped.erase(p, std::string(tag).size());
    return stripped.find('>') == std::string::npos && stripped.find('"') == std::string::npos;
  }();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = relay::fuzz::as_text(data, size);
  auto r = relay::codec::parse_search_query(s);
  if (auto* e = std::get_if<relay::error_info>(&r)) {
    FUZZ_CHECK(!e->message.empty());
    return 0;
  }
  const auto& q = std::get<relay::codec::search_query>(r);
  FUZZ_CHECK(q.has_positive() || q.has_filter());
  FUZZ_CHECK(balanced_literals(relay::codec::fts5_match(q)));
  FUZZ_CHECK(balanced_literals(relay::codec::fts5_excluded(q)));
  FUZZ_CHECK(lexemes_only(relay::codec::tsquery_match(q)));
  FUZZ_CHECK(lexemes_only(relay::codec::tsquery_excluded(q)));
  // The query's own text as the content: every word matches somewhere.
  FUZZ_CHECK(only_marks(relay::codec::search_snippet(s, q)));
  return 0;
}
