#pragma once

// Cluster mode's link between this node's rooms and the other nodes (docs/architecture.md
// "Cluster"): the bridge actor's interface and the handle rooms and channels hold.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/messages.hpp"
#include "protocol/cluster_codec.hpp"
#include "redis/reply.hpp"

namespace relay::redis {
class client;
}

namespace relay::cluster {

/// The bridge (actors/cluster/bridge.hpp): subscribes this node to the Redis channel of
/// each room that has an actor here, and hands each room the other nodes' events.
using bridge_actor = caf::typed_actor<
    // A room actor wants its room's events as `(cluster_atom, codec::cluster_event)`, and
    // `(cluster_atom, resync_atom)` when events may have been lost (Redis reconnected).
    // The bridge monitors it and unsubscribes once no room actor of that room is left.
    caf::reacts_to<subscribe_atom, std::string, caf::actor>,
    // An actor wants the raw payloads of a channel of its own (not a room's) as
    // `(cluster_atom, channel, payload)`, and `(cluster_atom, resync_atom)` after a loss.
    caf::reacts_to<join_atom, std::string, caf::actor>,
    // From the Redis client's thread: a message on channel (first string).
    caf::reacts_to<cluster_atom, std::string, std::string>,
    // From the Redis client's thread: the subscriber connection is back.
    caf::reacts_to<resync_atom>>;

/// What a room or channel needs to tell the other nodes about its events; null on a
/// single node. Immutable and shared by every room of the node.
class link {
 public:
  link(std::string node_id, std::shared_ptr<redis::client> redis, bridge_actor bridge);

  const std::string& node_id() const noexcept { return node_; }
  /// Publishes `e` (its node and send time filled in) on its room's channel, encoded
  /// once. Pipelined and not awaited: a publish lost with a Redis outage is recovered
  /// by the receivers from the store (seq gaps, resync).
  void publish(codec::cluster_event e) const;
  /// Tells every other node to close the sockets `token_id` opened (it was revoked).
  void revoke(const std::string& token_id) const;
  /// Tells every other node to show `frame` (a `notification`) on `user_id`'s sockets.
  void notify(const std::string& user_id, const std::string& frame) const;
  /// Subscribes `room` (the room actor of `room_id`) to the other nodes' events.
  void join(const std::string& room_id, const caf::actor& room) const;
  /// Publishes `payload` on a channel that is not a room's, pipelined and not awaited,
  /// as `publish` does.
  void send(std::string channel, std::string payload) const;
  /// Hands `who` every payload on `channel` (see bridge_actor), for as long as it lives.
  void listen(std::string channel, const caf::actor& who) const;
  /// A Redis command on the node's command connection; `done` runs on the Redis thread.
  void command(std::vector<std::string> args, std::function<void(redis::result)> done,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(1000)) const;
  /// At shutdown: closes the Redis connections and ends the bridge.
  void stop() const;

 private:
  std::string node_;
  std::shared_ptr<redis::client> redis_;
  bridge_actor bridge_;
};

using link_ptr = std::shared_ptr<const link>;

/// The Redis channel of a room's events.
std::string room_channel(const std::string& room_id);
/// The Redis channel of session events (revoked tokens, notifications), one for the cluster.
inline constexpr std::string_view sessions_channel = "relay:sessions";

}  // namespace relay::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::cluster_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::agent_call)
