#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace relay {

// Logins name users in URLs, @mentions, whitelists, DMs and invites. They follow GitHub's
// rule and, as on GitHub, are identities without case: "BOB" is bob. A stored login keeps
// the spelling it was created with.

/// Longest login GitHub hands out, and so the longest Relay stores.
inline constexpr std::size_t max_login_length = 39;

/// The rule in words, for error messages.
inline constexpr std::string_view login_rule = "1..39 characters of A-Z a-z 0-9 - _";

/// True when `s` is 1..39 of A-Z a-z 0-9 - _ (ASCII only, whatever the locale). Every login
/// Relay stores passes this: dev sign-in, the OAuth provider's, the operator's, bots'.
bool valid_login(std::string_view s) noexcept;

/// Whether two logins name the same user: equal after ASCII case folding, which is what
/// SQLite's NOCASE collation (the unique index on users.login) compares.
bool same_login(std::string_view a, std::string_view b) noexcept;

/// A valid login made of `base` and "-" + `suffix` (e.g. "BOB-2"), for when `base` is
/// taken: characters outside the rule become '_', and `base` is cut so the whole stays
/// within 39 characters. `suffix` must itself be 1..37 valid characters.
std::string login_with_suffix(std::string_view base, std::string_view suffix);

}  // namespace relay

namespace relay {

/// The logins @mentioned in `text`, lowercased, each once, in order of first mention, at
/// most `max` of them. "@bob" counts where the character before the "@" is not a login
/// character (so "a@bob.com" is no mention) and "@bob" is followed by anything but a login
/// character; the longest valid login wins ("@bob_2!" is bob_2). Nothing inside inline
/// `code` or a ``` fenced block counts: people quote handles there without calling anyone.
std::vector<std::string> mentioned_logins(std::string_view text, std::size_t max = 32);

/// Whether `text` @mentions `login` (case-insensitive), by the rule of mentioned_logins.
bool mentions_login(std::string_view text, std::string_view login);

}  // namespace relay
