#include "actors/cluster/bridge.hpp"

#include <chrono>
#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "core/metrics.hpp"

namespace relay::cluster {

namespace {

constexpr std::string_view channel_prefix = "relay:room:";

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct bridge_state {
  std::string node;
  std::shared_ptr<redis::client> redis;
  caf::actor sessions;  // the session registry: closes a revoked token's sockets
  // Room id -> this node's actors of the room (one, but a room that died and was
  // respawned may overlap with its successor for a moment).
  std::unordered_map<std::string, std::vector<caf::actor>> rooms;
  // Channels that are not a room's -> the actor that reads them (the agent relay's).
  std::unordered_map<std::string, caf::actor> listeners;
  static inline const char* name = "cluster_bridge";
};

using bridge_self = bridge_actor::stateful_pointer<bridge_state>;

// Another node revoked a token: this node's sockets opened with it close too. Or it
// made a notification: this node's sockets of that user show it too.
void on_session_event(bridge_self self, const std::string& payload) {
  auto e = codec::decode_session_event(payload);
  if (!e) {
    spdlog::warn("cluster: dropped a malformed session event ({} bytes)", payload.size());
    return;
  }
  if (e->node == self->state.node || !self->state.sessions) return;
  metrics::get().cluster_receives.inc();
  if (e->revoked_token_id.empty())
    caf::anon_send(self->state.sessions, notify_atom::value, e->notify_user_id, e->frame);
  else
    caf::anon_send(self->state.sessions, revoke_atom::value, e->revoked_token_id);
}

bridge_actor::behavior_type bridge(bridge_self self, std::string node,
                                   std::shared_ptr<redis::client> redis, caf::actor sessions) {
  self->state.node = std::move(node);
  self->state.redis = std::move(redis);
  self->state.sessions = std::move(sessions);
  self->state.redis->subscribe(std::string{sessions_channel});
  self->set_down_handler([self](caf::down_msg& dm) {
    std::erase_if(self->state.listeners, [&](auto& kv) {
      if (kv.second.address() != dm.source) return false;
      self->state.redis->unsubscribe(kv.first);
      return true;
    });
    auto& rooms = self->state.rooms;
    for (auto it = rooms.begin(); it != rooms.end();) {
      std::erase_if(it->second, [&](const caf::actor& a) { return a.address() == dm.source; });
      if (it->second.empty()) {
        self->state.redis->unsubscribe(room_channel(it->first));
        it = rooms.erase(it);
      } else {
        ++it;
      }
    }
  });
  return {
      [=](subscribe_atom, const std::string& room_id, const caf::actor& room) {
        auto& actors = self->state.rooms[room_id];
        if (actors.empty()) self->state.redis->subscribe(room_channel(room_id));
        actors.push_back(room);
        self->monitor(room);
      },
      [=](join_atom, std::string& channel, const caf::actor& who) {
        self->state.redis->subscribe(channel);
        self->monitor(who);
        self->state.listeners[std::move(channel)] = who;
      },
      [=](cluster_atom, std::string& channel, std::string& payload) {
        if (channel == sessions_channel) return on_session_event(self, payload);
        if (auto it = self->state.listeners.find(channel); it != self->state.listeners.end()) {
          metrics::get().cluster_receives.inc();
          return caf::anon_send(it->second, cluster_atom::value, std::move(channel),
                                std::move(payload));
        }
        auto e = codec::decode_cluster_event(payload);
        if (!e) {
          spdlog::warn("cluster: dropped a malformed event on {} ({} bytes)", channel,
                       payload.size());
          return;
        }
        if (e->node == self->state.node) return;
        if (channel != room_channel(e->room_id)) return;  // another room's event: refused
        auto it = self->state.rooms.find(e->room_id);
        if (it == self->state.rooms.end()) return;  // unsubscribed meanwhile
        auto& m = metrics::get();
        m.cluster_receives.inc();
        auto latency = now_us() - e->sent_at_us;
        m.cluster_delivery_seconds.observe(static_cast<double>(std::max<std::int64_t>(latency, 0)) /
                                           1e6);
        for (auto& room : it->second) caf::anon_send(room, cluster_atom::value, *e);
      },
      [=](resync_atom) {
        for (auto& [channel, who] : self->state.listeners)
          caf::anon_send(who, cluster_atom::value, resync_atom::value);
        for (auto& [id, actors] : self->state.rooms)
          for (auto& room : actors) caf::anon_send(room, cluster_atom::value, resync_atom::value);
      },
  };
}

}  // namespace

std::string room_channel(const std::string& room_id) {
  return std::string{channel_prefix} + room_id;
}

link::link(std::string node_id, std::shared_ptr<redis::client> redis, bridge_actor bridge)
    : node_{std::move(node_id)}, redis_{std::move(redis)}, bridge_{std::move(bridge)} {}

void link::publish(codec::cluster_event e) const {
  e.node = node_;
  e.sent_at_us = now_us();
  auto channel = room_channel(e.room_id);
  redis_->publish(std::move(channel), codec::encode_cluster_event(e));
  metrics::get().cluster_publishes.inc();
}

void link::notify(const std::string& user_id, const std::string& frame) const {
  redis_->publish(std::string{sessions_channel},
                  codec::encode_session_event({node_, "", user_id, frame}));
}

void link::revoke(const std::string& token_id) const {
  redis_->publish(std::string{sessions_channel}, codec::encode_session_event({node_, token_id}));
  metrics::get().cluster_publishes.inc();
}

void link::join(const std::string& room_id, const caf::actor& room) const {
  if (bridge_) caf::anon_send(bridge_, subscribe_atom::value, room_id, room);
}

void link::send(std::string channel, std::string payload) const {
  redis_->publish(std::move(channel), std::move(payload));
  metrics::get().cluster_publishes.inc();
}

void link::listen(std::string channel, const caf::actor& who) const {
  if (bridge_) caf::anon_send(bridge_, join_atom::value, std::move(channel), who);
}

void link::command(std::vector<std::string> args, std::function<void(redis::result)> done,
                   std::chrono::milliseconds timeout) const {
  redis_->command(std::move(args), std::move(done), timeout);
}

void link::stop() const {
  redis_->stop();
  caf::anon_send_exit(bridge_, caf::exit_reason::user_shutdown);
}

link_ptr start_bridge(caf::actor_system& sys, boost::asio::any_io_executor ex,
                      const redis::endpoint& ep, std::string node_id, caf::actor sessions) {
  // The handlers run on the Redis thread and only forward to the bridge, which is set
  // before the client starts, so no handler can see it unset.
  auto target = std::make_shared<bridge_actor>();
  redis::handlers h;
  h.message = [target](std::string_view channel, std::string_view payload) {
    caf::anon_send(*target, cluster_atom::value, std::string{channel}, std::string{payload});
  };
  h.reconnected = [target](redis::link which) {
    if (which == redis::link::subscriber) caf::anon_send(*target, resync_atom::value);
  };
  auto client = std::make_shared<redis::client>(std::move(ex), ep, std::move(h));
  *target = sys.spawn(bridge, node_id, client, std::move(sessions));
  client->start();
  return std::make_shared<const link>(std::move(node_id), std::move(client), *target);
}

}  // namespace relay::cluster
