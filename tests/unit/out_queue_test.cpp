// The bounded outbound queue every WebSocket and SSE connection owns
// (docs/backpressure.md): shedding, coalescing, caps and where the limits come from.
#include "transport/out_queue.hpp"

#include <gtest/gtest.h>

#include <string>

#include "config/options.hpp"

namespace {

using namespace relay;

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
