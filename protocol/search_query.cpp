// The search query language. The parser never hands user text to FTS5 as syntax: every
// word and phrase leaves here as an FTS5 string literal, and the operators between them
// are ours. Case and accents are folded by the index's tokenizer (unicode61
// remove_diacritics 2); the snippet folds ASCII case and Latin-1 accents itself, which
// covers the highlighting of the text people type on a Latin keyboard.

#include "protocol/search_query.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "core/login.hpp"
#include "core/text.hpp"

namespace relay::codec {

namespace {

error_info bad(std::string message) {
  return make_error(errc::bad_request, std::move(message));
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool slug_like(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Midnight UTC of a YYYY-MM-DD date, in unix ms; nullopt for anything else.
std::optional<std::int64_t> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](std::size_t at, std::size_t len, int& out) {
    for (std::size_t i = at; i < at + len; ++i)
      if (s[i] < '0' || s[i] > '9') return false;
    std::from_chars(s.data() + at, s.data() + at + len, out);
    return true;
  };
  int y = 0, m = 0, d = 0;
  if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d)) return std::nullopt;
  if (y < 1970 || m < 1 || m > 12 || d < 1) return std::nullopt;
  static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (d > days[static_cast<std::size_t>(m - 1)] + (m == 2 && leap ? 1 : 0)) return std::nullopt;
  return days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d)) * 86'400'000;
}

// Applies filter `key:value`; false when `key` names no filter (the token is then text).
bool apply_filter(search_query& q, const std::string& key, std::string_view value,
                  error_info& err) {
  auto once = [&](bool taken) {
    if (taken) err = bad(key + ": given twice; use it once");
    return !taken;
  };
  if (key == "in") {
    if (!once(!q.room.empty())) return true;
    auto v = ascii_lower(value);
    auto slash = v.find('/');
    std::string room = v.substr(0, slash);
    if (!slug_like(room)) {
      err = bad("in: needs a room slug, or room/channel (a-z 0-9 - _)");
      return true;
    }
    if (slash != std::string::npos) {
      std::string channel = v.substr(slash + 1);
      if (!slug_like(channel)) {
        err = bad("in: needs a room slug, or room/channel (a-z 0-9 - _)");
        return true;
      }
      q.channel = channel;
    }
    q.room = room;
    return true;
  }
  if (key == "from") {
    if (!once(!q.from.empty())) return true;
    if (!value.empty() && value.front() == '@') value.remove_prefix(1);
    if (!valid_login(value)) {
      err = bad("from: needs a login (" + std::string(login_rule) + ")");
      return true;
    }
    q.from = ascii_lower(value);
    return true;
  }
  if (key == "before" || key == "after") {
    auto& slot = key == "before" ? q.before_ms : q.after_ms;
    if (!once(slot.has_value())) return true;
    auto day = parse_date(value);
    if (!day) {
      err = bad(key + ": needs a date as YYYY-MM-DD");
      return true;
    }
    // Both bounds leave the day itself out, as Slack does: after:D starts the next day.
    slot = key == "before" ? *day : *day + 86'400'000;
    return true;
  }
  if (key == "has") {
    auto v = ascii_lower(value);
    if (v == "link")
      q.has_link = true;
    else if (v == "attachment")
      q.has_attachment = true;
    else
      err = bad("has: takes link or attachment");
    return true;
  }
  if (key == "is") {
    if (ascii_lower(value) == "thread")
      q.is_thread = true;
    else
      err = bad("is: takes thread");
    return true;
  }
  return false;
}

// -- folding and word splitting for the snippet -------------------------------------------

// Latin-1 letters U+00C0..U+00FF without their accents, lowercase; "" keeps the letter.
constexpr std::array<const char*, 64> latin1_base{
    "a", "a", "a", "a", "a", "a", "",  "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "",  "",
    "a", "a", "a", "a", "a", "a", "",  "c", "e", "e", "e", "e", "i", "i", "i", "i",
    "d", "n", "o", "o", "o", "o", "o", "",  "o", "u", "u", "u", "u", "y", "",  "y"};

// Length of the UTF-8 sequence starting with `c` (1 for a stray byte).
std::size_t seq_len(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

bool word_byte(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

std::string fold(std::string_view w) {
  std::string out;
  for (std::size_t i = 0; i < w.size();) {
    auto c = static_cast<unsigned char>(w[i]);
    std::size_t n = std::min(seq_len(c), w.size() - i);
    if (n == 2 && c == 0xC3) {
      auto cp = 0xC0 + (static_cast<unsigned char>(w[i + 1]) & 0x3F);
      if (cp >= 0xC0 && cp <= 0xFF && *latin1_base[cp - 0xC0]) {
        out += latin1_base[cp - 0xC0];
        i += n;
        continue;
      }
    }
    if (n == 1 && c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (n == 1)
      out += static_cast<char>(c);
    else
      out.append(w.substr(i, n));
    i += n;
  }
  return out;
}

struct segment {
  std::size_t begin = 0, end = 0;
  bool word = false;
  bool mark = false;
  std::size_t chars = 0;  // code points
};

std::vector<segment> split(std::string_view s) {
  std::vector<segment> out;
  for (std::size_t i = 0; i < s.size();) {
    const bool w = word_byte(static_cast<unsigned char>(s[i]));
    segment seg{i, i, w, false, 0};
    while (i < s.size() && word_byte(static_cast<unsigned char>(s[i])) == w) {
      i += std::min(seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
      ++seg.chars;
    }
    seg.end = i;
    out.push_back(seg);
  }
  return out;
}

bool has_word(std::string_view s) {
  for (char c : s)
    if (word_byte(static_cast<unsigned char>(c))) return true;
  return false;
}

void add_words(std::string_view text, std::vector<std::string>& into) {
  for (const auto& seg : split(text))
    if (seg.word) into.push_back(fold(text.substr(seg.begin, seg.end - seg.begin)));
}

void escape_into(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

std::variant<search_query, error_info> parse_search_query(std::string_view q) {
  if (q.size() > max_search_query_bytes)
    return bad("query too long: at most " + std::to_string(max_search_query_bytes) + " bytes");
  if (!valid_utf8(q)) return make_error(errc::invalid_utf8, "query is not valid UTF-8");
  // A NUL separates words: FTS5 reads a MATCH expression as a C string, so one inside a
  // literal would cut it short, and the index never holds one (content with a NUL is
  // refused).
  std::string text(q);
  std::replace(text.begin(), text.end(), '\0', ' ');
  q = text;
  // Every quote opens or closes a phrase: an odd count leaves one open wherever it is
  // (`zebra"` as much as `"zebra`).
  if (std::count(q.begin(), q.end(), '"') % 2 != 0)
    return bad("unterminated quote: a \"phrase\" needs its closing quote");
  search_query out;
  std::size_t i = 0;
  const std::size_t n = q.size();
  while (i < n) {
    if (space(q[i])) {
      ++i;
      continue;
    }
    bool negated = false;
    if (q[i] == '-' && i + 1 < n && !space(q[i + 1])) {
      negated = true;
      ++i;
    }
    if (q[i] == '"') {
      auto close = q.find('"', i + 1);
      if (close == std::string_view::npos)
        return bad("unterminated quote: a \"phrase\" needs its closing quote");
      auto phrase = trim(q.substr(i + 1, close - i - 1));
      i = close + 1;
      if (!has_word(phrase)) continue;
      (negated ? out.excluded : out.phrases).emplace_back(phrase);
      continue;
    }
    std::size_t end = i;
    while (end < n && !space(q[end])) ++end;
    std::string_view token = q.substr(i, end - i);
    i = end;
    if (auto colon = token.find(':'); colon != std::string_view::npos && colon > 0) {
      const auto key = ascii_lower(token.substr(0, colon));
      error_info err;
      search_query probe;
      if (apply_filter(negated ? probe : out, key, token.substr(colon + 1), err)) {
        if (err) return err;
        if (negated) return bad("-" + key + ": a filter cannot be excluded");
        continue;
      }
    }
    std::size_t stars = 0;
    while (stars < token.size() && token[token.size() - 1 - stars] == '*') ++stars;
    token.remove_suffix(stars);
    // Punctuation alone (`*`, `-`, `!!!`) has no word the index could hold.
    if (!has_word(token)) continue;
    if (negated)
      out.excluded.emplace_back(token);
    else
      (stars > 0 ? out.prefixes : out.terms).emplace_back(token);
  }
  if (out.terms.size() + out.prefixes.size() + out.phrases.size() + out.excluded.size() >
      max_search_terms)
    return bad("too many words: at most " + std::to_string(max_search_terms));
  if (!out.has_positive() && !out.has_filter()) {
    if (!out.excluded.empty())
      return bad("a query needs a word, phrase or filter besides its -exclusions");
    return bad("empty query: give a word, a \"phrase\" or a filter");
  }
  return out;
}

std::string fts5_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string fts5_match(const search_query& q, bool with_excluded) {
  std::string pos;
  auto add = [&](std::string part) {
    if (!pos.empty()) pos += " AND ";
    pos += part;
  };
  for (const auto& t : q.terms) add(fts5_string(t));
  for (const auto& p : q.prefixes) add(fts5_string(p) + "*");
  for (const auto& p : q.phrases) add(fts5_string(p));
  if (pos.empty()) return pos;
  if (!with_excluded || q.excluded.empty()) return pos;
  return "(" + pos + ") NOT (" + fts5_excluded(q) + ")";
}

std::string fts5_excluded(const search_query& q) {
  std::string out;
  for (const auto& e : q.excluded) {
    if (!out.empty()) out += " OR ";
    out += fts5_string(e);
  }
  return out;
}

namespace {

// A term or phrase as tsquery text: its words quoted, in order; the last a prefix when
// `prefix`. Words hold only ASCII letters and digits and bytes from 0x80 up, so no quote
// or backslash, and no tsquery operator, can appear inside one.
std::string ts_group(std::string_view text, bool prefix) {
  std::vector<std::string> words;
  for (const auto& seg : split(text))
    if (seg.word) words.emplace_back(text.substr(seg.begin, seg.end - seg.begin));
  std::string out;
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (k > 0) out += " <-> ";
    out += "'" + words[k] + "'";
    if (prefix && k + 1 == words.size()) out += ":*";
  }
  return words.size() > 1 ? "(" + out + ")" : out;
}

}  // namespace

std::string tsquery_match(const search_query& q, bool with_excluded) {
  std::string pos;
  auto add = [&](std::string part) {
    if (part.empty()) return;
    if (!pos.empty()) pos += " & ";
    pos += part;
  };
  for (const auto& t : q.terms) add(ts_group(t, false));
  for (const auto& p : q.prefixes) add(ts_group(p, true));
  for (const auto& p : q.phrases) add(ts_group(p, false));
  if (pos.empty() || !with_excluded || q.excluded.empty()) return pos;
  auto ex = tsquery_excluded(q);
  return ex.empty() ? pos : "(" + pos + ") & !(" + ex + ")";
}

std::string tsquery_excluded(const search_query& q) {
  std::string out;
  for (const auto& e : q.excluded) {
    auto g = ts_group(e, false);
    if (g.empty()) continue;
    if (!out.empty()) out += " | ";
    out += g;
  }
  return out;
}

bool has_link(std::string_view content) {
  return content.find("http://") != std::string_view::npos ||
         content.find("https://") != std::string_view::npos;
}

std::string search_snippet(std::string_view content, const search_query& q, std::size_t max_chars) {
  std::vector<std::string> exact, prefix;
  for (const auto& t : q.terms) add_words(t, exact);
  for (const auto& p : q.phrases) add_words(p, exact);
  for (const auto& p : q.prefixes) {
    // Like the index, only the last word of a prefix term is a prefix.
    std::vector<std::string> ws;
    add_words(p, ws);
    if (ws.empty()) continue;
    prefix.push_back(ws.back());
    ws.pop_back();
    exact.insert(exact.end(), ws.begin(), ws.end());
  }
  auto segs = split(content);
  std::size_t first = segs.size();
  for (std::size_t k = 0; k < segs.size(); ++k) {
    auto& s = segs[k];
    if (!s.word) continue;
    auto w = fold(content.substr(s.begin, s.end - s.begin));
    for (const auto& e : exact) s.mark = s.mark || w == e;
    for (const auto& p : prefix) s.mark = s.mark || w.compare(0, p.size(), p) == 0;
    if (s.mark && first == segs.size()) first = k;
  }
  // The window starts a little before the first match, so the match has some lead-in.
  std::size_t from = first == segs.size() ? 0 : first, budget = max_chars / 4;
  while (from > 0 && segs[from - 1].chars <= budget) budget -= segs[--from].chars;
  // A segment longer than the lead-in could ever hold (a long URL, CJK text without
  // spaces) gives the window the part of it that fits, so the match keeps its context;
  // a plain word that does not fit is left out whole.
  const std::size_t long_segment = max_chars / 4;
  const std::size_t lead = from > 0 && segs[from - 1].chars > long_segment ? budget : 0;
  std::size_t to = from, used = lead;
  while (to < segs.size() && (used + segs[to].chars <= max_chars || to == from))
    used += segs[to++].chars;
  auto chars_bytes = [&](const segment& g, std::size_t skip, std::size_t take) {
    std::size_t b = g.begin;
    for (std::size_t k = 0; k < skip; ++k)
      b += std::min(seq_len(static_cast<unsigned char>(content[b])), g.end - b);
    std::size_t e = b;
    for (std::size_t k = 0; k < take && e < g.end; ++k)
      e += std::min(seq_len(static_cast<unsigned char>(content[e])), g.end - e);
    return content.substr(b, e - b);
  };
  std::string out;
  if (from > 0) out += "…";
  if (lead > 0) {
    const auto& g = segs[from - 1];
    escape_into(out, chars_bytes(g, g.chars - lead, lead));
  }
  for (std::size_t k = from; k < to; ++k) {
    auto text = content.substr(segs[k].begin, segs[k].end - segs[k].begin);
    if (segs[k].mark) out += "<mark>";
    escape_into(out, text);
    if (segs[k].mark) out += "</mark>";
  }
  if (to < segs.size() && used < max_chars && segs[to].chars > long_segment)
    escape_into(out, chars_bytes(segs[to], 0, max_chars - used));
  if (to < segs.size()) out += "…";
  return out;
}

}  // namespace relay::codec
