#pragma once

// JSON of agents in chat rooms: the event payload an @mention becomes, the frames the
// room shows while the agent answers, and the relay frames a room reads back.

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/rows.hpp"

namespace relay::codec::mentions {

/// `{event: "comment.mention", message, room, channel, author, message_id}`
std::string encode_mention_payload(const storage::message_row& m, const storage::room_row& room);

/// `{"type":"ai_token","channelId","eventId","bot":{id,login,name,avatarUrl},"token","seq"}`,
/// with `threadId` after `channelId` for a mention in a thread (absent otherwise).
std::string encode_ai_token(const std::string& channel_id, const std::string& event_id,
                            const storage::user_row& bot, const std::string& token,
                            std::int64_t seq, const std::string& thread_id = {});

/// `{"type":"ai_reply","channelId","eventId","bot",…}` with `messageId` (the reply's
/// message) or `error: {error, code}`: the bot's answer is over. `threadId` as above.
std::string encode_ai_reply(const std::string& channel_id, const std::string& event_id,
                            const storage::user_row& bot, const std::string& message_id,
                            const std::string& error, const std::string& code,
                            const std::string& thread_id = {});

/// A frame the relay sends to an app (docs/agents.md), as a room reads it.
struct relay_frame {
  std::string type;  // accepted | token | reply | error | …
  std::string event_id;
  std::string text;  // token, reply text, or error text
  std::string code;
  std::int64_t seq = 0;
};
relay_frame decode_relay_frame(std::string_view json);

}  // namespace relay::codec::mentions
