// A broadcast goes to each I/O thread as one hand-over with every recipient on it.

#include <gtest/gtest.h>

#include <unordered_map>

#include "actors/chat/fanout_lanes.hpp"

using namespace relay;

namespace {

struct recording_lane : fanout_lane {
  std::vector<std::pair<frame_ptr, std::shared_ptr<const std::vector<sink_ptr>>>> got;
  void deliver(frame_ptr f, std::shared_ptr<const std::vector<sink_ptr>> to) override {
    got.emplace_back(std::move(f), std::move(to));
  }
};

struct test_sink : client_sink {
  test_sink(std::uint64_t id, fanout_lane* lane) : id_(id), lane_(lane) {}
  std::uint64_t id() const noexcept override { return id_; }
  void push(frame_ptr f) override { pushed.push_back(std::move(f)); }
  void push_sync(frame_ptr, std::map<std::string, std::int64_t>) override {}
  void close(std::uint16_t, std::string) override {}
  fanout_lane* lane() const noexcept override { return lane_; }
  std::vector<frame_ptr> pushed;
  std::uint64_t id_;
  fanout_lane* lane_;
};

struct sub {
  sink_ptr sink;
};

std::vector<std::uint64_t> ids(const std::vector<sink_ptr>& sinks) {
  std::vector<std::uint64_t> out;
  for (auto& s : sinks) out.push_back(s->id());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(fanout_lanes, one_hand_over_per_lane_and_a_push_for_sinks_without_one) {
  recording_lane a, b;
  std::unordered_map<std::uint64_t, sub> subs;
  for (std::uint64_t i = 1; i <= 6; ++i)
    subs[i] = {std::make_shared<test_sink>(i, i % 2 ? &a : &b)};
  auto solo = std::make_shared<test_sink>(7, nullptr);
  subs[7] = {solo};
  fanout_lanes lanes;
  auto f = make_frame("{}");
  lanes.send(f, subs);
  ASSERT_EQ(a.got.size(), 1u);
  ASSERT_EQ(b.got.size(), 1u);
  EXPECT_EQ(a.got[0].first, f) << "the frame is shared, not copied";
  EXPECT_EQ(ids(*a.got[0].second), (std::vector<std::uint64_t>{1, 3, 5}));
  EXPECT_EQ(ids(*b.got[0].second), (std::vector<std::uint64_t>{2, 4, 6}));
  ASSERT_EQ(solo->pushed.size(), 1u);
  EXPECT_EQ(solo->pushed[0], f);

  lanes.send(make_frame("{}"), subs);
  ASSERT_EQ(a.got.size(), 2u);
  EXPECT_EQ(a.got[1].second, a.got[0].second) << "unchanged subscribers: the same snapshot";
}

TEST(fanout_lanes, a_change_regroups_and_lets_go_of_sinks_that_left) {
  recording_lane a;
  std::unordered_map<std::uint64_t, sub> subs;
  for (std::uint64_t i = 1; i <= 3; ++i) subs[i] = {std::make_shared<test_sink>(i, &a)};
  fanout_lanes lanes;
  lanes.send(make_frame("{}"), subs);
  auto in_flight = a.got[0].second;
  a.got.clear();

  std::weak_ptr<client_sink> gone = subs[2].sink;
  subs.erase(2);
  lanes.invalidate();
  in_flight.reset();
  EXPECT_TRUE(gone.expired()) << "a sink that left is not kept alive until the next message";

  subs[4] = {std::make_shared<test_sink>(4, &a)};
  lanes.invalidate();
  auto before = a.got.size();
  lanes.send(make_frame("{}"), subs);
  ASSERT_EQ(a.got.size(), before + 1);
  EXPECT_EQ(ids(*a.got.back().second), (std::vector<std::uint64_t>{1, 3, 4}));
}
