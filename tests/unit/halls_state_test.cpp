// The rules that turn LiveKit's webhooks into sessions, in every order they can arrive.

#include <gtest/gtest.h>

#include "actors/hall_state.hpp"

using namespace relay;

namespace {

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

hall_state open_hall() {
  storage::hall_snapshot snap;
  snap.hall.id = "h_1";
  snap.hall.workspace_id = "ws_1";
  snap.grants.push_back({"h_1", "u1", "Ada", "publisher", t0});
  return hall_state::from(snap);
}

livekit_event ev(const char* kind, const char* who, std::int64_t at,
                 std::optional<std::int64_t> joined = std::nullopt) {
  livekit_event e;
  e.event = kind;
  e.room = "h_1";
  e.identity = who;
  e.name = who;
  e.created_at = at;
  e.joined_at = joined;
  return e;
}

// Applies the event as the hall actor does after the commit; returns the rows written.
std::vector<storage::hall_session_row> feed(hall_state& s, const livekit_event& e) {
  auto out = sessions_for_event(s, e);
  s.apply(out);
  return out;
}

std::int64_t billed(const hall_state& s) {
  std::int64_t total = 0;
  for (auto& x : s.sessions)
    if (x.joined_at && x.left_at) total += x.minutes;
  return total;
}

}  // namespace

TEST(halls_state, join_then_leave_is_one_session_with_livekits_times) {
  auto s = open_hall();
  auto opened = feed(s, ev("participant_joined", "u1", t0));
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].display_name, "Ada") << "named by the join grant";
  EXPECT_EQ(opened[0].role, "publisher");
  EXPECT_EQ(s.open_count(), 1u);
  auto closed = feed(s, ev("participant_left", "u1", t0 + 61000));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].id, opened[0].id);
  EXPECT_EQ(closed[0].minutes, 2);
  EXPECT_EQ(s.open_count(), 0u);
}

TEST(halls_state, a_second_join_while_open_opens_nothing) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  EXPECT_TRUE(feed(s, ev("participant_joined", "u1", t0 + 5 * min)).empty());
  feed(s, ev("participant_left", "u1", t0 + 10 * min));
  EXPECT_EQ(s.sessions.size(), 1u);
  EXPECT_EQ(billed(s), 10);
}

TEST(halls_state, a_leave_naming_its_join_time_before_the_join_is_a_complete_session) {
  auto s = open_hall();
  auto early = feed(s, ev("participant_left", "u1", t0 + 3 * min, t0));
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].minutes, 3);
  EXPECT_TRUE(feed(s, ev("participant_joined", "u1", t0 + 1000, t0)).empty())
      << "the late join is inside a known session";
  EXPECT_EQ(s.open_count(), 0u);
  EXPECT_EQ(billed(s), 3);
}

TEST(halls_state, a_leave_without_a_join_time_waits_for_its_join) {
  auto s = open_hall();
  auto waiting = feed(s, ev("participant_left", "u2", t0 + 90 * 1000));
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_FALSE(waiting[0].joined_at);
  EXPECT_EQ(billed(s), 0) << "no minutes until the join says when it started";
  auto done = feed(s, ev("participant_joined", "u2", t0));
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].id, waiting[0].id);
  EXPECT_EQ(done[0].minutes, 2);
  EXPECT_EQ(done[0].role, "unknown") << "no grant: joined with a token Relay did not mint";
  EXPECT_EQ(s.open_count(), 0u);
  EXPECT_EQ(billed(s), 2);
}

TEST(halls_state, a_repeated_leave_changes_nothing) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  feed(s, ev("participant_left", "u1", t0 + min));
  EXPECT_TRUE(feed(s, ev("participant_left", "u1", t0 + min)).empty());
  EXPECT_TRUE(feed(s, ev("participant_connection_aborted", "u1", t0 + min, t0)).empty());
  EXPECT_EQ(billed(s), 1);
}

TEST(halls_state, room_finished_closes_every_open_session) {
  auto s = open_hall();
  for (auto who : {"a", "b", "c", "d", "e", "f"}) feed(s, ev("participant_joined", who, t0));
  auto closed = feed(s, ev("room_finished", "", t0 + 45 * min));
  EXPECT_EQ(closed.size(), 6u);
  EXPECT_EQ(s.open_count(), 0u);
  EXPECT_EQ(billed(s), 270);
  EXPECT_TRUE(feed(s, ev("room_finished", "", t0 + 46 * min)).empty());
}

TEST(halls_state, rejoining_after_a_leave_is_a_new_session) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  feed(s, ev("participant_left", "u1", t0 + 30 * 1000));
  feed(s, ev("participant_joined", "u1", t0 + min));
  feed(s, ev("participant_left", "u1", t0 + 2 * min));
  EXPECT_EQ(s.sessions.size(), 2u);
  EXPECT_EQ(billed(s), 2);
}

TEST(halls_state, an_old_leave_does_not_end_a_newer_session) {
  auto s = open_hall();
  // join1, join2 arrive; leave1 (older than join2) arrives last and names join1's time.
  feed(s, ev("participant_joined", "u1", t0 + 5 * min));
  auto old = feed(s, ev("participant_left", "u1", t0 + 2 * min, t0));
  ASSERT_EQ(old.size(), 1u);
  EXPECT_EQ(old[0].minutes, 2);
  EXPECT_EQ(s.open_count(), 1u) << "the session opened at +5 min is still open";
}

TEST(halls_state, a_closed_hall_ignores_webhooks) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  s.apply(close_open_sessions(s, t0 + min));
  s.hall.status = "closed";
  EXPECT_TRUE(feed(s, ev("participant_joined", "u2", t0 + 2 * min)).empty());
  EXPECT_EQ(billed(s), 1);
}
