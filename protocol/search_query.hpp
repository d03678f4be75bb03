#pragma once

// The search query language (docs/api.md "Search"): parsing what a user typed into terms
// and filters, the FTS5 MATCH expression that can only ever mean those terms, and the
// highlighted snippet of a hit. Pure functions: no store, no actors.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace relay::codec {

/// Longest query accepted, in bytes; longer is a 400, not a slow scan.
inline constexpr std::size_t max_search_query_bytes = 1000;
/// Most words, phrases and exclusions together.
inline constexpr std::size_t max_search_terms = 32;

/// A parsed query. Text is as typed (case and accents are folded by the index's tokenizer).
struct search_query {
  std::vector<std::string> terms;         // words that must all match
  std::vector<std::string> prefixes;      // `word*`: some word starting with this must match
  std::vector<std::string> phrases;       // `"exact phrase"`
  std::vector<std::string> excluded;      // `-word` or `-"phrase"`: none may match
  std::string room;                       // in:<room> (lowercase slug), "" = any
  std::optional<std::string> channel;     // in:<room>/<channel>; nullopt = any channel of the room
  std::string from;                       // from:<login>, "" = anyone
  std::optional<std::int64_t> before_ms;  // before:D — created before D 00:00 UTC
  std::optional<std::int64_t> after_ms;   // after:D — created from D+1 00:00 UTC on
  bool has_link = false;
  bool has_attachment = false;
  bool is_thread = false;  // thread replies only

  /// True when a word, prefix or phrase must match (FTS5 cannot answer a bare NOT).
  bool has_positive() const noexcept {
    return !terms.empty() || !prefixes.empty() || !phrases.empty();
  }
  bool has_filter() const noexcept {
    return !room.empty() || !from.empty() || before_ms || after_ms || has_link || has_attachment ||
           is_thread;
  }
};

/// Parses `q`; a `bad_request` error naming the problem otherwise (invalid UTF-8, too
/// long, an unterminated quote, a bad filter value, a repeated filter, nothing to
/// search for). A `key:value` whose key is no filter (`foo:bar`, `http://x`) is text.
std::variant<search_query, error_info> parse_search_query(std::string_view q);

/// An FTS5 string literal: `s` in double quotes with its double quotes doubled, so no
/// byte of it is read as FTS5 syntax (NEAR, ^, *, column filters, AND/OR/NOT).
std::string fts5_string(std::string_view s);

/// The MATCH expression for the positive part: every word, phrase and prefix ANDed,
/// exclusions as `NOT (a OR b)` when `with_excluded`. "" when there is no positive part.
std::string fts5_match(const search_query& q, bool with_excluded = true);
/// The excluded words and phrases ORed (for queries with only filters and exclusions);
/// "" when none.
std::string fts5_excluded(const search_query& q);

/// The same query as a Postgres tsquery text (to_tsquery syntax) for the 'simple'
/// configuration: every word a quoted lexeme holding only letters and digits (the
/// characters FTS5's tokenizer would split at are gone, as they are from the indexed
/// text: storage/postgres/schema.cpp, version 12), a term's or phrase's words joined by
/// `<->`, a prefix's last word `:*`, groups ANDed, exclusions as `!( a | b )` when
/// `with_excluded`. The store passes it as a parameter and folds its accents in SQL.
/// "" when there is no positive part.
std::string tsquery_match(const search_query& q, bool with_excluded = true);
/// The excluded words and phrases ORed, as tsquery text; "" when none.
std::string tsquery_excluded(const search_query& q);

/// Whether `content` carries a link (http:// or https://), for `has:link`.
bool has_link(std::string_view content);

/// An HTML fragment of `content` around its first match: everything escaped, the words
/// that match a term, prefix or phrase word wrapped in `<mark>`, cut to about
/// `max_chars` code points with "…" where text was left out. Matching folds ASCII case
/// and Latin accents like the index.
std::string search_snippet(std::string_view content, const search_query& q,
                           std::size_t max_chars = 160);

}  // namespace relay::codec
