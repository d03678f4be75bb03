// The store suite (store_suite.hpp), halls area (docs/halls.md): keys, halls, sessions,
// webhook idempotence and the ledger, on every backend that implements the area.

#include "store_suite.hpp"

namespace relay::storage {
namespace {

// -- halls (docs/halls.md): keys, halls, sessions, webhook idempotence and the ledger ---

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

/// Every test here uses the halls area alone, so every backend that implements it runs them.
class HallsStoreTest : public AreaTest<halls_store> {
 protected:
  void SetUp() override {
    AreaTest::SetUp();
    if (IsSkipped()) return;
    db_ = open();
    auto k = db_->create_hall_key("starter", false, sha256_hex("relay_live_x"));
    ASSERT_TRUE(k) << k.error().message;
    key_ = *k;
    hall_row h;
    h.id = make_id("h");
    h.workspace_id = key_.workspace_id;
    h.name = "Standup";
    auto r = db_->create_hall(h);
    ASSERT_TRUE(r) << r.error().message;
    hall_ = *r;
  }
  void TearDown() override {
    db_ = {};  // closed before its database is dropped
    AreaTest::TearDown();
  }

  hall_session_row session(const std::string& pid, std::optional<std::int64_t> joined,
                           std::optional<std::int64_t> left, std::int64_t minutes = 0) {
    return {make_id("hs"), hall_.id, pid, pid, hall_role::publisher, joined, left, minutes};
  }

  expected<bool> apply(std::vector<hall_session_row> sessions, std::string webhook = "") {
    hall_change c;
    c.hall_id = hall_.id;
    c.webhook_id = std::move(webhook);
    c.sessions = std::move(sessions);
    return db_->apply_hall_change(c);
  }

  std::int64_t usage(const std::string& period, bool test = false) {
    return db_->hall_usage_minutes(key_.workspace_id, test, period).value();
  }

  area_handle<halls_store> db_;
  hall_key_row key_;
  hall_row hall_;
};

TEST_P(HallsStoreTest, KeysAreFoundByHashWithTheirWorkspacePlan) {
  auto k = db_->find_hall_key(sha256_hex("relay_live_x"));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->workspace_id, key_.workspace_id);
  EXPECT_EQ(k->plan, "starter");
  EXPECT_FALSE(k->test_mode);
  EXPECT_FALSE(db_->find_hall_key(sha256_hex("relay_live_y")));
  EXPECT_EQ(db_->create_hall_key("gold", false, "h").error().code, errc::bad_request);
  EXPECT_EQ(db_->create_hall_key("growth", true, sha256_hex("relay_live_x")).error().code,
            errc::conflict);
}

TEST_P(HallsStoreTest, ACompleteSessionIsAddedToTheLedgerOnce) {
  auto open = session("u1", t0, std::nullopt);
  ASSERT_TRUE(apply({open}));
  EXPECT_EQ(usage("2026-05"), 0);
  auto closed = open;
  closed.left_at = t0 + 3 * min;
  closed.minutes = 3;
  ASSERT_TRUE(apply({closed}));
  EXPECT_EQ(usage("2026-05"), 3);
  ASSERT_TRUE(apply({closed})) << "rewriting a billed session";
  EXPECT_EQ(usage("2026-05"), 3);
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->sessions.size(), 1u);
  EXPECT_EQ(snap->sessions[0].left_at, t0 + 3 * min);
}

TEST_P(HallsStoreTest, ASessionIsBilledInTheMonthItEnds) {
  const std::int64_t june = *parse_iso8601("2026-06-01T00:10:00Z");
  ASSERT_TRUE(apply({session("u1", june - 20 * min, june, 20)}));
  EXPECT_EQ(usage("2026-05"), 0);
  EXPECT_EQ(usage("2026-06"), 20);
}

TEST_P(HallsStoreTest, AWebhookIdIsAppliedOnce) {
  auto r = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  auto again = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again) << "a replay";
  EXPECT_EQ(usage("2026-05"), 1);
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
}

TEST_P(HallsStoreTest, OneOpenSessionPerParticipantAndAFailedChangeLeavesNothing) {
  ASSERT_TRUE(apply({session("u1", t0, std::nullopt)}));
  auto r = apply({session("u2", t0, t0 + min, 1), session("u1", t0 + 1, std::nullopt)}, "EV_2");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::conflict);
  EXPECT_EQ(usage("2026-05"), 0) << "u2's session went with the failed change";
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
  auto retry = apply({session("u2", t0, t0 + min, 1)}, "EV_2");
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry) << "the failed webhook's id was not kept";
}

TEST_P(HallsStoreTest, ClosingAHallAndItsGrantsPersist) {
  hall_change c;
  c.hall_id = hall_.id;
  c.grant = hall_grant_row{hall_.id, "u1", "Ada", hall_role::subscriber, t0};
  c.closed_at = t0 + min;
  ASSERT_TRUE(db_->apply_hall_change(c));
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->hall.status, "closed");
  EXPECT_EQ(snap->hall.closed_at, t0 + min);
  ASSERT_EQ(snap->grants.size(), 1u);
  EXPECT_EQ(snap->grants[0].role, hall_role::subscriber);
  hall_change unknown;
  unknown.hall_id = "h_nope";
  EXPECT_EQ(db_->apply_hall_change(unknown).error().code, errc::not_found);
}

TEST_P(HallsStoreTest, TestModeUsageIsKeptApart) {
  auto k = db_->create_hall_key("starter", true, sha256_hex("relay_test_x"));
  ASSERT_TRUE(k);
  hall_row h;
  h.id = make_id("h");
  h.workspace_id = k->workspace_id;
  h.test_mode = true;
  h.name = "t";
  ASSERT_TRUE(db_->create_hall(h));
  hall_change c;
  c.hall_id = h.id;
  c.sessions = {{make_id("hs"), h.id, "u1", "u1", hall_role::publisher, t0, t0 + min, 1}};
  ASSERT_TRUE(db_->apply_hall_change(c));
  EXPECT_EQ(db_->hall_usage_minutes(k->workspace_id, true, "2026-05").value(), 1);
  EXPECT_EQ(db_->hall_usage_minutes(k->workspace_id, false, "2026-05").value(), 0);
}

TEST_P(HallsStoreTest, ALaterLeaveCorrectsTheLedgerInsteadOfAddingTwice) {
  auto s = session("u1", t0, t0 + 3 * min, 3);
  ASSERT_TRUE(apply({s}));
  EXPECT_EQ(usage("2026-05"), 3);
  s.left_at = t0 + 5 * min;
  s.minutes = 5;
  ASSERT_TRUE(apply({s}));
  EXPECT_EQ(usage("2026-05"), 5) << "the correction replaces the 3 minutes";
  // The stay now ends in June: May gives its minutes back.
  s.left_at = *parse_iso8601("2026-06-01T00:05:00Z");
  s.minutes = 7;
  ASSERT_TRUE(apply({s}));
  EXPECT_EQ(usage("2026-05"), 0);
  EXPECT_EQ(usage("2026-06"), 7);
}

TEST_P(HallsStoreTest, ALeaveBeforeItsJoinIsKeptAndBilledWhenTheJoinArrives) {
  auto leave = session("u1", std::nullopt, t0 + 2 * min);
  ASSERT_TRUE(apply({leave}));
  ASSERT_TRUE(apply({session("u2", t0 + min, std::nullopt)}));
  EXPECT_EQ(usage("2026-05"), 0) << "no minutes without both ends";
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap) << snap.error().message;
  ASSERT_EQ(snap->sessions.size(), 2u);
  EXPECT_EQ(snap->sessions[0].participant_id, "u2") << "sessions in the order they began";
  EXPECT_EQ(snap->sessions[1].participant_id, "u1");
  EXPECT_FALSE(snap->sessions[1].joined_at.has_value());
  EXPECT_EQ(snap->sessions[1].left_at, t0 + 2 * min);

  auto whole = leave;
  whole.joined_at = t0;
  whole.minutes = 2;
  ASSERT_TRUE(apply({whole}));
  EXPECT_EQ(usage("2026-05"), 2);
}

TEST_P(HallsStoreTest, AGrantIsReplacedAndAClosedHallStaysClosedAtItsFirstTime) {
  hall_row limited;
  limited.id = make_id("h");
  limited.workspace_id = key_.workspace_id;
  limited.name = "Town hall";
  limited.max_participants = 5;
  ASSERT_TRUE(db_->create_hall(limited));
  EXPECT_EQ(db_->create_hall(limited).error().code, errc::conflict) << "a taken id";
  auto orphan = limited;
  orphan.id = make_id("h");
  orphan.workspace_id = "ws_nope";
  EXPECT_EQ(db_->create_hall(orphan).error().code, errc::conflict) << "an unknown workspace";

  hall_change c;
  c.hall_id = limited.id;
  c.grant = hall_grant_row{limited.id, "u1", "Ada", hall_role::publisher, t0};
  ASSERT_TRUE(db_->apply_hall_change(c));
  c.grant = hall_grant_row{limited.id, "u1", "Ada L.", hall_role::subscriber, t0 + min};
  c.closed_at = t0 + 2 * min;
  ASSERT_TRUE(db_->apply_hall_change(c));
  c.grant.reset();
  c.closed_at = t0 + 3 * min;
  ASSERT_TRUE(db_->apply_hall_change(c));

  auto snap = db_->load_hall(limited.id);
  ASSERT_TRUE(snap) << snap.error().message;
  EXPECT_EQ(snap->hall.max_participants, 5);
  EXPECT_EQ(snap->hall.name, "Town hall");
  EXPECT_EQ(snap->hall.closed_at, t0 + 2 * min);
  ASSERT_EQ(snap->grants.size(), 1u);
  EXPECT_EQ(snap->grants[0].display_name, "Ada L.");
  EXPECT_EQ(snap->grants[0].role, hall_role::subscriber);
  EXPECT_EQ(snap->grants[0].granted_at, t0 + min);
  EXPECT_FALSE(db_->load_hall(hall_.id)->hall.max_participants.has_value());
  EXPECT_TRUE(db_->load_hall("h_nope").not_found());
}

TEST_P(HallsStoreTest, InsideTheWritersTransactionAConflictOrAReplayLeavesTheRestOfTheBatch) {
  ASSERT_TRUE(db_.tx().begin());
  auto first = apply({session("u1", t0, std::nullopt)}, "EV_1");
  ASSERT_TRUE(first) << first.error().message;
  auto clash = apply({session("u3", t0, t0 + min, 1), session("u1", t0 + 1, std::nullopt)}, "EV_2");
  EXPECT_TRUE(clash.conflict()) << clash.error().message;
  auto replay = apply({session("u2", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_FALSE(*replay);
  auto later = apply({session("u4", t0, t0 + 2 * min, 2)}, "EV_3");
  ASSERT_TRUE(later) << later.error().message;
  EXPECT_TRUE(*later);
  EXPECT_EQ(scalar("SELECT count(*) FROM hall_sessions"), 0) << "nothing is seen before the commit";
  auto done = db_.tx().commit();
  ASSERT_TRUE(done) << done.error().message;

  EXPECT_EQ(usage("2026-05"), 2) << "only u4's minutes: u3 went with the conflicting change";
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 2u);
  EXPECT_EQ(scalar("SELECT count(*) FROM livekit_webhooks"), 2) << "EV_1 and EV_3, not EV_2";
}

INSTANTIATE_TEST_SUITE_P(Backends, HallsStoreTest,
                         ::testing::Values(sqlite_area<halls_store>(),
                                           postgres_area<halls_store>()),
                         backend_name);

}  // namespace
}  // namespace relay::storage
