#pragma once

#include <chrono>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/fwd.hpp"
#include "auth/webhook_target.hpp"

namespace relay {

struct webhook_dispatch_params {
  store_writer_actor writer;
  caf::actor registry;  // receives `(notify_atom, user id, frame)` for a disabled hook
  /// Cluster mode: shows that frame on the user's sockets on every other node (the
  /// owner's tabs may be on any of them). Empty on one node.
  std::function<void(const std::string& user_id, const std::string& frame)> notify_other_nodes;
  auth::webhook_allowlist allow;
  /// Multiplies the retry schedule (tests and operators: 0.01 runs it 100 times faster).
  double retry_scale = 1.0;
  /// One node: no other process can hold a lease, so those of a killed run are dropped
  /// at start instead of waiting for them to expire.
  bool single_node = true;
};

/// The outbound webhook dispatcher, an event-based actor with up to 16 requests in flight
/// on a thread of its own (a slot is refilled by a new claim once its answer is recorded,
/// so a silent receiver holds up only its own slots): it claims due deliveries through the store
/// writer (leased, so in a cluster each is sent by one node at a time), signs and POSTs each, and
/// records the attempt through the writer: success, a retry on the schedule (network error,
/// timeout, 408, 429, 5xx), or failure. A 410 disables the hook; so does a delivery that fails
/// after the whole schedule, with a notification to the hook's creator.
caf::actor spawn_webhook_dispatcher(caf::actor_system& sys, webhook_dispatch_params p);

/// The retry schedule: seconds after the first attempt at which attempts 2, 3, … run.
inline constexpr std::int64_t webhook_retry_offsets[] = {5,    30,    120,   600,
                                                         3600, 10800, 21600, 43200};

}  // namespace relay
