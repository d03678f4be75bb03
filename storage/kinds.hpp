#pragma once

// The closed sets of the rows: each an enum with one `to_string` (its stored and wire
// name) and one `parse_*` (nullopt for any other text). The names are converted only
// where text comes in or goes out (the SQL in storage/sqlite/, the JSON in protocol/
// and api/), so everything between compares enums. Header-only: the protocol uses the
// rows without linking the store.

#include <cstddef>
#include <optional>
#include <string_view>

namespace relay::storage {

namespace detail {

template <class E, std::size_t N>
constexpr std::optional<E> parse_name(const std::string_view (&names)[N], std::string_view text) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace detail

// -- channel visibility -----------------------------------------------------------

/// Who sees a channel: everyone in the room (`public_`), or only its members. A `dm` is
/// opened with POST /dms, never created as a channel.
enum class channel_visibility { public_, private_, group, personal, dm };

inline constexpr std::string_view channel_visibility_names[] = {"public", "private", "group",
                                                                "personal", "dm"};

constexpr std::string_view to_string(channel_visibility v) {
  return channel_visibility_names[static_cast<int>(v)];
}
constexpr std::optional<channel_visibility> parse_channel_visibility(std::string_view text) {
  return detail::parse_name<channel_visibility>(channel_visibility_names, text);
}

// -- access request state ---------------------------------------------------------

/// A request to enter a whitelist-only room: pending until its owner decides.
enum class request_state { pending, approved, denied };

inline constexpr std::string_view request_state_names[] = {"pending", "approved", "denied"};

constexpr std::string_view to_string(request_state s) {
  return request_state_names[static_cast<int>(s)];
}
constexpr std::optional<request_state> parse_request_state(std::string_view text) {
  return detail::parse_name<request_state>(request_state_names, text);
}

// -- token kind -------------------------------------------------------------------

/// An API token (listed and revoked by its owner) or a browser session.
enum class token_kind { api, session };

inline constexpr std::string_view token_kind_names[] = {"api", "session"};

constexpr std::string_view to_string(token_kind k) {
  return token_kind_names[static_cast<int>(k)];
}
constexpr std::optional<token_kind> parse_token_kind(std::string_view text) {
  return detail::parse_name<token_kind>(token_kind_names, text);
}

// -- hall role --------------------------------------------------------------------

/// A hall participant's role: the LiveKit permissions its join token grants.
enum class hall_role { publisher, subscriber };

inline constexpr std::string_view hall_role_names[] = {"publisher", "subscriber"};

constexpr std::string_view to_string(hall_role r) {
  return hall_role_names[static_cast<int>(r)];
}
constexpr std::optional<hall_role> parse_hall_role(std::string_view text) {
  return detail::parse_name<hall_role>(hall_role_names, text);
}

}  // namespace relay::storage
