// The SQLite store's halls: keys, halls, sessions, webhook idempotence and the ledger.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "storage/sqlite_store.hpp"

namespace relay::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

class HallsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/relay-halls-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = std::make_unique<sqlite_store>((dir_ / "relay.db").string());
    auto k = db_->create_hall_key("starter", false, sha256_hex("relay_live_x"));
    ASSERT_TRUE(k) << k.error.message;
    key_ = *k.value;
    hall_row h;
    h.id = make_id("h");
    h.workspace_id = key_.workspace_id;
    h.name = "Standup";
    auto r = db_->create_hall(h);
    ASSERT_TRUE(r) << r.error.message;
    hall_ = *r.value;
  }
  void TearDown() override {
    db_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  hall_session_row session(const std::string& pid, std::optional<std::int64_t> joined,
                           std::optional<std::int64_t> left, std::int64_t minutes = 0) {
    return {make_id("hs"), hall_.id, pid, pid, "publisher", joined, left, minutes};
  }

  result<bool> apply(std::vector<hall_session_row> sessions, std::string webhook = "") {
    hall_change c;
    c.hall_id = hall_.id;
    c.webhook_id = std::move(webhook);
    c.sessions = std::move(sessions);
    return db_->apply_hall_change(c);
  }

  std::int64_t usage(const std::string& period, bool test = false) {
    return db_->hall_usage_minutes(key_.workspace_id, test, period);
  }

  fs::path dir_;
  std::unique_ptr<sqlite_store> db_;
  hall_key_row key_;
  hall_row hall_;
};

TEST_F(HallsStoreTest, KeysAreFoundByHashWithTheirWorkspacePlan) {
  auto k = db_->find_hall_key(sha256_hex("relay_live_x"));
  ASSERT_TRUE(k);
  EXPECT_EQ(k->workspace_id, key_.workspace_id);
  EXPECT_EQ(k->plan, "starter");
  EXPECT_FALSE(k->test_mode);
  EXPECT_FALSE(db_->find_hall_key(sha256_hex("relay_live_y")));
  EXPECT_EQ(db_->create_hall_key("gold", false, "h").error.code, errc::bad_request);
  EXPECT_EQ(db_->create_hall_key("growth", true, sha256_hex("relay_live_x")).error.code,
            errc::conflict);
}

TEST_F(HallsStoreTest, ACompleteSessionIsAddedToTheLedgerOnce) {
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

TEST_F(HallsStoreTest, ASessionIsBilledInTheMonthItEnds) {
  const std::int64_t june = *parse_iso8601("2026-06-01T00:10:00Z");
  ASSERT_TRUE(apply({session("u1", june - 20 * min, june, 20)}));
  EXPECT_EQ(usage("2026-05"), 0);
  EXPECT_EQ(usage("2026-06"), 20);
}

TEST_F(HallsStoreTest, AWebhookIdIsAppliedOnce) {
  auto r = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r.value);
  auto again = apply({session("u1", t0, t0 + min, 1)}, "EV_1");
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again.value) << "a replay";
  EXPECT_EQ(usage("2026-05"), 1);
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
}

TEST_F(HallsStoreTest, OneOpenSessionPerParticipantAndAFailedChangeLeavesNothing) {
  ASSERT_TRUE(apply({session("u1", t0, std::nullopt)}));
  auto r = apply({session("u2", t0, t0 + min, 1), session("u1", t0 + 1, std::nullopt)}, "EV_2");
  EXPECT_FALSE(r);
  EXPECT_EQ(r.error.code, errc::conflict);
  EXPECT_EQ(usage("2026-05"), 0) << "u2's session went with the failed change";
  EXPECT_EQ(db_->load_hall(hall_.id)->sessions.size(), 1u);
  auto retry = apply({session("u2", t0, t0 + min, 1)}, "EV_2");
  ASSERT_TRUE(retry);
  EXPECT_TRUE(*retry.value) << "the failed webhook's id was not kept";
}

TEST_F(HallsStoreTest, ClosingAHallAndItsGrantsPersist) {
  hall_change c;
  c.hall_id = hall_.id;
  c.grant = hall_grant_row{hall_.id, "u1", "Ada", "subscriber", t0};
  c.closed_at = t0 + min;
  ASSERT_TRUE(db_->apply_hall_change(c));
  auto snap = db_->load_hall(hall_.id);
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->hall.status, "closed");
  EXPECT_EQ(snap->hall.closed_at, t0 + min);
  ASSERT_EQ(snap->grants.size(), 1u);
  EXPECT_EQ(snap->grants[0].role, "subscriber");
  hall_change unknown;
  unknown.hall_id = "h_nope";
  EXPECT_EQ(db_->apply_hall_change(unknown).error.code, errc::not_found);
}

TEST_F(HallsStoreTest, TestModeUsageIsKeptApart) {
  auto k = db_->create_hall_key("starter", true, sha256_hex("relay_test_x"));
  ASSERT_TRUE(k);
  hall_row h;
  h.id = make_id("h");
  h.workspace_id = k.value->workspace_id;
  h.test_mode = true;
  h.name = "t";
  ASSERT_TRUE(db_->create_hall(h));
  hall_change c;
  c.hall_id = h.id;
  c.sessions = {{make_id("hs"), h.id, "u1", "u1", "publisher", t0, t0 + min, 1}};
  ASSERT_TRUE(db_->apply_hall_change(c));
  EXPECT_EQ(db_->hall_usage_minutes(k.value->workspace_id, true, "2026-05"), 1);
  EXPECT_EQ(db_->hall_usage_minutes(k.value->workspace_id, false, "2026-05"), 0);
}

}  // namespace
}  // namespace relay::storage
