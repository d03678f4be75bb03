#pragma once

// A client sink for the deterministic actor suites: it records what a socket session would
// have written, in order, honouring the hold-until-sync rule.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "actors/sink.hpp"

namespace relay::test_support {

/// What a socket session would have sent, in order, honouring the hold-until-sync rule.
class recording_sink final : public client_sink {
 public:
  explicit recording_sink(std::uint64_t id) : id_(id) {}
  std::uint64_t id() const noexcept override { return id_; }
  void push(frame_ptr f) override {
    if (!synced_)
      held_.push_back(f);
    else
      frames.push_back(boost::json::parse(f->json).as_object());
  }
  void push_sync(frame_ptr f, std::map<std::string, std::int64_t>) override {
    synced_ = true;
    frames.push_back(boost::json::parse(f->json).as_object());
    for (auto& h : held_) frames.push_back(boost::json::parse(h->json).as_object());
    held_.clear();
  }
  void close(std::uint16_t code, std::string) override {
    closed_with = code;
    frames_at_close = frames.size();
  }
  std::size_t headroom() const noexcept override { return room_for; }

  std::vector<boost::json::object> of_type(std::string_view type) const {
    std::vector<boost::json::object> out;
    for (auto& f : frames)
      if (f.at("type").as_string() == type) out.push_back(f);
    return out;
  }

  std::vector<boost::json::object> frames;
  std::uint16_t closed_with = 0;
  std::size_t frames_at_close = 0;  // frames pushed before the close (a session sends no more)
  std::size_t room_for = std::size_t(-1);  // what headroom() reports: 0 = a full queue

 private:
  std::uint64_t id_;
  bool synced_ = false;
  std::vector<frame_ptr> held_;
};

}  // namespace relay::test_support
