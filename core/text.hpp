#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace relay {

/// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool valid_utf8(std::string_view s) noexcept;

/// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view s) noexcept;

/// Removes leading and trailing Unicode white space (ASCII and U+00A0, U+2000..U+200A,
/// U+2028, U+2029, U+202F, U+205F, U+3000, U+FEFF).
std::string_view trim(std::string_view s) noexcept;

/// True when `s` is one reaction: a single emoji grapheme cluster (a pictograph with an
/// optional U+FE0F and skin tone, several of them joined by U+200D, a flag of two
/// regional indicators or a tag sequence, or a keycap) or a `:short_name:` of 1..32 of
/// `a-z0-9_+-`. Invalid UTF-8, text, two emoji and control characters are false.
bool valid_reaction(std::string_view s) noexcept;

}  // namespace relay
