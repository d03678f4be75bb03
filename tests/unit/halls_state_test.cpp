// The rules that turn LiveKit's webhooks into sessions, in every order they can arrive.

#include <gtest/gtest.h>

#include "actors/halls/state.hpp"

using namespace relay;

namespace {

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

hall_state open_hall() {
  storage::hall_snapshot snap;
  snap.hall.id = "h_1";
  snap.hall.workspace_id = "ws_1";
  snap.grants.push_back({"h_1", "u1", "Ada", storage::hall_role::publisher, t0});
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
  EXPECT_EQ(opened[0].role, storage::hall_role::publisher);
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
  EXPECT_EQ(done[0].role, storage::hall_role::subscriber)
      << "no grant, no LiveKit publish permission";
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

namespace {

// Closes the hall at `at` as the hall actor does once the store has the close.
void close_hall(hall_state& s, std::int64_t at) {
  s.apply(close_open_sessions(s, at));
  s.hall.status = "closed";
  s.hall.closed_at = at;
}

}  // namespace

TEST(halls_state, a_closed_hall_ignores_what_happened_after_the_close) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  close_hall(s, t0 + min);
  EXPECT_TRUE(feed(s, ev("participant_joined", "u2", t0 + 2 * min)).empty());
  EXPECT_TRUE(feed(s, ev("participant_left", "u1", t0 + 2 * min)).empty()) << "the close ended it";
  EXPECT_TRUE(feed(s, ev("room_finished", "", t0 + 3 * min)).empty());
  EXPECT_EQ(billed(s), 1);
}

TEST(halls_state, a_join_reported_after_the_close_is_billed_up_to_the_close) {
  // LiveKit's webhook for a join before the close arrives after it (a retry).
  auto s = open_hall();
  close_hall(s, t0 + 10 * min);
  auto late = feed(s, ev("participant_joined", "u2", t0 + 2 * min, t0 + 2 * min));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].joined_at, t0 + 2 * min);
  EXPECT_EQ(late[0].left_at, t0 + 10 * min);
  EXPECT_EQ(billed(s), 8);
  EXPECT_TRUE(feed(s, ev("participant_joined", "u2", t0 + 2 * min)).empty()) << "known stay";
  // Its leave, before the close, arrives later still: the stay ends where LiveKit says.
  auto left = feed(s, ev("participant_left", "u2", t0 + 5 * min));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].left_at, t0 + 5 * min);
  EXPECT_EQ(billed(s), 3);
}

TEST(halls_state, a_leave_reported_after_the_close_shortens_the_stay_the_close_ended) {
  auto s = open_hall();
  feed(s, ev("participant_joined", "u1", t0));
  feed(s, ev("participant_joined", "u2", t0));
  close_hall(s, t0 + 10 * min);
  EXPECT_EQ(billed(s), 20);
  auto left = feed(s, ev("participant_left", "u1", t0 + min));
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].minutes, 1);
  auto finished = feed(s, ev("room_finished", "", t0 + 4 * min));
  ASSERT_EQ(finished.size(), 1u) << "u1's stay had already ended";
  EXPECT_EQ(finished[0].participant_id, "u2");
  EXPECT_EQ(billed(s), 1 + 4);
}

TEST(halls_state, a_participant_relay_did_not_admit_gets_its_livekit_role) {
  auto s = open_hall();
  auto pub = ev("participant_joined", "stranger", t0);
  pub.can_publish = true;
  auto rows = feed(s, pub);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].role, storage::hall_role::publisher);
  EXPECT_EQ(feed(s, ev("participant_joined", "viewer", t0))[0].role,
            storage::hall_role::subscriber);
  EXPECT_EQ(feed(s, ev("participant_joined", "u1", t0))[0].role, storage::hall_role::publisher)
      << "its grant";
}
