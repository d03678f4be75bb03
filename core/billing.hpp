#pragma once

// Participant-minute billing of halls (docs/halls.md, "Billing"): pure arithmetic, no
// clock and no store, so every rule is unit-tested on its own.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace relay::billing {

/// The plans a hall API key's workspace can be on.
enum class plan { starter, growth };

/// "starter" / "growth".
std::string_view plan_name(plan p) noexcept;
std::optional<plan> parse_plan(std::string_view name) noexcept;

/// Participant-minutes included each calendar month (UTC): 10,000 / 30,000.
std::int64_t included_minutes(plan p) noexcept;

/// Overage price per participant-minute, in millionths of a dollar ($0.002 = 2000), so
/// sums stay exact integers.
inline constexpr std::int64_t overage_micro_usd_per_minute = 2000;

/// A session's billed minutes: its connected duration rounded up to the next whole
/// minute, and at least one (a 0–60 s session is 1 minute). A negative duration (clock
/// skew between LiveKit nodes) counts as zero.
std::int64_t session_minutes(std::int64_t joined_ms, std::int64_t left_ms) noexcept;

/// The UTC calendar month holding `unix_ms`, as "YYYY-MM". A session is billed in the
/// month it ends, so this is applied to its `left_at`.
std::string period_of(std::int64_t unix_ms);

/// True for "YYYY-MM" with a month 01..12 and a year 1970..9999.
bool valid_period(std::string_view period) noexcept;

/// What a workspace owes for one month.
struct usage {
  std::int64_t included_minutes = 0;
  std::int64_t used_minutes = 0;
  std::int64_t overage_minutes = 0;
  std::int64_t overage_micro_usd = 0;
};

/// Usage of a month on `p` given the minutes used. Test-mode usage is tracked but never
/// billed: no overage, no cost.
usage monthly_usage(plan p, std::int64_t used_minutes, bool test_mode) noexcept;

/// Dollars with the fewest digits that are exact: 2468 -> "0.002468", 2000000 -> "2",
/// 2468000 -> "2.468".
std::string format_usd(std::int64_t micro_usd);

}  // namespace relay::billing
