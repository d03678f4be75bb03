// The Redis client against a real redis-server: RELAY_TEST_REDIS_URL's (the test
// command starts one), else one this suite starts. The reconnect and freeze cases
// always start a private one, since they kill or stop it.

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/metrics.hpp"
#include "redis/client.hpp"
#include "redis/url.hpp"
#include "redis_server.hpp"

using namespace relay;
using namespace std::chrono_literals;
using test_support::redis_server;

namespace {

// -- where the tests find Redis ---------------------------------------------------------

redis::endpoint shared_endpoint() {
  if (const char* url = std::getenv("RELAY_TEST_REDIS_URL"); url && *url) {
    auto parsed = redis::parse_url(url);
    EXPECT_TRUE(parsed) << parsed.error;
    return parsed.ep;
  }
  static redis_server own;  // stopped when the test program exits
  EXPECT_TRUE(own.running()) << "could not start redis-server (is it installed?)";
  return {"127.0.0.1", own.port(), 0};
}

std::string unique(const std::string& prefix) {
  static int n = 0;
  return "relay-test:" + prefix + ":" + std::to_string(::getpid()) + ":" + std::to_string(++n);
}

/// One io_context run on the test's thread, and a client on it.
struct harness {
  explicit harness(redis::endpoint ep, redis::options opt = {}) {
    redis::handlers h;
    h.message = [this](std::string_view ch, std::string_view payload) {
      messages.emplace_back(std::string{ch}, std::string{payload});
    };
    h.reconnected = [this](redis::link l) {
      (l == redis::link::commands ? command_reconnects : subscriber_reconnects)++;
    };
    c.emplace(io.get_executor(), std::move(ep), std::move(h), opt);
  }
  // Stops the client while the io_context still runs, so its connections close cleanly.
  ~harness() {
    c->stop();
    io.restart();
    io.run_for(2s);
  }

  /// Runs the io_context until `done()` or `limit`.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds limit = 5s) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= end) return false;
      io.restart();
      io.run_for(5ms);
    }
    return true;
  }

  /// Runs one command to its end.
  std::optional<redis::result> call(std::vector<std::string> args,
                                    std::chrono::milliseconds timeout = {}) {
    std::optional<redis::result> out;
    c->command(
        std::move(args), [&](redis::result r) { out.emplace(std::move(r)); }, timeout);
    run_until([&] { return out.has_value(); }, 10s);
    return out;
  }

  /// How many subscribers Redis counts on `channel`.
  std::int64_t subscribers(const std::string& channel) {
    auto r = call({"PUBSUB", "NUMSUB", channel});
    return r && *r && (*r)->elements.size() == 2 ? (*r)->elements[1].integer : -1;
  }

  bool await_subscribers(const std::string& channel, std::int64_t n) {
    return run_until([&] { return subscribers(channel) == n; });
  }

  std::vector<std::string> payloads_on(const std::string& channel) const {
    std::vector<std::string> out;
    for (auto& [ch, p] : messages)
      if (ch == channel) out.push_back(p);
    return out;
  }

  boost::asio::io_context io;
  std::optional<redis::client> c;
  std::vector<std::pair<std::string, std::string>> messages;
  int command_reconnects = 0;
  int subscriber_reconnects = 0;
};

// -- the URL --------------------------------------------------------------------------------

TEST(RedisUrl, ReadsHostPortAndDatabase) {
  auto a = redis::parse_url("redis://127.0.0.1");
  ASSERT_TRUE(a) << a.error;
  EXPECT_EQ(a.ep.host, "127.0.0.1");
  EXPECT_EQ(a.ep.port, 6379);
  EXPECT_EQ(a.ep.db, 0);
  auto b = redis::parse_url("redis://cache.internal:6380/2");
  ASSERT_TRUE(b) << b.error;
  EXPECT_EQ(b.ep.host, "cache.internal");
  EXPECT_EQ(b.ep.port, 6380);
  EXPECT_EQ(b.ep.db, 2);
  auto c = redis::parse_url("redis://[::1]:7000/");
  ASSERT_TRUE(c) << c.error;
  EXPECT_EQ(c.ep.host, "::1");
  EXPECT_EQ(c.ep.port, 7000);
  EXPECT_EQ(c.ep.db, 0);
}

TEST(RedisUrl, RefusesEverythingElseSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> bad{
      {"", "not a URL"},
      {"127.0.0.1:6379", "not a URL"},
      {"http://127.0.0.1", "scheme"},
      {"rediss://127.0.0.1", "TLS"},
      {"redis://", "host is missing"},
      {"redis://:6379", "host is missing"},
      {"redis://user:secret@127.0.0.1", "user or password"},
      {"redis://127.0.0.1:0", "port"},
      {"redis://127.0.0.1:65536", "port"},
      {"redis://127.0.0.1:http", "not a URL"},
      {"redis://127.0.0.1/x", "database number"},
      {"redis://127.0.0.1/1/2", "database number"},
      {"redis://127.0.0.1/-1", "database number"},
      {"redis://127.0.0.1/99999999999", "database number"},
      {"redis://127.0.0.1?db=1", "query"},
      {"redis://127.0.0.1#x", "fragment"},
      {"redis://ho%73t", "percent"},
      // Boost.URL 1.81 read this as 127.0.0.1 (the default port) with a path.
      {"redis://127.0.0.1.cache.internal:7000", "not a URL"},
  };
  for (auto& [url, why] : bad) {
    auto r = redis::parse_url(url);
    EXPECT_FALSE(r) << url;
    EXPECT_NE(r.error.find("expected redis://HOST[:PORT][/DB]"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find(why), std::string::npos) << url << ": " << r.error;
  }
}

// -- commands -------------------------------------------------------------------------------

TEST(RedisClient, SetAndGetABinaryValue) {
  harness t{shared_endpoint()};
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->connected(); }));
  const std::string key = unique("bin");
  const std::string value{"a\0b\r\n$3\0\xff", 9};
  auto set = t.call({"SET", key, value});
  ASSERT_TRUE(set && *set) << (set ? set->error().message : "no answer");
  EXPECT_EQ((*set)->str, "OK");
  auto get = t.call({"GET", key});
  ASSERT_TRUE(get && *get);
  EXPECT_EQ((*get)->type, redis::reply::kind::string);
  EXPECT_EQ((*get)->str, value);
  // Redis's own error replies come back as failures with Redis's message.
  auto incr = t.call({"INCR", key});
  ASSERT_TRUE(incr && !*incr);
  EXPECT_EQ(incr->error().kind, redis::failure_kind::server);
  EXPECT_NE(incr->error().message.find("ERR"), std::string::npos) << incr->error().message;
  EXPECT_TRUE(t.call({"DEL", key}).value());
}

TEST(RedisClient, SelectsTheDatabaseOfTheUrl) {
  auto ep = shared_endpoint();
  auto other = ep;
  other.db = ep.db == 3 ? 4 : 3;
  harness a{ep}, b{other};
  a.c->start();
  b.c->start();
  ASSERT_TRUE(a.run_until([&] { return a.c->connected(); }));
  ASSERT_TRUE(b.run_until([&] { return b.c->connected(); }));
  const std::string key = unique("db");
  ASSERT_TRUE(b.call({"SET", key, "in the other db"}).value());
  auto here = a.call({"GET", key});
  ASSERT_TRUE(here && *here);
  EXPECT_EQ((*here)->type, redis::reply::kind::nil);
  auto there = b.call({"GET", key});
  ASSERT_TRUE(there && *there);
  EXPECT_EQ((*there)->str, "in the other db");
  b.call({"DEL", key});
}

TEST(RedisClient, FailsPromptlyWhileRedisIsUnreachable) {
  redis::endpoint nowhere{"127.0.0.1", test_support::free_port(), 0};
  harness t{nowhere};
  t.c->start();
  auto drops = metrics::get().redis_publish_drops.value();
  for (auto wait : {0ms, 300ms}) {  // the first attempt, then while it retries
    t.run_until([] { return false; }, wait);
    auto started = std::chrono::steady_clock::now();
    auto r = t.call({"PING"});
    ASSERT_TRUE(r && !*r);
    EXPECT_EQ(r->error().kind, redis::failure_kind::disconnected);
    EXPECT_NE(r->error().message.find(std::to_string(nowhere.port)), std::string::npos);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 200ms);
  }
  EXPECT_FALSE(t.c->connected());
  t.c->publish("nowhere", "lost");
  t.run_until([&] { return metrics::get().redis_publish_drops.value() > drops; });
  EXPECT_EQ(metrics::get().redis_publish_drops.value(), drops + 1);
}

TEST(RedisClient, ACommandToAFrozenServerTimesOut) {
  redis_server own;
  ASSERT_TRUE(own.running());
  harness t{{"127.0.0.1", own.port(), 0}};
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->connected(); }));
  own.freeze();
  auto started = std::chrono::steady_clock::now();
  auto r = t.call({"PING"}, 200ms);
  own.thaw();
  ASSERT_TRUE(r && !*r);
  EXPECT_EQ(r->error().kind, redis::failure_kind::timeout);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  // The late PONG is ignored, and the connection serves the next command.
  auto again = t.call({"PING"});
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->str, "PONG");
}

TEST(RedisClient, StopFailsTheCommandsStillWaiting) {
  harness t{shared_endpoint()};
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->connected(); }));
  std::optional<redis::result> blocked;
  t.c->command(
      {"BLPOP", unique("empty"), "0"}, [&](redis::result r) { blocked.emplace(r); }, 30s);
  t.run_until([] { return false; }, 50ms);
  t.c->stop();
  ASSERT_TRUE(t.run_until([&] { return blocked.has_value(); }, 1s));
  EXPECT_FALSE(*blocked);
  auto after = t.call({"PING"});
  ASSERT_TRUE(after && !*after);
  EXPECT_EQ(after->error().kind, redis::failure_kind::stopped);
}

// -- publish and subscribe --------------------------------------------------------------

TEST(RedisClient, AThousandPipelinedPublishesArriveInOrder) {
  auto ep = shared_endpoint();
  harness t{ep};
  const std::string ch = unique("order");
  t.c->subscribe(ch);
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->connected() && t.c->subscribed(); }));
  ASSERT_TRUE(t.await_subscribers(ch, 1));
  auto published = metrics::get().redis_publishes.value();
  auto received = metrics::get().redis_messages.value();
  // All made before the executor runs: they leave in one flush.
  for (int i = 0; i < 1000; ++i) t.c->publish(ch, "m" + std::to_string(i));
  ASSERT_TRUE(t.run_until([&] { return t.messages.size() >= 1000; }, 10s))
      << t.messages.size() << " of 1000";
  auto got = t.payloads_on(ch);
  ASSERT_EQ(got.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(got[i], "m" + std::to_string(i)) << "at " << i;
  EXPECT_EQ(metrics::get().redis_publishes.value() - published, 1000u);
  EXPECT_EQ(metrics::get().redis_messages.value() - received, 1000u);
}

TEST(RedisClient, UnsubscribeStopsDeliveryAndSubscribingAgainResumesIt) {
  harness t{shared_endpoint()};
  const std::string a = unique("a"), b = unique("b");
  t.c->subscribe(a);
  t.c->subscribe(b);
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->subscribed(); }));
  ASSERT_TRUE(t.await_subscribers(a, 1));
  ASSERT_TRUE(t.await_subscribers(b, 1));
  t.c->publish(a, "a1");
  t.c->publish(b, "b1");
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(b).size() == 1; }));
  EXPECT_EQ(t.payloads_on(a), std::vector<std::string>{"a1"});
  // From the call on, nothing of `a` is delivered, even before Redis has the UNSUBSCRIBE.
  t.c->unsubscribe(a);
  t.c->publish(a, "a2");
  t.c->publish(b, "b2");
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(b).size() == 2; }));
  ASSERT_TRUE(t.await_subscribers(a, 0));
  EXPECT_EQ(t.payloads_on(a), std::vector<std::string>{"a1"});
  // Unsubscribe and subscribe back to back: the subscription must survive the
  // unsubscribe's late reply.
  t.c->unsubscribe(b);
  t.c->subscribe(b);
  t.c->subscribe(a);
  ASSERT_TRUE(t.await_subscribers(a, 1));
  t.run_until([] { return false; }, 100ms);
  ASSERT_TRUE(t.await_subscribers(b, 1));
  t.c->publish(a, "a3");
  t.c->publish(b, "b3");
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(b).size() == 3; }));
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(a).size() == 2; }));
  EXPECT_EQ(t.payloads_on(a).back(), "a3");
  EXPECT_EQ(t.payloads_on(b).back(), "b3");
}

// -- reconnecting ------------------------------------------------------------------------

TEST(RedisClient, ReconnectsAndResubscribesWhenRedisRestarts) {
  redis_server own;
  ASSERT_TRUE(own.running());
  harness t{{"127.0.0.1", own.port(), 0}};
  const std::string ch = unique("restart");
  t.c->subscribe(ch);
  t.c->start();
  ASSERT_TRUE(t.run_until([&] { return t.c->connected() && t.c->subscribed(); }));
  ASSERT_TRUE(t.await_subscribers(ch, 1));
  t.c->publish(ch, "before");
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(ch).size() == 1; }));
  EXPECT_EQ(t.command_reconnects + t.subscriber_reconnects, 0);
  auto reconnects = metrics::get().redis_reconnects.value();

  own.stop();
  ASSERT_TRUE(t.run_until([&] { return !t.c->connected() && !t.c->subscribed(); }));
  auto down = t.call({"PING"});
  ASSERT_TRUE(down && !*down);
  EXPECT_EQ(down->error().kind, redis::failure_kind::disconnected);
  t.run_until([] { return false; }, 300ms);  // a few failed attempts: the backoff grows

  ASSERT_TRUE(own.start());
  ASSERT_TRUE(t.run_until([&] {
    return t.command_reconnects == 1 && t.subscriber_reconnects == 1;
  })) << t.command_reconnects
      << " " << t.subscriber_reconnects;
  EXPECT_TRUE(t.c->connected());
  EXPECT_TRUE(t.c->subscribed());
  EXPECT_EQ(metrics::get().redis_reconnects.value() - reconnects, 2u);
  // on_reconnect(subscriber) means the channel is held again: a publish now arrives.
  EXPECT_EQ(t.subscribers(ch), 1);
  t.c->publish(ch, "after");
  ASSERT_TRUE(t.run_until([&] { return t.payloads_on(ch).size() == 2; }));
  EXPECT_EQ(t.payloads_on(ch).back(), "after");
}

}  // namespace
