#include "protocol/json_detail.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "core/clock.hpp"
#include "core/text.hpp"
#include "protocol/json_codec.hpp"

namespace relay::codec::detail {

json::value nullable(const std::string& s) {
  if (s.empty()) return nullptr;
  return json::string(s);
}

json::value nullable_time(const std::optional<std::int64_t>& t) {
  if (!t) return nullptr;
  return json::string(format_iso8601(*t));
}

json::object author_json(const storage::author_row& a) {
  return {{"id", a.id}, {"login", a.login}, {"name", a.name}, {"avatarUrl", a.avatar_url}};
}

json::object reactions_json(const std::vector<storage::reaction_row>& rs) {
  json::object o;
  for (auto& r : rs) {
    json::array logins;
    for (auto& l : r.logins) logins.emplace_back(l);
    o[r.emoji] = std::move(logins);
  }
  return o;
}

json::object message_json(const storage::message_row& m) {
  return {{"id", m.id},
          {"roomId", m.room_id},
          {"channelId", nullable(m.channel_id)},
          {"seq", m.seq},
          {"author", author_json(m.author)},
          {"content", m.content},
          {"clientMsgId", nullable(m.client_msg_id)},
          {"createdAt", format_iso8601(m.created_at)},
          {"editedAt", nullable_time(m.edited_at)},
          {"reactions", reactions_json(m.reactions)},
          {"threadId", nullable(m.thread_id)},
          {"replyCount", m.reply_count},
          {"lastReplyAt", nullable_time(m.last_reply_at)},
          {"bot", nullable(m.bot)}};
}

namespace {

// True when none of the 8 bytes needs escaping (< 0x20, '"' or '\\'); the classic
// "has a byte less than n / equal to c" word tests, exact for "any byte".
bool plain8(std::uint64_t x) {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  auto control = (x - ones * 0x20) & ~x & highs;
  auto q = x ^ (ones * '"');
  auto b = x ^ (ones * '\\');
  return (control | ((q - ones) & ~q & highs) | ((b - ones) & ~b & highs)) == 0;
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  out.reserve(out.size() + s.size() + 2);
  out.push_back('"');
  const char* p = s.data();
  const std::size_t n = s.size();
  std::size_t clean = 0;
  std::size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t word;
      std::memcpy(&word, p + i, 8);
      if (plain8(word)) {
        i += 8;
        continue;
      }
    }
    auto c = static_cast<unsigned char>(p[i]);
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    out.append(p + clean, p + i);
    clean = ++i;
    // The two-character escapes JSON has, else \u00XX (Boost.JSON's choice too).
    constexpr std::string_view shorts = "\"\\\b\t\n\f\r";
    constexpr std::string_view letters = "\"\\btnfr";
    out.push_back('\\');
    if (auto k = shorts.find(static_cast<char>(c)); k != std::string_view::npos) {
      out.push_back(letters[k]);
    } else {
      out.append("u00");
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 0xf]);
    }
  }
  out.append(p + clean, p + n);
  out.push_back('"');
}

void append_nullable(std::string& out, const std::string& s) {
  if (s.empty())
    out.append("null");
  else
    append_string(out, s);
}

namespace {

void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

void append_message(std::string& out, const storage::message_row& m) {
  out.append(R"({"id":)");
  append_string(out, m.id);
  out.append(R"(,"roomId":)");
  append_string(out, m.room_id);
  out.append(R"(,"channelId":)");
  append_nullable(out, m.channel_id);
  out.append(R"(,"seq":)");
  append_int(out, m.seq);
  out.append(R"(,"author":{"id":)");
  append_string(out, m.author.id);
  out.append(R"(,"login":)");
  append_string(out, m.author.login);
  out.append(R"(,"name":)");
  append_string(out, m.author.name);
  out.append(R"(,"avatarUrl":)");
  append_string(out, m.author.avatar_url);
  out.append(R"(},"content":)");
  append_string(out, m.content);
  out.append(R"(,"clientMsgId":)");
  append_nullable(out, m.client_msg_id);
  out.append(R"(,"createdAt":)");
  append_string(out, format_iso8601(m.created_at));
  out.append(R"(,"editedAt":)");
  if (m.edited_at)
    append_string(out, format_iso8601(*m.edited_at));
  else
    out.append("null");
  out.append(R"(,"reactions":{)");
  for (std::size_t i = 0; i < m.reactions.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_string(out, m.reactions[i].emoji);
    out.append(":[");
    for (std::size_t j = 0; j < m.reactions[i].logins.size(); ++j) {
      if (j > 0) out.push_back(',');
      append_string(out, m.reactions[i].logins[j]);
    }
    out.push_back(']');
  }
  out.append(R"(},"threadId":)");
  append_nullable(out, m.thread_id);
  out.append(R"(,"replyCount":)");
  out.append(std::to_string(m.reply_count));
  out.append(R"(,"lastReplyAt":)");
  if (m.last_reply_at)
    append_string(out, format_iso8601(*m.last_reply_at));
  else
    out.append("null");
  out.append(R"(,"bot":)");
  append_nullable(out, m.bot);
  out.push_back('}');
}

void append_messages(std::string& out, const std::vector<storage::message_row>& ms) {
  // A little over what the page takes as text: a 256-message page is over 100 KB, and
  // growing it by doubling cost more than writing it.
  std::size_t n = out.size() + 2;
  for (auto& m : ms)
    n += 320 + m.id.size() + m.room_id.size() + m.channel_id.size() + m.author.id.size() +
         m.author.login.size() + m.author.name.size() + m.author.avatar_url.size() +
         m.content.size() + m.client_msg_id.size() + m.thread_id.size() + m.bot.size();
  out.reserve(n);
  out.push_back('[');
  for (std::size_t i = 0; i < ms.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_message(out, ms[i]);
  }
  out.push_back(']');
}

json::object channel_json(const storage::channel_row& c, std::int64_t members) {
  return {{"id", c.id},
          {"slug", c.slug},
          {"name", c.name},
          {"visibility", storage::to_string(c.visibility)},
          {"memberCount", members},
          {"createdBy", c.created_by},
          {"createdAt", format_iso8601(c.created_at)}};
}

error_info bad(errc c, std::string msg) {
  return make_error(c, std::move(msg));
}

// Parses text as a JSON object, mapping every parse failure to a client error.
std::variant<json::object, error_info> parse_object(std::string_view text, std::size_t max_depth) {
  if (!valid_utf8(text)) return bad(errc::invalid_utf8, "body is not valid UTF-8");
  json::error_code ec;
  json::parse_options opts;
  opts.max_depth = max_depth;
  auto v = json::parse(text, ec, {}, opts);
  if (ec) {
    // Boost.JSON reports bad UTF-8 escapes (lone surrogates) as syntax errors;
    // raw invalid bytes are caught before parsing by the session.
    return bad(errc::bad_request, "malformed JSON: " + ec.message());
  }
  if (!v.is_object()) return bad(errc::bad_request, "expected a JSON object");
  return std::move(v.as_object());
}

namespace {

// A scanner for text the parser has accepted: it only finds where values end.
std::size_t skip_space(std::string_view t, std::size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// `i` at the opening quote; returns the index past the closing one.
std::size_t skip_string(std::string_view t, std::size_t i) {
  for (++i; i < t.size() && t[i] != '"'; ++i)
    if (t[i] == '\\') ++i;
  return i + 1;
}

// `i` at a value's first character; returns the index past its last.
std::size_t skip_value(std::string_view t, std::size_t i) {
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] != '{' && t[i] != '[') {  // a number or a literal
    while (i < t.size() && t[i] != ',' && t[i] != '}' && t[i] != ']' && t[i] != ' ' &&
           t[i] != '\t' && t[i] != '\n' && t[i] != '\r')
      ++i;
    return i;
  }
  int depth = 0;
  while (i < t.size()) {
    const char c = t[i];
    if (c == '"') {
      i = skip_string(t, i);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return i + 1;
    ++i;
  }
  return i;
}

// Whether the quoted key token `k` (quotes included) spells `key`.
bool key_is(std::string_view k, std::string_view key) {
  if (k.find('\\') == std::string_view::npos) return k.substr(1, k.size() - 2) == key;
  json::error_code ec;
  auto v = json::parse(k, ec);
  return !ec && v.is_string() && v.as_string() == key;
}

}  // namespace

std::optional<std::string_view> raw_member(std::string_view t, std::string_view key) {
  std::optional<std::string_view> found;
  auto i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '{') return found;
  i = skip_space(t, i + 1);
  while (i < t.size() && t[i] == '"') {
    const auto key_end = skip_string(t, i);
    const bool match = key_is(t.substr(i, key_end - i), key);
    i = skip_space(t, skip_space(t, key_end) + 1);  // past the ':'
    const auto value_end = skip_value(t, i);
    if (match) found = t.substr(i, value_end - i);
    i = skip_space(t, value_end);
    if (i < t.size() && t[i] == ',') i = skip_space(t, i + 1);
  }
  return found;
}

// Reads an optional string field: absent -> fallback; null -> fallback when allowed.
std::optional<error_info> read_string(const json::object& o, std::string_view key, std::string& out,
                                      bool required, bool nullable_ok) {
  auto it = o.find(key);
  if (it == o.end() || (it->value().is_null() && nullable_ok)) {
    if (required) return bad(errc::missing_field, "missing field '" + std::string(key) + "'");
    return std::nullopt;
  }
  if (!it->value().is_string())
    return bad(errc::bad_request, "field '" + std::string(key) + "' must be a string");
  out.assign(it->value().as_string().begin(), it->value().as_string().end());
  return std::nullopt;
}

std::optional<error_info> read_channel(const json::object& o, std::string& out) {
  std::string raw;
  if (auto e = read_string(o, "channelId", raw, false, true)) return e;
  out = channel_from_wire(raw);
  return std::nullopt;
}

json::object room_json(const storage::room_row& r, const std::optional<storage::user_row>& owner) {
  json::value colors = json::array{};
  json::error_code ec;
  if (auto parsed = json::parse(r.accent_colors, ec); !ec && parsed.is_array()) colors = parsed;
  json::value owner_v = nullptr;
  if (owner)
    owner_v = json::object{{"id", owner->id},
                           {"login", owner->login},
                           {"name", owner->name},
                           {"avatarUrl", owner->avatar_url}};
  json::object o{{"id", r.id},
                 {"slug", r.slug},
                 {"displayName", r.display_name},
                 {"description", r.description},
                 {"accentColors", colors},
                 {"avatarUrl", nullable(r.avatar_url)},
                 {"owner", owner_v},
                 {"settings", json::object{{"whitelistOnly", r.whitelist_only}}},
                 {"createdAt", format_iso8601(r.created_at)}};
  return o;
}

}  // namespace relay::codec::detail
