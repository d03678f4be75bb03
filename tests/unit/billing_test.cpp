// Participant-minute arithmetic of halls: rounding, months, plans and overage.

#include <gtest/gtest.h>

#include "core/billing.hpp"
#include "core/clock.hpp"

using namespace relay;
using namespace relay::billing;

namespace {

std::int64_t at(const char* iso) {
  return *parse_iso8601(iso);
}

}  // namespace

TEST(billing, a_session_is_rounded_up_to_the_next_whole_minute) {
  const std::int64_t t = at("2026-05-04T10:00:00Z");
  EXPECT_EQ(session_minutes(t, t), 1) << "a 0-60 s session is 1 minute (spec)";
  EXPECT_EQ(session_minutes(t, t + 1000), 1);
  EXPECT_EQ(session_minutes(t, t + 59000), 1);
  EXPECT_EQ(session_minutes(t, t + 60000), 1);
  EXPECT_EQ(session_minutes(t, t + 61000), 2);
  EXPECT_EQ(session_minutes(t, t + 60001), 2) << "any part of a minute counts";
  EXPECT_EQ(session_minutes(t, t + 120000), 2);
  EXPECT_EQ(session_minutes(t, t + 45 * 60000), 45);
  EXPECT_EQ(session_minutes(t, t - 5000), 1) << "a leave stamped before its join is 0 s";
}

TEST(billing, a_45_minute_standup_with_6_participants_is_270_minutes) {
  const std::int64_t start = at("2026-05-04T09:00:00Z");
  std::int64_t total = 0;
  for (int p = 0; p < 6; ++p) total += session_minutes(start, start + 45 * 60 * 1000);
  EXPECT_EQ(total, 270);
}

TEST(billing, periods_are_utc_calendar_months) {
  EXPECT_EQ(period_of(at("2026-05-31T23:59:59.999Z")), "2026-05");
  EXPECT_EQ(period_of(at("2026-06-01T00:00:00.000Z")), "2026-06");
  EXPECT_EQ(period_of(at("2026-12-31T23:59:59Z")), "2026-12");
  EXPECT_EQ(period_of(at("2027-01-01T00:00:00Z")), "2027-01");
  EXPECT_EQ(period_of(at("2028-02-29T12:00:00Z")), "2028-02");
  EXPECT_EQ(period_of(0), "1970-01");
}

TEST(billing, a_session_across_a_month_boundary_is_billed_in_the_month_it_ends) {
  const std::int64_t joined = at("2026-05-31T23:50:00Z");
  const std::int64_t left = at("2026-06-01T00:20:30Z");
  EXPECT_EQ(session_minutes(joined, left), 31);
  EXPECT_EQ(period_of(left), "2026-06");
}

TEST(billing, period_strings_are_checked) {
  EXPECT_TRUE(valid_period("2026-05"));
  EXPECT_TRUE(valid_period("2026-12"));
  EXPECT_FALSE(valid_period("2026-13"));
  EXPECT_FALSE(valid_period("2026-00"));
  EXPECT_FALSE(valid_period("2026-5"));
  EXPECT_FALSE(valid_period("2026/05"));
  EXPECT_FALSE(valid_period("1969-12"));
  EXPECT_FALSE(valid_period("2026-05-01"));
  EXPECT_FALSE(valid_period(""));
}

TEST(billing, plans_include_minutes_and_overage_costs_two_tenths_of_a_cent) {
  EXPECT_EQ(included_minutes(plan::starter), 10000);
  EXPECT_EQ(included_minutes(plan::growth), 30000);
  EXPECT_EQ(parse_plan("growth"), plan::growth);
  EXPECT_EQ(parse_plan("Growth"), std::nullopt);
  EXPECT_EQ(plan_name(plan::starter), "starter");

  auto under = monthly_usage(plan::starter, 9999, false);
  EXPECT_EQ(under.overage_minutes, 0);
  EXPECT_EQ(under.overage_micro_usd, 0);
  auto exact = monthly_usage(plan::starter, 10000, false);
  EXPECT_EQ(exact.overage_minutes, 0);
  auto over = monthly_usage(plan::starter, 11234, false);
  EXPECT_EQ(over.included_minutes, 10000);
  EXPECT_EQ(over.used_minutes, 11234);
  EXPECT_EQ(over.overage_minutes, 1234);
  EXPECT_EQ(format_usd(over.overage_micro_usd), "2.468");
  auto growth = monthly_usage(plan::growth, 30001, false);
  EXPECT_EQ(growth.overage_minutes, 1);
  EXPECT_EQ(format_usd(growth.overage_micro_usd), "0.002");
}

TEST(billing, test_mode_usage_is_tracked_but_never_billed) {
  auto u = monthly_usage(plan::starter, 50000, true);
  EXPECT_EQ(u.used_minutes, 50000);
  EXPECT_EQ(u.overage_minutes, 0);
  EXPECT_EQ(u.overage_micro_usd, 0);
}

TEST(billing, dollars_are_printed_exactly) {
  EXPECT_EQ(format_usd(0), "0");
  EXPECT_EQ(format_usd(2000), "0.002");
  EXPECT_EQ(format_usd(2000000), "2");
  EXPECT_EQ(format_usd(2468000), "2.468");
  EXPECT_EQ(format_usd(1), "0.000001");
  EXPECT_EQ(format_usd(40000000000), "40000");
}
