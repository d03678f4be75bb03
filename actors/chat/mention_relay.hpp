#pragma once

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/agents/fwd.hpp"
#include "actors/chat/fwd.hpp"
#include "actors/cluster/fwd.hpp"

namespace relay {

struct mention_params {
  agents::hub_actor hub;
  channel_actor channel;  // where the answer is shown and posted
  storage::room_row room;
  storage::user_row bot;
  std::string agent_id;
  storage::message_row message;  // the mention
  cluster::link_ptr cluster;     // cluster mode: the room's other nodes see the answer live too
  std::size_t max_content_chars = 4000;  // the reply is cut to this, as any message is limited
  storage::thread_row thread;  // a mention in a thread (id set): the answer is a reply in it
  room_actor thread_room;      // takes that reply
};

/// One @mention of an agent-bound bot, from event to answer. It plays the app's part
/// of the agent relay for the room: the agent's tokens become `ai_token` frames for
/// the channel's subscribers (ephemeral: shed first under backpressure), its reply is
/// posted as a normal, durable message from the bot (idempotent on the event id), and
/// `ai_reply` tells clients the bot is done (with `error` for AGENT_OFFLINE,
/// AGENT_TIMEOUT …). While it runs the bot shows as typing. In cluster mode the frames
/// and the typing go to the room's subscribers on every node.
caf::actor spawn_mention_relay(caf::local_actor* parent, mention_params params);

}  // namespace relay
