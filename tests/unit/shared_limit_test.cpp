// Cluster mode's limits (redis/shared_limit.hpp): two limiters, each with its own Redis
// client as two nodes have, on one real redis-server: RELAY_TEST_REDIS_URL's (the test
// command starts one), else one this suite starts.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/clock.hpp"
#include "core/rate_limit.hpp"
#include "redis/client.hpp"
#include "redis/shared_limit.hpp"
#include "redis/url.hpp"
#include "redis_server.hpp"

using namespace relay;
using namespace std::chrono_literals;
using test_support::redis_server;

namespace {

std::optional<redis::endpoint> shared_endpoint() {
  if (const char* url = std::getenv("RELAY_TEST_REDIS_URL"); url && *url) {
    auto parsed = redis::parse_url(url);
    EXPECT_TRUE(parsed) << parsed.error;
    return parsed.ep;
  }
  static redis_server own;  // stopped when the test program exits
  if (!own.running()) return std::nullopt;
  return redis::endpoint{"127.0.0.1", own.port(), 0};
}

std::string unique_prefix() {
  static int n = 0;
  return "relay-test:rate:" + std::to_string(::getpid()) + ":" + std::to_string(++n) + ":";
}

/// One node: a limiter shared through its own client. Everything runs on the test's
/// thread: the io_context only when `sync` runs it.
struct node {
  node(const redis::endpoint& ep, const std::string& prefix, double rate, double burst)
      : redis(std::make_shared<redis::client>(io.get_executor(), ep)),
        limiter(std::make_shared<keyed_limiter>(rate, burst)) {
    redis->start();
    redis::share_limit(limiter, redis, prefix, "test limit");
  }
  ~node() {
    limiter.reset();
    redis->stop();
    io.restart();
    io.run_for(1s);
  }

  /// Waits until Redis has answered every command sent so far (replies come in order,
  /// so a PING's reply comes after theirs); false when it did not within `limit`.
  bool sync(std::chrono::milliseconds limit = 5s) {
    bool done = false, ok = false;
    redis->command({"PING"}, [&](redis::result r) {
      done = true;
      ok = r.has_value();
    });
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(2ms);
    }
    return ok;
  }

  /// Runs until the command connection is up.
  bool connect() {
    auto end = std::chrono::steady_clock::now() + 5s;
    while (!redis->connected() && std::chrono::steady_clock::now() < end) {
      io.restart();
      io.run_for(5ms);
    }
    return redis->connected();
  }

  bool granted(const std::string& key) { return limiter->take(key, now_ms()) == 0; }

  boost::asio::io_context io;
  std::shared_ptr<redis::client> redis;
  std::shared_ptr<keyed_limiter> limiter;
};

#define NEED_REDIS(ep)         \
  auto ep = shared_endpoint(); \
  if (!ep) GTEST_SKIP() << "no Redis: set RELAY_TEST_REDIS_URL or install redis-server"

}  // namespace

TEST(shared_limit, two_nodes_sending_for_one_key_get_one_allowance_not_two) {
  NEED_REDIS(ep);
  const auto prefix = unique_prefix();
  node a{*ep, prefix, 5.0, 10.0}, b{*ep, prefix, 5.0, 10.0};
  ASSERT_TRUE(a.connect() && b.connect());
  int granted = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < 2s) {
    granted += a.granted("alice");
    ASSERT_TRUE(a.sync());
    granted += b.granted("alice");
    ASSERT_TRUE(b.sync());
    std::this_thread::sleep_for(1ms);
  }
  // 10 + 5/s × 2 s = 20 for the cluster; per node it would be 40. Each node may grant
  // once on a stale bucket (the round trip of lag), which it then owes.
  EXPECT_GE(granted, 19);
  EXPECT_LE(granted, 23);

  // The cluster bucket expires once it would be full again: 10 tokens at 5/s, plus 1 s,
  // plus what it owes (a grant on a stale bucket takes a token that was not there: a
  // debt of at most one burst, another 2 s).
  auto ttl = std::make_shared<std::int64_t>(-3);
  a.redis->command({"PTTL", prefix + "alice"},
                   [ttl](redis::result r) { *ttl = r ? r->integer : -3; });
  ASSERT_TRUE(a.sync());
  EXPECT_GT(*ttl, 0);
  EXPECT_LE(*ttl, 5000);
}

TEST(shared_limit, what_one_node_grants_another_does_not) {
  NEED_REDIS(ep);
  const auto prefix = unique_prefix();
  node a{*ep, prefix, 0.01, 10.0}, b{*ep, prefix, 0.01, 10.0};
  ASSERT_TRUE(a.connect() && b.connect());
  for (int i = 0; i < 10; ++i) {
    EXPECT_TRUE(a.granted("alice")) << i;
    ASSERT_TRUE(a.sync());
  }
  int on_b = 0;
  for (int i = 0; i < 10; ++i) {
    on_b += b.granted("alice");
    ASSERT_TRUE(b.sync());
  }
  EXPECT_LE(on_b, 1) << "alone, node B would grant its whole burst of 10";
  EXPECT_GT(b.limiter->take("alice", now_ms()), 10'000) << "B waits out the cluster's debt";
  EXPECT_TRUE(b.granted("bob")) << "other keys keep their own buckets";
  ASSERT_TRUE(b.sync());
}

TEST(shared_limit, without_redis_each_node_limits_alone) {
  // Nobody listens on this port: every EVAL fails at once.
  redis::endpoint nowhere{"127.0.0.1", test_support::free_port(), 0};
  node a{nowhere, unique_prefix(), 0.01, 3.0};
  int granted = 0;
  for (int i = 0; i < 6; ++i) {
    granted += a.granted("alice");
    a.io.restart();
    a.io.run_for(5ms);
  }
  EXPECT_EQ(granted, 3) << "the local bucket's burst, neither more nor nothing";
}
