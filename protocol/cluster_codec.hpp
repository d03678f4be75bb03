#pragma once

// What one node tells the others about a room, over the room's Redis channel (cluster
// mode, docs/architecture.md "Cluster"). Nodes of one cluster run the same build, but a
// payload is still read as untrusted bytes: anyone who can publish on the Redis server
// can send one, so decoding refuses what is malformed instead of trusting it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/agent_codec.hpp"
#include "storage/rows.hpp"

namespace relay::codec {

/// One room event as it crosses nodes. Which fields count depends on `kind`.
struct cluster_event {
  enum class kind : std::uint8_t {
    message,   // `message` committed with its seq
    edited,    // `message` as edited
    deleted,   // `message` as it was deleted
    typing,    // `user` types in `channel_id`
    room,      // the room's settings, channels, members or bots changed: reload them
    frame,     // `text`, a frame for `channel_id`'s subscribers that is not stored (a bot
               // answering a mention: ai_token, ai_reply), `ephemeral` as it was made
    reacted,   // `message` with its reactions after one changed; `text`, the
               // reaction_added / reaction_removed frame for its channel's subscribers
    threaded,  // a thread was created or got a reply: `message`, its root as it is now
               // (empty when the root was deleted), `text`, the thread_updated frame for
               // `channel_id`'s subscribers
  };
  kind what = kind::message;
  std::string node;             // the publishing node: it ignores its own events
  std::int64_t sent_at_us = 0;  // publisher's wall clock, for the delivery-latency metric
  std::string room_id;
  storage::message_row message;
  std::string channel_id;
  storage::author_row user;
  std::string slug;  // kind::room: the room's slug after the change
  std::string text;  // kind::frame
  bool ephemeral = false;
};

/// What one node tells every other about sessions, over one channel for the cluster:
/// either a token revoked (or a browser session ended) whose sockets every node closes,
/// or a new notification (`frame`, the `notification` frame) for every socket
/// `notify_user_id` holds, on any node.
struct session_event {
  std::string node;
  std::string revoked_token_id;  // set for a revocation; empty for a notification
  std::string notify_user_id;
  std::string frame;
};

std::string encode_session_event(const session_event& e);
std::optional<session_event> decode_session_event(std::string_view payload);

/// An event of kind message, edited or deleted about `m`.
cluster_event about_message(cluster_event::kind what, std::string room_id, storage::message_row m);

std::string encode_cluster_event(const cluster_event& e);
/// nullopt for anything that is not an event encode_cluster_event could have made.
std::optional<cluster_event> decode_cluster_event(std::string_view payload);

/// What one node's agent relay tells another (cluster mode): where each agent's socket
/// is, and the traffic of an agent on one node serving an app on another. Which fields
/// count depends on `kind`.
struct agent_call {
  enum class kind : std::uint8_t {
    online,   // `agent_id`'s socket is on `node` now: the newest socket wins everywhere
    offline,  // `agent_id`'s socket on `node` closed
    event,    // to the agent's node: hand `text` (the agent's `event` frame) to the agent
    cancel,   // to the agent's node: the app's node ended `event_id`
    pause,    // to the agent's node: `paused` — an app on `node` is behind; stop reading
    token,    // to the app's node: `text` is the next token of `event_id`
    reply,    // to the app's node: `text` is the reply's content, with `metadata`
    fail,     // to the app's node: the agent's error `text` with `code`
    gone,     // to the app's node: the agent's socket closed with `event_id` in flight
  };
  kind what = kind::online;
  std::string node;  // the sending node
  std::string agent_id;
  std::string event_id;
  std::string text;
  std::string code;
  bool paused = false;
  agents::agent_metadata metadata;
};

std::string encode_agent_call(const agent_call& c);
/// nullopt for anything that is not a call encode_agent_call could have made.
std::optional<agent_call> decode_agent_call(std::string_view payload);

}  // namespace relay::codec
