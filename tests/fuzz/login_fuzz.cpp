// core/login: the one validator every login passes before Relay stores it (dev sign-in's
// `?login=`, the OAuth provider's profile, the operator's `user add`, bots), the case-blind
// comparison that makes "BOB" bob, and the renaming a migration gives a duplicate. The
// input is a login as a client or a provider sends it (e.g. `x' OR 1=1 --`, 5,000 `a`s).
// Checked against the rule written out independently: 1..39 of A-Z a-z 0-9 - _, nothing
// else (no byte of a UTF-8 sequence can pass); same_login is ASCII case folding exactly
// (reflexive, symmetric, blind to case, never to anything else); a renamed login is
// always valid, keeps its suffix, and stays within 39 characters.

#include <cctype>
#include <string>

#include "core/login.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

bool rule(std::string_view s) {
  if (s.empty() || s.size() > 39) return false;
  for (unsigned char c : s) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = relay::fuzz::as_text(data, size);
  FUZZ_CHECK(relay::valid_login(s) == rule(s));

  // The input split in two logins to compare.
  const auto half = s.substr(0, s.size() / 2), rest = s.substr(s.size() / 2);
  FUZZ_CHECK(relay::same_login(s, s));
  FUZZ_CHECK(relay::same_login(half, rest) == relay::same_login(rest, half));
  FUZZ_CHECK(relay::same_login(half, rest) == (ascii_lower(half) == ascii_lower(rest)));
  std::string upper(s);
  for (auto& c : upper)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  FUZZ_CHECK(relay::same_login(s, upper));

  // A taken login renamed: `rest` as the base, a valid suffix made from `half`.
  std::string suffix;
  for (char c : half)
    if (rule(std::string_view(&c, 1)) && suffix.size() < 37) suffix += c;
  if (suffix.empty()) suffix = "2";
  const auto renamed = relay::login_with_suffix(rest, suffix);
  FUZZ_CHECK(relay::valid_login(renamed));
  FUZZ_CHECK(renamed.size() > suffix.size() &&
             renamed.compare(renamed.size() - suffix.size() - 1, std::string::npos, "-" + suffix) ==
                 0);
  return 0;
}
