#include "core/billing.hpp"

#include <cstdio>
#include <ctime>

namespace relay::billing {

std::string_view plan_name(plan p) noexcept {
  return p == plan::growth ? "growth" : "starter";
}

std::optional<plan> parse_plan(std::string_view name) noexcept {
  if (name == "starter") return plan::starter;
  if (name == "growth") return plan::growth;
  return std::nullopt;
}

std::int64_t included_minutes(plan p) noexcept {
  return p == plan::growth ? 30000 : 10000;
}

std::int64_t session_minutes(std::int64_t joined_ms, std::int64_t left_ms) noexcept {
  const std::int64_t ms = left_ms > joined_ms ? left_ms - joined_ms : 0;
  const std::int64_t minutes = (ms + 59999) / 60000;
  return minutes < 1 ? 1 : minutes;
}

std::string period_of(std::int64_t unix_ms) {
  // Floor division: a time before 1970 still lands in its own month.
  auto secs = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
  return buf;
}

bool valid_period(std::string_view p) noexcept {
  if (p.size() != 7 || p[4] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6})
    if (p[i] < '0' || p[i] > '9') return false;
  const int year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
  const int month = (p[5] - '0') * 10 + (p[6] - '0');
  return year >= 1970 && month >= 1 && month <= 12;
}

usage monthly_usage(plan p, std::int64_t used_minutes, bool test_mode) noexcept {
  usage u;
  u.included_minutes = included_minutes(p);
  u.used_minutes = used_minutes;
  if (test_mode) return u;
  u.overage_minutes = used_minutes > u.included_minutes ? used_minutes - u.included_minutes : 0;
  u.overage_micro_usd = u.overage_minutes * overage_micro_usd_per_minute;
  return u;
}

std::string format_usd(std::int64_t micro_usd) {
  const bool negative = micro_usd < 0;
  const auto abs = static_cast<std::uint64_t>(negative ? -micro_usd : micro_usd);
  std::string out = (negative ? "-" : "") + std::to_string(abs / 1000000);
  auto frac = std::to_string(abs % 1000000);
  frac.insert(0, 6 - frac.size(), '0');
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  if (!frac.empty()) out += "." + frac;
  return out;
}

}  // namespace relay::billing
