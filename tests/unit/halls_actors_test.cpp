// Deterministic tests of the hall actors (hall directory, hall) with CAF's test
// coordinator and real SQLite: recovery after a restart, replays, closing, ownership.

#include <filesystem>

#include "actor_testing.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include "actors/halls/directory.hpp"
#include "actors/messages.hpp"
#include "actors/store_reader.hpp"
#include "actors/store_writer.hpp"
#include "core/ids.hpp"
#include "storage/sqlite_store.hpp"

using namespace relay;

namespace {

constexpr std::int64_t t0 = 1777937400000;  // 2026-05-04T23:30:00Z
constexpr std::int64_t min = 60000;

using test_support::temp_dir;
using test_support::testing_config;

class halls_actors : public ::testing::Test {
 protected:
  halls_actors()
      : sys(testing_config()),
        sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    db_path = storage::sqlite_store::db_path(dir.path);
    open = [p = db_path] { return std::make_unique<storage::sqlite_store>(p); };
    writer = spawn_store_writer(sys, open, false);
    readers = spawn_store_readers(sys, open, 1, {}, false);
    halls = spawn_hall_directory(sys, {writer, readers, false});
    sched.run();
    storage::sqlite_store db{db_path};
    auto k = *db.create_hall_key("starter", false, sha256_hex("relay_live_a"));
    owner = {k.workspace_id, false};
    storage::hall_row h;
    h.id = make_id("h");
    h.workspace_id = k.workspace_id;
    h.name = "Standup";
    hall_id = db.create_hall(h)->id;
  }

  ~halls_actors() override {
    caf::anon_send_exit(halls, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(readers, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// One request, run to completion; the answer (or a default T when none came).
  template <class T, class Handle, class... Ts>
  T ask(const Handle& dest, Ts... xs) {
    T out{};
    // The handle goes in as an argument: CAF 0.17 binds a null reference for
    // argument-less spawns.
    sys.spawn(
        [&](caf::event_based_actor* s, Handle d) {
          s->request(d, caf::infinite, xs...).then([&](T& r) { out = std::move(r); });
        },
        dest);
    sched.run();
    return out;
  }

  hall_actor hall() { return ask<hall_actor>(halls, hall_atom::value, hall_id); }

  std::string webhook(const char* kind, const char* who, std::int64_t at, std::string id) {
    livekit_event e;
    e.id = std::move(id);
    e.event = kind;
    e.room = hall_id;
    e.identity = who;
    e.created_at = at;
    return ask<webhook_reply>(hall(), webhook_atom::value, e).status;
  }

  std::int64_t used(const std::string& period) {
    storage::sqlite_store db{db_path};
    return db.hall_usage_minutes(owner.workspace_id, false, period).value();
  }

  temp_dir dir;
  std::string db_path;
  store_factory open;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  store_writer_actor writer;
  caf::actor readers;
  hall_directory_actor halls;
  hall_caller owner;
  std::string hall_id;
};

}  // namespace

TEST_F(halls_actors, unknown_and_foreign_ids_find_no_hall) {
  EXPECT_FALSE(
      ask<hall_actor>(halls, hall_atom::value, std::string{"h_01ZZZZZZZZZZZZZZZZZZZZZZZZ"}));
  EXPECT_FALSE(ask<hall_actor>(halls, hall_atom::value, std::string{"another-apps-room"}));
  ASSERT_TRUE(hall());
  EXPECT_EQ(hall(), hall()) << "one actor per hall";
}

TEST_F(halls_actors, open_sessions_survive_a_new_directory) {
  EXPECT_EQ(webhook("participant_joined", "u1", t0, "EV_1"), "applied");
  // A restart: every actor gone, a new directory loads the hall from the store.
  caf::anon_send_exit(halls, caf::exit_reason::user_shutdown);
  sched.run();
  halls = spawn_hall_directory(sys, {writer, readers, false});
  sched.run();
  auto view = ask<hall_reply>(hall(), info_atom::value, owner);
  ASSERT_EQ(view.sessions.size(), 1u);
  EXPECT_FALSE(view.sessions[0].left_at);
  EXPECT_EQ(webhook("participant_joined", "u1", t0 + min, "EV_2"), "ignored");
  EXPECT_EQ(webhook("participant_left", "u1", t0 + 7 * min, "EV_3"), "applied");
  EXPECT_EQ(used("2026-05"), 7);
}

TEST_F(halls_actors, a_replayed_webhook_changes_nothing) {
  EXPECT_EQ(webhook("participant_joined", "u1", t0, "EV_1"), "applied");
  EXPECT_EQ(webhook("participant_left", "u1", t0 + min, "EV_2"), "applied");
  // The same id with a body that would otherwise open a session.
  EXPECT_EQ(webhook("participant_joined", "u1", t0 + 2 * min, "EV_1"), "duplicate");
  auto view = ask<hall_reply>(hall(), info_atom::value, owner);
  EXPECT_EQ(view.sessions.size(), 1u);
  EXPECT_EQ(used("2026-05"), 1);
}

TEST_F(halls_actors, closing_ends_open_sessions_and_refuses_joins) {
  webhook("participant_joined", "u1", t0, "EV_1");
  webhook("participant_joined", "u2", t0 + min, "EV_2");
  auto closed = ask<hall_reply>(hall(), close_atom::value, owner, t0 + 3 * min);
  ASSERT_FALSE(closed.error) << closed.error.message;
  EXPECT_EQ(closed.hall.status, "closed");
  EXPECT_EQ(used("2026-05"), 5);
  storage::hall_grant_row g{"", "u3", "Cy", storage::hall_role::publisher, 0};
  auto refused = ask<hall_reply>(hall(), join_atom::value, owner, g);
  EXPECT_EQ(refused.error.code, errc::hall_closed);
  EXPECT_EQ(http_status(refused.error.code), 409);
  auto again = ask<hall_reply>(hall(), close_atom::value, owner, t0 + 9 * min);
  EXPECT_FALSE(again.error);
  EXPECT_EQ(used("2026-05"), 5) << "closing twice bills nothing more";
}

TEST_F(halls_actors, another_workspace_or_mode_is_not_found) {
  storage::hall_grant_row g{"", "u1", "Ada", storage::hall_role::publisher, 0};
  EXPECT_EQ(ask<hall_reply>(hall(), join_atom::value, hall_caller{"ws_other", false}, g).error.code,
            errc::not_found);
  EXPECT_EQ(
      ask<hall_reply>(hall(), info_atom::value, hall_caller{owner.workspace_id, true}).error.code,
      errc::not_found);
  auto joined = ask<hall_reply>(hall(), join_atom::value, owner, g);
  ASSERT_FALSE(joined.error);
  storage::sqlite_store db{db_path};
  EXPECT_EQ(db.load_hall(hall_id)->grants.size(), 1u) << "the grant is durable";
}
