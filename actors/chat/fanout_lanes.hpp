#pragma once

#include <memory>
#include <vector>

#include "actors/sink.hpp"

namespace relay {

/// A channel's live subscribers grouped by the lane (I/O thread) their sinks share, so a
/// message goes to each thread as one hand-over (fanout_lane). The groups are snapshots,
/// rebuilt on the first broadcast after the subscribers change; a snapshot still on its
/// way to a thread stays as it was.
class fanout_lanes {
 public:
  /// The subscribers changed: regroup before the next broadcast. The old groups go now,
  /// so a sink that left is not kept alive until then.
  void invalidate() noexcept {
    groups_.clear();
    solo_.clear();
    stale_ = true;
  }

  /// Sends `f` to every subscriber of `subs` (a map whose values have a `sink`).
  template <class Map>
  void send(const frame_ptr& f, const Map& subs) {
    if (stale_) regroup(subs);
    for (auto& g : groups_) g.lane->deliver(f, g.sinks);
    for (auto& s : solo_) s->push(f);
  }

 private:
  struct group {
    fanout_lane* lane;
    std::shared_ptr<const std::vector<sink_ptr>> sinks;
  };

  template <class Map>
  void regroup(const Map& subs) {
    std::vector<std::pair<fanout_lane*, std::vector<sink_ptr>>> by_lane;
    for (auto& [id, sub] : subs) {
      auto* lane = sub.sink->lane();
      if (!lane) {
        solo_.push_back(sub.sink);
        continue;
      }
      auto it = by_lane.begin();
      while (it != by_lane.end() && it->first != lane) ++it;  // one per I/O thread: few
      if (it == by_lane.end()) it = by_lane.insert(it, {lane, {}});
      it->second.push_back(sub.sink);
    }
    for (auto& [lane, sinks] : by_lane)
      groups_.push_back({lane, std::make_shared<const std::vector<sink_ptr>>(std::move(sinks))});
    stale_ = false;
  }

  std::vector<group> groups_;
  std::vector<sink_ptr> solo_;  // sinks without a lane (in-process sinks, tests)
  bool stale_ = true;
};

}  // namespace relay
