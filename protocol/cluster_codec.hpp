#pragma once

// What one node tells the others about a room, over the room's Redis channel (cluster
// mode, docs/architecture.md "Cluster"). Nodes of one cluster run the same build, but a
// payload is still read as untrusted bytes: anyone who can publish on the Redis server
// can send one, so decoding refuses what is malformed instead of trusting it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/rows.hpp"

namespace relay::codec {

/// One room event as it crosses nodes. Which fields count depends on `kind`.
struct cluster_event {
  enum class kind : std::uint8_t {
    message,  // `message` committed with its seq
    edited,   // `message` as edited
    deleted,  // `message` as it was deleted
    typing,   // `user` types in `channel_id`
    room,     // the room's settings, channels, members or bots changed: reload them
  };
  kind what = kind::message;
  std::string node;             // the publishing node: it ignores its own events
  std::int64_t sent_at_us = 0;  // publisher's wall clock, for the delivery-latency metric
  std::string room_id;
  storage::message_row message;
  std::string channel_id;
  storage::author_row user;
  std::string slug;  // kind::room: the room's slug after the change
};

/// What one node tells every other about sessions, over one channel for the cluster: a
/// token revoked (or a browser session ended) whose sockets every node closes.
struct session_event {
  std::string node;
  std::string revoked_token_id;
};

std::string encode_session_event(const session_event& e);
std::optional<session_event> decode_session_event(std::string_view payload);

/// An event of kind message, edited or deleted about `m`.
cluster_event about_message(cluster_event::kind what, std::string room_id, storage::message_row m);

std::string encode_cluster_event(const cluster_event& e);
/// nullopt for anything that is not an event encode_cluster_event could have made.
std::optional<cluster_event> decode_cluster_event(std::string_view payload);

}  // namespace relay::codec
