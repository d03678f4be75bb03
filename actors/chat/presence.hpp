#pragma once

// What a room keeps to know who is online (docs/api.md "Presence"; the behaviour is in
// presence.cpp). On one node the room knows it all: its sockets and the heartbeats it
// was sent. In cluster mode Redis holds every node's entries with expiry times
// (docs/operations.md "Presence in cluster mode") and the room only remembers what it
// last told its clients.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/typed_response_promise.hpp>

#include "storage/expected.hpp"
#include "storage/rows.hpp"

namespace relay {

struct presence_state {
  using clock = std::chrono::steady_clock;
  using listing = storage::expected<std::vector<storage::user_row>>;

  std::chrono::seconds ttl{75};
  /// user id -> this node's open sockets of that user in this room.
  std::unordered_map<std::string, int> sockets;
  /// One node: user id -> when their last heartbeat runs out.
  std::unordered_map<std::string, clock::time_point> heartbeats;
  /// The profiles of users with a socket or heartbeat here (one node).
  std::unordered_map<std::string, storage::user_row> profiles;
  /// Who the room's clients were last told is online (id -> profile).
  std::map<std::string, storage::user_row> online;
  bool ticking = false;  // a sweep_atom is on its way

  // -- cluster mode ---------------------------------------------------------------------
  std::uint64_t polls_sent = 0;
  std::uint64_t polls_applied = 0;
  clock::time_point refreshed{};  // when this node last renewed its sockets' entries
  /// Listings waiting for the answer to poll `first`.
  std::vector<std::pair<std::uint64_t, caf::typed_response_promise<listing>>> waiting;
  /// Heartbeats waiting for the answer to poll `first` (which records them).
  std::vector<std::pair<std::uint64_t, caf::typed_response_promise<error_info>>> beating;
  /// One poll at a time: each runs a script that reads the whole room, so one per
  /// heartbeat made 10,000 heartbeating users cost Redis O(users²) and fall behind
  /// (benchmarks/RESULTS.md, "Presence"). Changes that come while a poll is out wait
  /// here (entry -> (user id, profile) to renew, or nullopt to remove; the latest
  /// wins) and go out together in the next poll, sent when the answer arrives.
  bool polling = false;
  bool poll_due = false;  // someone waits for the poll after the one out
  std::map<std::string, std::optional<std::pair<std::string, std::string>>> pending;
};

}  // namespace relay
