#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace relay::base64 {

namespace {

constexpr std::string_view standard_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The value of each character under `alphabet`, -1 for characters outside it ('=' too).
constexpr std::array<std::int8_t, 256> values_of(std::string_view alphabet) {
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    values[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
  return values;
}

constexpr auto standard_values = values_of(standard_alphabet);
constexpr auto url_values = values_of(url_alphabet);

// Both functions size the output once and work a group of 3 bytes / 4 characters at a time:
// appending a character at a time cost a capacity check per character and decoding one a
// branch per character, the larger part of checking a LiveKit webhook's JWT under the
// fuzzers' instrumentation (every cookie and JWT goes through here).
std::string encode_with(std::string_view bytes, std::string_view alphabet, bool pad) {
  const std::size_t whole = bytes.size() / 3;
  const std::size_t rest = bytes.size() - whole * 3;
  std::string out(whole * 4 + (rest == 0 ? 0 : pad ? 4 : rest + 1), '\0');
  char* w = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const char* digit = alphabet.data();
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n =
        (std::uint32_t{in[i]} << 16) | (std::uint32_t{in[i + 1]} << 8) | in[i + 2];
    *w++ = digit[(n >> 18) & 63];
    *w++ = digit[(n >> 12) & 63];
    *w++ = digit[(n >> 6) & 63];
    *w++ = digit[n & 63];
  }
  if (rest == 0) return out;
  const std::uint32_t n =
      (std::uint32_t{in[i]} << 16) | (rest == 2 ? std::uint32_t{in[i + 1]} << 8 : 0);
  *w++ = digit[(n >> 18) & 63];
  *w++ = digit[(n >> 12) & 63];
  if (rest == 2) *w++ = digit[(n >> 6) & 63];
  if (pad)
    for (std::size_t k = rest; k < 3; ++k) *w++ = '=';
  return out;
}

std::optional<std::string> decode_with(std::string_view text,
                                       const std::array<std::int8_t, 256>& values) {
  std::size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad > 0 && (text.size() + pad) % 4 != 0) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;

  // Each group of 4 characters gives 3 bytes, a last group of 2 or 3 gives 1 or 2. A group
  // is checked at once: a character outside the alphabet is -1, so the OR is negative.
  const std::size_t whole = text.size() / 4;
  const std::size_t rest = text.size() % 4;
  std::string out(whole * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  char* w = out.data();
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const std::int8_t* value = values.data();
  std::size_t i = 0;
  for (; i + 4 <= text.size(); i += 4) {
    const std::int32_t a = value[in[i]], b = value[in[i + 1]], c = value[in[i + 2]],
                       d = value[in[i + 3]];
    if ((a | b | c | d) < 0) return std::nullopt;
    const auto n = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    *w++ = static_cast<char>(n >> 16);
    *w++ = static_cast<char>((n >> 8) & 0xFF);
    *w++ = static_cast<char>(n & 0xFF);
  }
  if (rest == 0) return out;
  const std::int32_t a = value[in[i]], b = value[in[i + 1]], c = rest == 3 ? value[in[i + 2]] : 0;
  if ((a | b | c) < 0) return std::nullopt;
  const auto n = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6));
  // The bits past the last whole byte must be zero, otherwise two encodings would map to
  // one value.
  if ((n & (rest == 2 ? 0xFFFFu : 0xFFu)) != 0) return std::nullopt;
  *w++ = static_cast<char>(n >> 16);
  if (rest == 3) *w++ = static_cast<char>((n >> 8) & 0xFF);
  return out;
}

}  // namespace

std::string encode(std::string_view bytes) {
  return encode_with(bytes, standard_alphabet, true);
}

std::string encode_url(std::string_view bytes) {
  return encode_with(bytes, url_alphabet, false);
}

std::optional<std::string> decode(std::string_view text) {
  return decode_with(text, standard_values);
}

std::optional<std::string> decode_url(std::string_view text) {
  return decode_with(text, url_values);
}

}  // namespace relay::base64
