#include "core/login.hpp"

#include <algorithm>

namespace relay {

namespace {

constexpr bool login_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

constexpr char fold(char c) noexcept {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool valid_login(std::string_view s) noexcept {
  return !s.empty() && s.size() <= max_login_length && std::all_of(s.begin(), s.end(), login_char);
}

bool same_login(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return fold(x) == fold(y); });
}

std::string login_with_suffix(std::string_view base, std::string_view suffix) {
  const auto room = max_login_length - 1 - std::min(suffix.size(), max_login_length - 2);
  std::string out{base.substr(0, room)};
  std::replace_if(
      out.begin(), out.end(), [](char c) { return !login_char(c); }, '_');
  if (out.empty()) out = "user";
  out += '-';
  out += suffix.substr(0, max_login_length - out.size());
  return out;
}

}  // namespace relay
