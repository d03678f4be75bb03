#pragma once

// What every fuzz target shares. The build type defines NDEBUG, so assert() would vanish:
// FUZZ_CHECK aborts in every build, and libFuzzer saves the input that made it fail.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)

namespace relay::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Inputs made of two parts (a header line, then a body): split at the first newline;
/// without one, all of it is the first part.
struct two_parts {
  std::string_view first;
  std::string_view rest;
};
inline two_parts split_first_line(std::string_view input) {
  const auto nl = input.find('\n');
  if (nl == std::string_view::npos) return {input, {}};
  return {input.substr(0, nl), input.substr(nl + 1)};
}

}  // namespace relay::fuzz
