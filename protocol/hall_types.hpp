#pragma once

// Plain value types of halls that the codec decodes into (docs/halls.md). No CAF: the
// actors that receive them declare them as messages in actors/halls/messages.hpp.

#include <cstdint>
#include <optional>
#include <string>

namespace relay {

/// One LiveKit webhook, decoded (protocol/hall_codec). Times are unix ms.
struct livekit_event {
  std::string id;     // webhook id: a redelivery carries the same one
  std::string event;  // participant_joined, participant_left, …
  std::string room;   // room.name: the hall id
  std::string identity;
  std::string name;                       // participant.name
  std::int64_t created_at = 0;            // when LiveKit emitted it
  std::optional<std::int64_t> joined_at;  // participant.joinedAt, when LiveKit sent it
  bool can_publish = false;               // participant.permission.canPublish
  std::int64_t num_dropped = 0;           // webhooks LiveKit dropped before this one
};

}  // namespace relay
