#pragma once

// The built-in AI bot (docs/agents.md, "The built-in AI bot"): the agent `relay-bot`, run
// inside Relay. It joins the agent hub like an agent's socket does, so a room binds it as
// it binds any agent (POST /api/rooms/:slug/bots with `agentId: "relay-bot"`) and its
// answers take the rooms' existing `ai_token` / `ai_reply` path. Each mention is answered
// by an OpenAI-compatible chat-completions endpoint, streamed, with Relay's tools offered;
// a tool call runs as the bot's own user through the REST dispatcher (api/tool_runner.hpp).

#include <chrono>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "api/request.hpp"

namespace relay {

struct relay_bot_settings {
  std::string url;    ///< e.g. http://127.0.0.1:11434/v1/chat/completions
  std::string model;  ///< e.g. llama3.1
  std::string key;    ///< bearer token for the model server; "" = none
  std::chrono::milliseconds model_timeout{120'000};  ///< the longest one model answer may take
};

/// The agent id the bot joins the hub as.
inline constexpr const char* relay_bot_agent = "relay-bot";

/// Starts the bot: makes sure the agent `relay-bot` exists, then joins the hub. It stops
/// with the hub.
caf::actor spawn_relay_bot(caf::actor_system& sys, const api_context& ctx,
                           relay_bot_settings settings);

}  // namespace relay
