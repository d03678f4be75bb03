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

namespace relay {

namespace {

// Decodes one code point of valid UTF-8 at `i` (the caller checked the whole string).
char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
  auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
  char32_t cp = c & (0x3F >> n);
  while (n-- > 0) cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  return cp;
}

// Unicode's Extended_Pictographic ranges (emoji-data.txt, Unicode 15), less the digits,
// `#` and `*` (keycap bases) and the skin tones and regional indicators, which are only
// emoji as parts of a sequence.
bool pictographic(char32_t c) noexcept {
  struct range {
    char32_t lo, hi;
  };
  static constexpr range ranges[] = {
      {0x00A9, 0x00A9},   {0x00AE, 0x00AE},   {0x203C, 0x203C},   {0x2049, 0x2049},
      {0x2122, 0x2122},   {0x2139, 0x2139},   {0x2194, 0x2199},   {0x21A9, 0x21AA},
      {0x231A, 0x231B},   {0x2328, 0x2328},   {0x2388, 0x2388},   {0x23CF, 0x23CF},
      {0x23E9, 0x23F3},   {0x23F8, 0x23FA},   {0x24C2, 0x24C2},   {0x25AA, 0x25AB},
      {0x25B6, 0x25B6},   {0x25C0, 0x25C0},   {0x25FB, 0x25FE},   {0x2600, 0x2605},
      {0x2607, 0x2612},   {0x2614, 0x2685},   {0x2690, 0x2705},   {0x2708, 0x2712},
      {0x2714, 0x2714},   {0x2716, 0x2716},   {0x271D, 0x271D},   {0x2721, 0x2721},
      {0x2728, 0x2728},   {0x2733, 0x2734},   {0x2744, 0x2744},   {0x2747, 0x2747},
      {0x274C, 0x274C},   {0x274E, 0x274E},   {0x2753, 0x2755},   {0x2757, 0x2757},
      {0x2763, 0x2767},   {0x2795, 0x2797},   {0x27A1, 0x27A1},   {0x27B0, 0x27B0},
      {0x27BF, 0x27BF},   {0x2934, 0x2935},   {0x2B05, 0x2B07},   {0x2B1B, 0x2B1C},
      {0x2B50, 0x2B50},   {0x2B55, 0x2B55},   {0x3030, 0x3030},   {0x303D, 0x303D},
      {0x3297, 0x3297},   {0x3299, 0x3299},   {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
      {0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
      {0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
      {0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
      {0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
      {0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
      {0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
      {0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
  };
  for (auto& r : ranges)
    if (c >= r.lo && c <= r.hi) return true;
  return false;
}

constexpr char32_t zwj = 0x200D;
constexpr char32_t vs16 = 0xFE0F;
constexpr char32_t keycap = 0x20E3;
constexpr char32_t black_flag = 0x1F3F4;
constexpr char32_t cancel_tag = 0xE007F;

bool skin_tone(char32_t c) noexcept {
  return c >= 0x1F3FB && c <= 0x1F3FF;
}
bool regional_indicator(char32_t c) noexcept {
  return c >= 0x1F1E6 && c <= 0x1F1FF;
}
// Tag letters and digits, as in a subdivision flag (England: gbeng).
bool tag_spec(char32_t c) noexcept {
  return (c >= 0xE0061 && c <= 0xE007A) || (c >= 0xE0030 && c <= 0xE0039);
}

bool short_name(std::string_view s) noexcept {
  if (s.size() < 3 || s.size() > 34 || s.front() != ':' || s.back() != ':') return false;
  for (char c : s.substr(1, s.size() - 2))
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-'))
      return false;
  return true;
}

}  // namespace

bool valid_reaction(std::string_view s) noexcept {
  if (s.empty()) return false;
  if (s.front() == ':') return short_name(s);
  // The longest family or profession sequence is well under this; a cap keeps a hostile
  // chain of joiners from being stored.
  if (s.size() > 64 || !valid_utf8(s)) return false;
  std::u32string cps;
  for (std::size_t i = 0; i < s.size();) cps.push_back(next_code_point(s, i));
  const std::size_t n = cps.size();
  // A keycap: 0-9, # or *, an optional U+FE0F, U+20E3.
  if ((cps[0] >= U'0' && cps[0] <= U'9') || cps[0] == U'#' || cps[0] == U'*')
    return (n == 2 && cps[1] == keycap) || (n == 3 && cps[1] == vs16 && cps[2] == keycap);
  // A flag: exactly two regional indicators.
  if (regional_indicator(cps[0])) return n == 2 && regional_indicator(cps[1]);
  // A subdivision flag: the black flag, 1..7 tag letters or digits, the cancel tag.
  if (cps[0] == black_flag && n > 1 && tag_spec(cps[1])) {
    std::size_t i = 1;
    while (i < n && tag_spec(cps[i])) ++i;
    return i - 1 <= 7 && i + 1 == n && cps[i] == cancel_tag;
  }
  // Pictographs, each with an optional U+FE0F and an optional skin tone, joined by
  // U+200D.
  std::size_t i = 0;
  while (true) {
    if (i >= n || !pictographic(cps[i])) return false;
    ++i;
    if (i < n && cps[i] == vs16) ++i;
    if (i < n && skin_tone(cps[i])) ++i;
    if (i == n) return true;
    if (cps[i] != zwj) return false;
    ++i;
  }
}

}  // namespace relay
