#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "transport/out_queue.hpp"

namespace {

using namespace relay;

// name{labels} -> value, from the exposition text; also checks every line's shape.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP relay_", 0) == 0 || line.rfind("# TYPE relay_", 0) == 0) continue;
    auto sp = line.rfind(' ');
    EXPECT_NE(sp, std::string::npos) << line;
    EXPECT_EQ(line.rfind("relay_", 0), 0u) << line;
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  metrics::histogram h{0.001, 0.01, 0.1};
  for (double v : {0.0005, 0.001, 0.005, 0.05, 3.0}) h.observe(v);
  {
    metrics::histogram::tally t(h);  // a batch lands in one go
    t.add(0.002);
    t.add(0.2);
  }
  EXPECT_EQ(h.count(), 7u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.0005 + 0.001 + 0.005 + 0.05 + 3.0 + 0.002 + 0.2);
  metrics::relay_metrics m;
  m.ack_seconds.observe(0.003);
  m.ack_seconds.observe(0.7);
  m.connections[static_cast<int>(metrics::conn_class::sse)].add(2);
  m.dropped_ephemeral.inc(5);
  auto s = samples(metrics::render(m));
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.0025\"}"], "0");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.005\"}"], "1");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.5\"}"], "1");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"1\"}"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"+Inf\"}"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_count"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_sum"], "0.703");
  EXPECT_EQ(s["relay_connections{class=\"sse\"}"], "2");
  EXPECT_EQ(s["relay_connections{class=\"ws\"}"], "0");
  EXPECT_EQ(s["relay_frames_dropped_total{reason=\"ephemeral\"}"], "5");
  EXPECT_EQ(s.count("relay_delivery_latency_seconds_bucket{le=\"0.0001\"}"), 1u);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  metrics::relay_metrics m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        m.deliveries.inc();
        m.delivery_seconds.observe(0.001 * (i % 7));
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.deliveries.value(), 40000u);
  EXPECT_EQ(m.delivery_seconds.count(), 40000u);
}

frame_ptr frame(std::size_t n, bool ephemeral = false, std::string key = {}) {
  return make_frame(std::string(n, 'x'), {}, ephemeral, std::move(key));
}

TEST(OutQueue, DropEphemeralShedsTypingPastHalfThenOverflowsAtTheCap) {
  out_queue q({1000, 100, overflow_policy::drop_ephemeral});
  EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::queued);        // 100 bytes
  EXPECT_EQ(q.push({frame(84, true), {}}), out_queue::verdict::queued);  // under half
  for (int i = 0; i < 3; ++i) EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.bytes(), 500u);
  EXPECT_EQ(q.push({frame(84, true), {}}), out_queue::verdict::dropped);  // past half
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::overflow);
  EXPECT_EQ(q.bytes(), 1000u);
}

TEST(OutQueue, DisconnectKeepsEphemeralFramesAndCoalescesByKey) {
  out_queue q({1000, 100, overflow_policy::disconnect});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(84, true, "typing:c:u1"), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(60, true, "typing:c:u1"), {}}), out_queue::verdict::coalesced);
  EXPECT_EQ(q.size(), 6u);
  EXPECT_EQ(q.items().back().frame->json.size(), 60u);  // the newest one is kept
  EXPECT_EQ(q.bytes(), 500u + 76u);
  EXPECT_EQ(q.push({frame(84, true, "typing:c:u2"), {}}), out_queue::verdict::queued);
  // A frame being written is never replaced.
  out_queue w({1000, 100, overflow_policy::disconnect});
  for (int i = 0; i < 5; ++i) w.push({frame(84), {}});
  w.push({frame(84, true, "k"), {}});
  EXPECT_EQ(w.push({frame(84, true, "k"), {}}, 6), out_queue::verdict::queued);
}

TEST(OutQueue, FrameCapCountsToo) {
  out_queue q({1 << 20, 4, overflow_policy::drop_ephemeral});
  EXPECT_EQ(q.push({frame(1), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(1), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(1, true), {}}), out_queue::verdict::dropped);  // 3 > 4 / 2
  EXPECT_EQ(q.push({frame(1), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(1), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(1), {}}), out_queue::verdict::overflow);
  // An empty queue takes one frame of any size.
  out_queue big({100, 4, overflow_policy::disconnect});
  EXPECT_EQ(big.push({frame(5000), {}}), out_queue::verdict::queued);
}

TEST(OutQueue, AStretchedQueueTakesABurstButKeepsSheddingPastHalfTheCap) {
  // A client that is reading may queue past its cap during a burst (stretch 4)...
  out_queue q({1000, 100, overflow_policy::drop_ephemeral});
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(q.push({frame(84), {}}, 0, 4), out_queue::verdict::queued) << i;
  EXPECT_EQ(q.push({frame(84), {}}, 0, 4), out_queue::verdict::overflow);
  // ...but typing is still shed at the unstretched high-water mark, and a client
  // that stopped reading (stretch 1) is over its cap at once.
  EXPECT_EQ(q.push({frame(84, true), {}}, 0, 4), out_queue::verdict::dropped);
  EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::overflow);
}

TEST(OutQueue, LimitsComeFromTheClassThenTheGlobalCaps) {
  config cfg;
  cfg.out_queue_bytes = 8192;
  cfg.out_queue_frames = 64;
  cfg.out_queue_burst = 1;
  cfg.queues[static_cast<std::size_t>(metrics::conn_class::sse)].bytes = 4096;
  cfg.queues[static_cast<std::size_t>(metrics::conn_class::app)].policy = "block";
  auto ws = limits_for(cfg, metrics::conn_class::ws);
  EXPECT_EQ(ws.bytes, 8192u);
  EXPECT_EQ(ws.frames, 64u);
  EXPECT_EQ(ws.burst, 1u);
  EXPECT_EQ(limits_for(cfg, metrics::conn_class::sse).bytes, 4096u);
  EXPECT_EQ(limits_for(cfg, metrics::conn_class::app).policy, overflow_policy::block);
}

TEST(OutQueue, TheSyncFrameIsOutsideTheCaps) {
  out_queue q({1000, 100, overflow_policy::drop_ephemeral});
  out_item sync{frame(5000), {}, true};
  EXPECT_EQ(q.push(std::move(sync)), out_queue::verdict::queued);
  EXPECT_EQ(q.bytes(), 0u);
  EXPECT_EQ(q.total_bytes(), 5016u);
  // Live frames behind a big resume sync still get their whole cap.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::queued);
  EXPECT_EQ(q.push({frame(84), {}}), out_queue::verdict::overflow);
  q.pop_front(1);
  EXPECT_EQ(q.total_bytes(), 1000u);
  EXPECT_EQ(q.bytes(), 1000u);
}

TEST(OutQueue, LimitsComeFromTheConfigurationPerClass) {
  config cfg;
  cfg.out_queue_bytes = 4096;
  cfg.queues[static_cast<int>(metrics::conn_class::sse)].bytes = 8192;
  auto ws = limits_for(cfg, metrics::conn_class::ws);
  auto sse = limits_for(cfg, metrics::conn_class::sse);
  auto app = limits_for(cfg, metrics::conn_class::app);
  EXPECT_EQ(ws.bytes, 4096u);
  EXPECT_EQ(sse.bytes, 8192u);
  EXPECT_EQ(ws.policy, overflow_policy::drop_ephemeral);
  EXPECT_EQ(app.policy, overflow_policy::block);
  EXPECT_EQ(limits_for(cfg, metrics::conn_class::agent).policy, overflow_policy::disconnect);
}

}  // namespace
