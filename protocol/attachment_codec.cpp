#include "protocol/attachment_codec.hpp"

#include <boost/json.hpp>

#include "core/clock.hpp"

namespace json = boost::json;

namespace relay::codec {

namespace {

bool starts(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Text when it is valid UTF-8 without NUL or other C0 controls besides tab, CR, LF, FF.
bool looks_like_text(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') return false;
      if (c == 0x7f) return false;
      ++i;
      continue;
    }
    // Continuation bytes that follow a lead byte; 0 for a byte that cannot lead.
    std::size_t n = c >= 0xf0 && c < 0xf5   ? 3
                    : c >= 0xe0 && c < 0xf0 ? 2
                    : c >= 0xc2 && c < 0xe0 ? 1
                                            : 0;
    if (n == 0) return false;
    // A character cut by the end of the sniffed window is not evidence of binary.
    if (i + n >= s.size()) return true;
    for (std::size_t k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

json::object short_json(const storage::attachment_row& a) {
  json::object o{{"id", a.id},
                 {"contentType", a.content_type},
                 {"size", a.size},
                 {"width", a.width ? json::value(*a.width) : json::value(nullptr)},
                 {"height", a.height ? json::value(*a.height) : json::value(nullptr)},
                 {"name", a.name},
                 {"url", "/api/attachments/" + a.id}};
  return o;
}

}  // namespace

sniffed sniff_content_type(std::string_view b) {
  if (starts(b, "\xFF\xD8\xFF")) return {"image/jpeg", true};
  if (starts(b, "\x89PNG\r\n\x1A\n")) return {"image/png", true};
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return {"image/gif", true};
  if (b.size() >= 12 && starts(b, "RIFF") && b.substr(8, 4) == "WEBP") return {"image/webp", true};
  // ISO BMFF: a box size, then `ftyp` and the major brand.
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    auto brand = b.substr(8, 4);
    for (std::string_view h : {"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"})
      if (brand == h) return {"image/heic", true};
    if (brand == "avif" || brand == "avis") return {"image/avif", true};
  }
  if (starts(b, "%PDF-")) return {"application/pdf", false};
  if (starts(b, "PK\x03\x04")) return {"application/zip", false};
  if (starts(b, "\x1F\x8B")) return {"application/gzip", false};
  if (looks_like_text(b.substr(0, 64 * 1024)) || b.empty())
    return {"text/plain; charset=utf-8", false};
  return {"application/octet-stream", false};
}

namespace {

// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
std::size_t utf8_cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s.size();
  while (max > 0 && (static_cast<unsigned char>(s[max]) & 0xc0) == 0x80) --max;
  return max;
}

}  // namespace

std::string safe_file_name(std::string_view name) {
  constexpr std::size_t max_bytes = 120;
  // Browsers send the base name; old ones and other clients may send a whole path.
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos)
    name.remove_prefix(slash + 1);
  std::string out;
  std::size_t i = 0;
  while (i < name.size()) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x80) {
      ++i;
      if (c < 0x20 || c == 0x7f || c == '"' || c == ';') continue;
      if (c == '.' && out.empty()) continue;  // no hidden files, no `..`
      out.push_back(static_cast<char>(c));
      continue;
    }
    // A whole, valid UTF-8 character or nothing: a broken sequence is dropped.
    std::size_t n = c >= 0xf0 && c < 0xf5   ? 4
                    : c >= 0xe0 && c < 0xf0 ? 3
                    : c >= 0xc2 && c < 0xe0 ? 2
                                            : 0;
    bool valid = n != 0 && i + n <= name.size();
    for (std::size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(name[i + k]) & 0xc0) == 0x80;
    if (valid) out.append(name.substr(i, n));
    i += valid ? n : 1;
  }
  if (out.size() > max_bytes) {
    // The extension says what the file is (and what opens it): cut the stem, not it.
    auto dot = out.rfind('.');
    std::string ext = dot != std::string::npos && dot > 0 && out.size() - dot <= 16
                          ? out.substr(dot)
                          : std::string{};
    std::string_view stem(out.data(), out.size() - ext.size());
    stem = stem.substr(0, utf8_cut(stem, max_bytes - ext.size()));
    while (!stem.empty() && (stem.back() == ' ' || stem.back() == '.')) stem.remove_suffix(1);
    out = std::string(stem) + ext;
  }
  while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
  return out.empty() ? "file" : out;
}

std::string content_disposition(const std::string& safe_name) {
  std::string ascii, encoded;
  static constexpr char hex[] = "0123456789ABCDEF";
  for (char ch : safe_name) {
    auto c = static_cast<unsigned char>(ch);
    ascii.push_back(c < 0x80 ? ch : '_');
    // RFC 5987 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
        std::string_view{"!#$&+-.^_`|~"}.find(ch) != std::string_view::npos) {
      encoded.push_back(ch);
    } else {
      encoded.push_back('%');
      encoded.push_back(hex[c >> 4]);
      encoded.push_back(hex[c & 15]);
    }
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

std::string encode_attachment(const storage::attachment_row& a) {
  auto o = short_json(a);
  o["entityType"] = a.entity_type;
  o["entityId"] = a.entity_id;
  o["createdAt"] = format_iso8601(a.created_at);
  return json::serialize(o);
}

std::string encode_attachment_added(const std::string& channel_id,
                                    const storage::attachment_row& a) {
  json::object o{{"type", "attachment_added"},
                 {"channelId", channel_id.empty() ? json::value(nullptr) : json::value(channel_id)},
                 {"messageId", a.entity_id},
                 {"attachment", short_json(a)}};
  return json::serialize(o);
}

std::string with_attachments(std::string_view page_json,
                             const std::vector<storage::attachment_row>& rows) {
  boost::system::error_code ec;
  auto page = json::parse(page_json, ec);
  if (ec || !page.is_object()) return std::string(page_json);
  auto* messages = page.as_object().if_contains("messages");
  if (messages == nullptr || !messages->is_array()) return std::string(page_json);
  for (auto& m : messages->as_array()) {
    if (!m.is_object()) continue;
    auto& o = m.as_object();
    json::array list;
    if (auto* id = o.if_contains("id"); id != nullptr && id->is_string())
      for (const auto& a : rows)
        if (a.entity_type == "message" && a.entity_id == id->as_string())
          list.push_back(short_json(a));
    o["attachments"] = std::move(list);
  }
  return json::serialize(page);
}

}  // namespace relay::codec
