#include "actors/chat/content_rules.hpp"

#include "core/text.hpp"

namespace relay {

checked_content check_content(std::string_view raw, std::size_t max_chars) {
  if (!valid_utf8(raw)) return {{}, make_error(errc::invalid_utf8, "content is not valid UTF-8")};
  // A NUL is valid UTF-8 but no text: C strings (FTS5's query parser, libpq) end at it,
  // so the words after it could never be found, and it reaches snippets and clients raw.
  if (raw.find('\0') != std::string_view::npos)
    return {{}, make_error(errc::bad_request, "content must not contain U+0000 (NUL)")};
  auto t = trim(raw);
  if (t.empty()) return {{}, make_error(errc::content_empty, "content is empty")};
  if (utf8_length(t) > max_chars)
    return {{},
            make_error(errc::content_too_long,
                       "content is longer than " + std::to_string(max_chars) + " characters")};
  return {std::string{t}, {}};
}

std::string bot_tag(std::string_view content) {
  // The built-in prefix; a room's registered bots' prefixes are matched by the room.
  if (content.rfind("yeeyee:", 0) == 0) return "yee";
  return {};
}

}  // namespace relay
