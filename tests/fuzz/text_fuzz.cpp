// core/text: the UTF-8 check every decoder runs on network bytes before anything else
// (JSON bodies, WebSocket text, names), the code point count that enforces length
// limits, trim, and the reaction rule a URL path segment meets. Checked against a second, table-driven decoder written from
// RFC 3629 section 4 rather than from text.cpp, so one bug cannot hide in both.

#include <optional>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

// RFC 3629's well-formed byte sequences; returns the code points or nullopt.
std::optional<std::vector<std::uint32_t>> reference_decode(std::string_view s) {
  std::vector<std::uint32_t> cps;
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = b(i);
    const std::size_t left = s.size() - i;
    if (c <= 0x7F) {
      cps.push_back(c);
      i += 1;
    } else if (in(c, 0xC2, 0xDF) && left >= 2 && in(b(i + 1), 0x80, 0xBF)) {
      cps.push_back((c & 0x1Fu) << 6 | (b(i + 1) & 0x3Fu));
      i += 2;
    } else if (left >= 3 && in(b(i + 2), 0x80, 0xBF) &&
               ((c == 0xE0 && in(b(i + 1), 0xA0, 0xBF)) ||
                ((in(c, 0xE1, 0xEC) || in(c, 0xEE, 0xEF)) && in(b(i + 1), 0x80, 0xBF)) ||
                (c == 0xED && in(b(i + 1), 0x80, 0x9F)))) {
      cps.push_back((c & 0x0Fu) << 12 | (b(i + 1) & 0x3Fu) << 6 | (b(i + 2) & 0x3Fu));
      i += 3;
    } else if (left >= 4 && in(b(i + 2), 0x80, 0xBF) && in(b(i + 3), 0x80, 0xBF) &&
               ((c == 0xF0 && in(b(i + 1), 0x90, 0xBF)) ||
                (in(c, 0xF1, 0xF3) && in(b(i + 1), 0x80, 0xBF)) ||
                (c == 0xF4 && in(b(i + 1), 0x80, 0x8F)))) {
      cps.push_back((c & 0x07u) << 18 | (b(i + 1) & 0x3Fu) << 12 | (b(i + 2) & 0x3Fu) << 6 |
                    (b(i + 3) & 0x3Fu));
      i += 4;
    } else {
      return std::nullopt;
    }
  }
  return cps;
}

// The white space text.hpp documents (Unicode White_Space).
bool documented_space(std::uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = relay::fuzz::as_text(data, size);
  const auto ref = reference_decode(s);
  FUZZ_CHECK(relay::valid_utf8(s) == ref.has_value());

  // trim() has no documented precondition, so it must stay inside the input on any bytes
  // (the decoders only call it on validated text, but nothing says it must be).
  const auto t = relay::trim(s);
  FUZZ_CHECK(t.data() >= s.data() && t.data() + t.size() <= s.data() + s.size());

  // valid_reaction (a reaction's URL path segment): never on invalid UTF-8 or nothing; a
  // short name is `:`, 1..32 of a-z 0-9 _ + -, `:`; an emoji is non-ASCII apart from at
  // most one keycap base (# * 0-9), and holds no control character.
  if (relay::valid_reaction(s)) {
    FUZZ_CHECK(ref.has_value() && !ref->empty());
    if (s.front() == ':') {
      FUZZ_CHECK(s.size() >= 3 && s.size() <= 34 && s.back() == ':');
      for (char c : s.substr(1, s.size() - 2))
        FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                   c == '-');
    } else {
      int ascii = 0;
      for (auto cp : *ref) {
        FUZZ_CHECK(cp >= 0xA0 ||
                   (cp < 0x80 && std::string_view{"#*0123456789"}.find(static_cast<char>(cp)) !=
                                     std::string_view::npos));
        ascii += cp < 0x80 ? 1 : 0;
      }
      FUZZ_CHECK(ascii <= 1);
    }
  }
  if (!ref) return 0;

  FUZZ_CHECK(relay::utf8_length(s) == ref->size());
  // On valid text: exactly the documented spaces are cut from both ends, at code point
  // boundaries, and trimming again changes nothing.
  const auto head = reference_decode(s.substr(0, static_cast<std::size_t>(t.data() - s.data())));
  const auto body = reference_decode(t);
  const auto tail =
      reference_decode(s.substr(static_cast<std::size_t>(t.data() - s.data()) + t.size()));
  FUZZ_CHECK(head && body && tail);
  for (auto cp : *head) FUZZ_CHECK(documented_space(cp));
  for (auto cp : *tail) FUZZ_CHECK(documented_space(cp));
  if (!body->empty())
    FUZZ_CHECK(!documented_space(body->front()) && !documented_space(body->back()));
  FUZZ_CHECK(head->size() + body->size() + tail->size() == ref->size());
  FUZZ_CHECK(relay::trim(t) == t);
  return 0;
}
