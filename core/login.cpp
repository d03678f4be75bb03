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

namespace relay {

namespace {

std::size_t backtick_run(std::string_view text, std::size_t at) {
  std::size_t n = 0;
  while (at + n < text.size() && text[at + n] == '`') ++n;
  return n;
}

// Where the code that opens with the run of `n` backticks at `at` ends (just past its
// closing run), or `at + n` when the run opens nothing. A fence (three or more) left
// open runs to the end, as in Markdown; a shorter run left open is a literal backtick.
std::size_t skip_code(std::string_view text, std::size_t at, std::size_t n) {
  for (auto i = text.find('`', at + n); i != std::string_view::npos; i = text.find('`', i)) {
    auto m = backtick_run(text, i);
    if (m == n || (n >= 3 && m >= n)) return i + m;
    i += m;
  }
  return n >= 3 ? text.size() : at + n;
}

}  // namespace

std::vector<std::string> mentioned_logins(std::string_view text, std::size_t max) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size() && out.size() < max) {
    if (text[i] == '`') {
      i = skip_code(text, i, backtick_run(text, i));
      continue;
    }
    if (text[i] != '@' || (i > 0 && login_char(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t end = i + 1;
    while (end < text.size() && login_char(text[end])) ++end;
    auto login = text.substr(i + 1, end - i - 1);
    if (valid_login(login)) {
      std::string folded;
      for (char c : login) folded.push_back(fold(c));
      if (std::find(out.begin(), out.end(), folded) == out.end()) out.push_back(std::move(folded));
    }
    i = end;
  }
  return out;
}

bool mentions_login(std::string_view text, std::string_view login) {
  std::string folded;
  for (char c : login) folded.push_back(fold(c));
  auto all = mentioned_logins(text, text.size());
  return std::find(all.begin(), all.end(), folded) != all.end();
}

}  // namespace relay
