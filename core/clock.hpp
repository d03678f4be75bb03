#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay {

/// Milliseconds since the Unix epoch, wall clock.
std::int64_t now_ms();

/// `2026-05-04T23:30:00.000Z`
std::string format_iso8601(std::int64_t unix_ms);

/// Parses the format above (also accepts no fraction, or a fraction of 1..9 digits).
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace relay
