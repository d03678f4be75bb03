// What only the Postgres store has (store_suite.hpp has the shared suite): a connection
// that is lost and found again, and schema versions applied once under the advisory lock
// however many nodes start together. Against the Postgres the test command starts.

#include <thread>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "storage/postgres/schema.hpp"
#include "store_suite.hpp"

namespace relay::storage {
namespace {

class PostgresStoreTest : public AreaTest<users_store> {};

// libpqxx 6.4 drops libpq's result of the statement that finds the connection closed by
// the server (about 2 KB, once per lost connection, inside libpq.so): not ours to free,
// so LeakSanitizer is told to ignore what the first call on a lost connection allocates.
struct lost_connection_call {
#if defined(__SANITIZE_ADDRESS__)
  __lsan::ScopedDisabler ignore;
#endif
};

// The server ends every other session on the test's database: what a Postgres restart or
// a failover looks like to a node.
const std::string drop_sessions =
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()";

TEST_P(PostgresStoreTest, ALostConnectionFailsClearlyAndTheNextCallConnectsAgain) {
  auto s = open();
  const auto alice = user(*s, "alice");

  exec(drop_sessions);
  auto lost = [&] {
    lost_connection_call scope;
    return s->find_user(alice);
  }();
  EXPECT_TRUE(lost.failed()) << "a lost connection is a failure, not an absent row";
  EXPECT_EQ(lost.error().code, errc::unavailable) << lost.error().message;
  auto back = s->find_user(alice);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->login, "alice");
  EXPECT_TRUE(s.tx().healthy());

  // Inside the writer's transaction: the batch fails whole, and the next one works.
  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  exec(drop_sessions);
  {
    lost_connection_call scope;
    EXPECT_TRUE(s->create_user("carol", "Carol", "").failed());
  }
  auto done = s.tx().commit();
  EXPECT_FALSE(done);
  EXPECT_EQ(done.error().code, errc::unavailable) << done.error().message;
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 1) << "no write of the lost batch is kept";
  ASSERT_TRUE(s.tx().begin());
  ASSERT_TRUE(s->create_user("bob", "Bob", ""));
  ASSERT_TRUE(s.tx().commit());
  EXPECT_EQ(scalar("SELECT count(*) FROM users"), 2);
}

TEST_P(PostgresStoreTest, NodesStartingTogetherApplyEachSchemaVersionOnce) {
  constexpr int nodes = 4;
  std::vector<std::string> failures(nodes);
  std::vector<std::thread> threads;
  for (int i = 0; i < nodes; ++i)
    threads.emplace_back([&, i] {
      try {
        auto s = open();
        if (!s->find_user_by_login("nobody").not_found()) failures[i] = "lookup failed";
      } catch (const std::exception& e) {
        failures[i] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  for (const auto& f : failures) EXPECT_EQ(f, "");
  EXPECT_EQ(scalar("SELECT count(*) FROM relay_schema"), postgres::latest_schema_version());
  EXPECT_EQ(scalar("SELECT max(version) FROM relay_schema"), postgres::latest_schema_version());
  EXPECT_GE(postgres::latest_schema_version(), 2) << "version 2 holds the users area";
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStoreTest,
                         ::testing::Values(postgres_area<users_store>()), backend_name);

}  // namespace
}  // namespace relay::storage
