// The store suite (store_suite.hpp), outbound webhooks area: the claim is fair. A hook
// with a backlog gets at most webhook_in_flight_per_hook leased rows (counting those any
// node holds), the others' due rows go out beside it, the earliest due first, and a slot
// of the hook frees when an attempt is recorded.

#include "store_suite.hpp"

#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay::storage {
namespace {

class WebhookClaim : public StoreTest {
 protected:
  std::string hook(store& s, const std::string& room, const std::string& creator) {
    webhook_row w;
    w.created_at = now_ms();
    w.id = make_id("whk", w.created_at);
    w.room_id = room;
    w.creator_id = creator;
    w.url = "http://127.0.0.1:9/" + w.id;
    w.events = {"message.created"};
    w.secret = "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    EXPECT_TRUE(s.begin());
    auto made = s.create_webhook(w);
    EXPECT_TRUE(made) << made.error().message;
    EXPECT_TRUE(s.commit());
    return w.id;
  }

  // `n` pending deliveries of `hook`, due at `due`, `due + 1`, …
  void due(const std::string& hook, int n, std::int64_t due) {
    for (int i = 0; i < n; ++i) {
      const auto id = make_id("whd");
      const auto err = exec_error(
          "INSERT INTO webhook_deliveries (id, webhook_id, event, payload, msg_id, attempt,"
          " state, next_attempt_at, lease_until, error, created_at, updated_at) VALUES ('" +
          id + "', '" + hook + "', 'message.created', '{}', '" + id + "', 0, 'pending', " +
          std::to_string(due + i) + ", 0, '', " + std::to_string(due) + ", " + std::to_string(due) +
          ")");
      ASSERT_EQ(err, "");
    }
  }

  static std::vector<webhook_job> claim(store& s, std::int64_t now, int limit) {
    EXPECT_TRUE(s.begin());
    auto jobs = s.claim_webhook_deliveries(now, 60'000, limit);
    EXPECT_TRUE(jobs) << jobs.error().message;
    EXPECT_TRUE(s.commit());
    return jobs.value_or(std::vector<webhook_job>{});
  }

  static std::map<std::string, int> per_hook(const std::vector<webhook_job>& jobs) {
    std::map<std::string, int> n;
    for (const auto& j : jobs) ++n[j.delivery.webhook_id];
    return n;
  }
};

TEST_P(WebhookClaim, ABacklogTakesAtMostItsCapAndOthersGoBesideIt) {
  auto s = open();
  const auto room = room_of(*s);
  const auto alice = user(*s, "alice");
  const auto dead = hook(*s, room, alice);
  const auto live = hook(*s, room, alice);
  const auto off = hook(*s, room, alice);
  const auto now = now_ms();
  // The backlog is due first: an unfair claim would take only its rows.
  due(dead, 100, now - 10'000);
  due(live, 3, now - 1'000);
  due(off, 2, now - 20'000);
  ASSERT_EQ(exec_error("UPDATE webhooks SET enabled = " +
                       std::string(backend().name == "sqlite" ? "0" : "false") + " WHERE id = '" +
                       off + "'"),
            "");

  auto first = claim(*s, now, 16);
  auto n = per_hook(first);
  EXPECT_EQ(n[dead], webhook_in_flight_per_hook);
  EXPECT_EQ(n[live], 3);
  EXPECT_EQ(n[off], 0);
  ASSERT_EQ(first.size(), static_cast<std::size_t>(webhook_in_flight_per_hook + 3));
  // The earliest due first, and in due order within a hook.
  EXPECT_EQ(first.front().delivery.webhook_id, dead);
  for (std::size_t i = 1; i < first.size(); ++i)
    EXPECT_LE(first[i - 1].delivery.next_attempt_at, first[i].delivery.next_attempt_at);

  // Every slot of the dead hook is taken: nothing more until one is recorded.
  EXPECT_TRUE(claim(*s, now, 16).empty());

  webhook_attempt a;
  a.delivery_id = first.front().delivery.id;
  a.webhook_id = dead;
  a.attempt = 1;
  a.state = "pending";
  a.next_attempt_at = now + 5'000;
  a.error = "read: timed out";
  a.at = now;
  EXPECT_TRUE(s->begin());
  ASSERT_TRUE(s->record_webhook_attempt(a));
  EXPECT_TRUE(s->commit());
  auto refill = claim(*s, now, 16);
  ASSERT_EQ(refill.size(), 1u);
  EXPECT_EQ(refill.front().delivery.webhook_id, dead);

  // A lease held elsewhere (another node's) counts too; an expired one does not.
  EXPECT_EQ(
      exec_error("UPDATE webhook_deliveries SET lease_until = 0 WHERE webhook_id = '" + dead + "'"),
      "");
  EXPECT_EQ(
      exec_error("UPDATE webhook_deliveries SET lease_until = " + std::to_string(now + 60'000) +
                 " WHERE id IN (SELECT id FROM"
                 " webhook_deliveries WHERE webhook_id = '" +
                 dead + "' AND state = 'pending' ORDER BY id LIMIT 3)"),
      "");
  auto other = claim(*s, now, 16);
  EXPECT_EQ(per_hook(other)[dead], webhook_in_flight_per_hook - 3);
  // A limit smaller than what is due takes the earliest due.
  EXPECT_EQ(exec_error("UPDATE webhook_deliveries SET lease_until = 0"), "");
  auto two = claim(*s, now, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(per_hook(two)[dead], 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookClaim, all_backends(), backend_name);

}  // namespace
}  // namespace relay::storage
