#include "core/text.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace relay {

namespace {

// Bodies and frames are mostly ASCII, so both functions below take 8 bytes at a time
// where they can: a byte loop costs one branch per byte here and, under the fuzzers'
// coverage instrumentation, a traced comparison per byte (rest_body validates each body
// once per decoder, ~20 times).
constexpr std::uint64_t high_bits = 0x8080808080808080ull;

std::uint64_t load8(const unsigned char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

}  // namespace

bool valid_utf8(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  auto end = p + s.size();
  while (p < end) {
    if (end - p >= 8 && (load8(p) & high_bits) == 0) {
      p += 8;
      continue;
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t n;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) <= n) return false;
    for (std::size_t i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    static constexpr std::uint32_t min_for_len[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += n + 1;
  }
  return true;
}

std::size_t utf8_length(std::string_view s) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(s.data());
  const auto end = p + s.size();
  std::size_t n = 0;
  // A code point starts at every byte but a continuation byte (10xxxxxx: bit 7 set, bit 6
  // clear); shifting left by one lines each byte's bit 6 up with its bit 7.
  for (; end - p >= 8; p += 8) {
    const std::uint64_t w = load8(p);
    n += 8 - static_cast<std::size_t>(std::popcount(w & ~(w << 1) & high_bits));
  }
  for (; p < end; ++p)
    if ((*p & 0xC0) != 0x80) ++n;
  return n;
}

namespace {

// Decodes the code point starting at s[i]; returns its byte length through `len`, never
// reaching past the end of `s`. A sequence cut off by the end reads as U+FFFD: read as
// far as it goes, a lone 0xC9 would be a tab, and its length would step trim() past the
// end of the text and out of noexcept with std::out_of_range (found by tests/fuzz/text).
std::uint32_t decode_at(std::string_view s, std::size_t i, std::size_t& len) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    len = 1;
    return c;
  }
  std::size_t n = (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : 3;
  if (i + n >= s.size()) {
    len = s.size() - i;
    return 0xFFFD;
  }
  std::uint32_t cp = c & (0x3F >> n);
  for (std::size_t k = 1; k <= n && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  len = n + 1;
  return cp;
}

bool is_space(std::uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  std::size_t b = 0;
  while (b < s.size()) {
    std::size_t len;
    if (!is_space(decode_at(s, b, len))) break;
    b += len;
  }
  std::size_t e = s.size();
  while (e > b) {
    // Step back to the start of the last code point.
    std::size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::size_t len;
    if (!is_space(decode_at(s, start, len))) break;
    e = start;
  }
  return s.substr(b, e - b);
}

}  // namespace relay
