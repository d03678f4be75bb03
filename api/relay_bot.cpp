#include "api/relay_bot.hpp"

#include <atomic>
#include <map>
#include <memory>
#include <optional>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/agents/messages.hpp"
#include "actors/store_call.hpp"
#include "api/common.hpp"
#include "api/tool_runner.hpp"
#include "auth/http_client.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/bot_exchange.hpp"

namespace relay {

namespace {

namespace json = boost::json;

using chunk_atom = caf::atom_constant<caf::atom("botchunk")>;
using answered_atom = caf::atom_constant<caf::atom("botanswer")>;
using tool_result_atom = caf::atom_constant<caf::atom("bottool")>;
using bot_token_atom = caf::atom_constant<caf::atom("botuser")>;

// One mention being answered.
struct job {
  llm::bot_exchange exchange;
  llm::stream_reader reader;
  caf::actor session;
  std::string bearer;  // the bot user's API token: tools run as the bot
  std::shared_ptr<std::atomic<bool>> stop = std::make_shared<std::atomic<bool>>(false);
};

struct bot_state {
  api_context ctx;
  relay_bot_settings settings;
  // Per conversation (room, channel, thread): the last turns, so follow-ups have context.
  llm::thread_context context{512, 20, 24'000};
  std::map<std::string, job> jobs;             // by event id
  std::map<std::string, std::string> bearers;  // bot user id -> its API token (in memory only)
  static inline const char* name = "relay_bot";
};

using bot_actor = caf::stateful_actor<bot_state>;

// Cluster mode: every node runs a bot and a mention is answered by the bot of the node
// that took it, so each answered turn is shared on this channel and every node's bot
// keeps the same context: a follow-up on another node still has the earlier turns.
constexpr const char* context_channel = "relay:relay-bot:context";

std::string encode_shared_turns(const std::string& node, const std::string& key,
                                const std::vector<llm::turn>& turns) {
  json::array ts;
  for (auto& t : turns) ts.push_back(json::object{{"role", t.role}, {"content", t.content}});
  return json::serialize(json::object{{"node", node}, {"key", key}, {"turns", std::move(ts)}});
}

// Adds another node's turns; malformed payloads and this node's own echo are dropped.
void add_shared_turns(bot_actor* self, const std::string& payload) {
  json::error_code ec;
  auto v = json::parse(payload, ec);
  if (ec || !v.is_object()) return;
  auto& o = v.as_object();
  auto* node = o.if_contains("node");
  auto* key = o.if_contains("key");
  auto* turns = o.if_contains("turns");
  if (!node || !node->is_string() || !key || !key->is_string() || !turns || !turns->is_array())
    return;
  if (node->as_string() == self->state.ctx.cluster->node_id()) return;
  for (auto& t : turns->as_array()) {
    auto* role = t.is_object() ? t.as_object().if_contains("role") : nullptr;
    auto* content = t.is_object() ? t.as_object().if_contains("content") : nullptr;
    if (!role || !role->is_string() || !content || !content->is_string()) continue;
    llm::turn turn;
    turn.role = std::string{role->as_string()};
    turn.content = std::string{content->as_string()};
    self->state.context.add(std::string{key->as_string()}, std::move(turn));
  }
}

void finish(bot_actor* self, const std::string& event_id, const llm::failure& why) {
  auto it = self->state.jobs.find(event_id);
  if (it == self->state.jobs.end()) return;
  self->send(it->second.session, agents::fail_atom::value, event_id, why.message, why.code);
  self->state.jobs.erase(it);
}

// Asks the model, on a thread of its own (the client blocks), streaming what arrives back
// to the bot as messages, in order.
void ask_model(bot_actor* self, const std::string& event_id) {
  auto& j = self->state.jobs.at(event_id);
  j.reader = llm::stream_reader{};
  auto& s = self->state.settings;
  std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"},
                                                           {"Accept", "text/event-stream"}};
  if (!s.key.empty()) headers.emplace_back("Authorization", "Bearer " + s.key);
  // The bot goes in as an argument: CAF 0.17 binds a null reference (UB) for
  // argument-less spawns.
  self->system().spawn<caf::detached>(
      [event_id, url = s.url, timeout = s.model_timeout, headers = std::move(headers),
       body = j.exchange.request_body(), stop = j.stop](caf::event_based_actor*, caf::actor bot) {
        auto r = auth::http_stream("POST", url, headers, body, timeout, [&](std::string_view part) {
          if (stop->load()) return false;
          caf::anon_send(bot, chunk_atom::value, event_id, std::string{part});
          return true;
        });
        caf::anon_send(bot, answered_atom::value, event_id, r.status, std::move(r.body),
                       std::move(r.error));
      },
      caf::actor_cast<caf::actor>(self));
}

void next_tool(bot_actor* self, const std::string& event_id);

// Runs one tool call as the bot user: a request actor of its own, since the runner waits
// for the REST answer on the actor that runs it.
void run_call(bot_actor* self, const std::string& event_id, const llm::tool_call& call) {
  auto& j = self->state.jobs.at(event_id);
  auto* t = tools::find(call.name);
  json::error_code ec;
  auto args = json::parse(call.arguments.empty() ? "{}" : call.arguments, ec);
  std::optional<std::string> bad;
  if (!t)
    bad = "no such tool: " + call.name;
  else if (ec)
    bad = "arguments: not valid JSON";
  else
    bad = tools::validate(*t, args);
  if (bad) {
    j.exchange.on_tool_result(call.id, 400, *bad);
    return next_tool(self, event_id);
  }
  if (args.is_null()) args = json::object{};
  http_request req;
  req.bearer = j.bearer;
  auto x = std::make_shared<api::exchange>(
      api::exchange{self->state.ctx, std::move(req), nullptr,
                    std::chrono::steady_clock::now() + self->state.ctx.request_timeout});
  self->system().spawn(
      [x, t, args = std::move(args.get_object()), event_id, call_id = call.id](
          caf::event_based_actor* runner, caf::actor bot) mutable {
        api::run_tool(runner, x, *t, std::move(args),
                      [runner, bot, event_id, call_id](api::rest_answer a) {
                        caf::anon_send(bot, tool_result_atom::value, event_id, call_id, a.status,
                                       std::move(a.body));
                        runner->quit();
                      });
      },
      caf::actor_cast<caf::actor>(self));
}

void next_tool(bot_actor* self, const std::string& event_id) {
  auto& j = self->state.jobs.at(event_id);
  if (j.exchange.pending_calls().empty()) return ask_model(self, event_id);
  // Only the first is run now; its result comes back and takes it off the list.
  run_call(self, event_id, j.exchange.pending_calls().front());
}

void on_answered(bot_actor* self, const std::string& event_id, int status, std::string& body,
                 std::string& error) {
  auto it = self->state.jobs.find(event_id);
  if (it == self->state.jobs.end()) return;  // cancelled meanwhile
  auto& j = it->second;
  if (!error.empty() || status < 200 || status >= 300) {
    auto why = llm::classify(error.empty() ? status : 0, body);
    if (!error.empty()) why.message += ": " + error;
    spdlog::warn("relay-bot: the model failed: {} {}", why.code, why.message);
    return finish(self, event_id, why);
  }
  j.reader.close();
  switch (j.exchange.on_answer(j.reader)) {
    case llm::bot_exchange::step::fail:
      return finish(self, event_id, j.exchange.why());
    case llm::bot_exchange::step::call_tools:
      return next_tool(self, event_id);
    case llm::bot_exchange::step::reply: {
      codec::agents::agent_metadata meta;
      if (!j.reader.model().empty()) meta.model = j.reader.model();
      self->send(j.session, agents::reply_atom::value, event_id, j.exchange.reply(), meta,
                 sink_ptr{}, std::size_t{0});
      auto turns = j.exchange.context_turns();
      if (auto& link = self->state.ctx.cluster)
        link->send(context_channel,
                   encode_shared_turns(link->node_id(), j.exchange.thread_key(), turns));
      for (auto& t : turns) self->state.context.add(j.exchange.thread_key(), std::move(t));
      self->state.jobs.erase(it);
      return;
    }
  }
}

// The bot's user in the room (the bot row bound to relay-bot) and an API token for it,
// minted once per user and process and kept only in memory.
void with_bot_user(bot_actor* self, const std::string& event_id) {
  auto& j = self->state.jobs.at(event_id);
  auto room_id = j.exchange.room_id();
  store_call(
      self, self->state.ctx.readers,
      [room_id](storage::store& db) { return db.list_bots(room_id); },
      [self, event_id](std::vector<storage::bot_row>& bots) {
        auto it = std::find_if(bots.begin(), bots.end(), [](const storage::bot_row& b) {
          return b.agent_id == relay_bot_agent;
        });
        if (it == bots.end())
          return finish(self, event_id, {"RELAY_INTERNAL_ERROR", "relay-bot is not in this room"});
        auto user_id = it->user.id;
        if (auto known = self->state.bearers.find(user_id); known != self->state.bearers.end())
          return self->send(self, bot_token_atom::value, event_id, known->second);
        auto secret = "rlt_" + random_hex(32);
        self->request(self->state.ctx.writer, caf::infinite, token_atom::value, create_atom::value,
                      user_id, std::string{"relay-bot (built in)"}, sha256_hex(secret))
            .then(
                [self, event_id, user_id, secret](token_outcome& out) {
                  if (out.error)
                    return finish(self, event_id, {"RELAY_INTERNAL_ERROR", out.error.message});
                  self->state.bearers[user_id] = secret;
                  self->send(self, bot_token_atom::value, event_id, secret);
                },
                [self, event_id](caf::error&) {
                  finish(self, event_id, {"RELAY_INTERNAL_ERROR", "storage unavailable"});
                });
      },
      [self, event_id](const error_info& e) {
        finish(self, event_id, {"RELAY_INTERNAL_ERROR", e.message});
      });
}

void join(bot_actor* self, storage::agent_row row) {
  auto& hub = self->state.ctx.agent_hub;
  self->send(hub, join_atom::value, std::move(row), caf::actor_cast<caf::actor>(self));
  self->monitor(hub);
  spdlog::info("relay-bot: online, answering with {} at {}", self->state.settings.model,
               self->state.settings.url);
}

// The agent row the rooms bind to; created on first start.
void ensure_agent(bot_actor* self) {
  store_call(
      self, self->state.ctx.readers,
      [](storage::store& db) { return db.find_agent(relay_bot_agent); },
      [self](storage::agent_row& row) { join(self, std::move(row)); },
      [self](const error_info&) {
        storage::agent_row row{relay_bot_agent,
                               "Relay bot",
                               "Relay's built-in AI assistant (an OpenAI-compatible model)",
                               now_ms(),
                               std::nullopt,
                               0};
        store_call(
            self, self->state.ctx.writer,
            // Nobody connects with this token: the bot joins from inside.
            [row, hash = sha256_hex(random_hex(32))](storage::store& db) {
              return db.create_agent(row, hash);
            },
            [self](storage::agent_row& made) { join(self, std::move(made)); },
            [self](const error_info& e) {
              // In a cluster the nodes start together and one of them made it first.
              if (e.code != errc::conflict) {
                spdlog::error("relay-bot: cannot create its agent: {}", e.message);
                return self->quit();
              }
              store_call(
                  self, self->state.ctx.readers,
                  [](storage::store& db) { return db.find_agent(relay_bot_agent); },
                  [self](storage::agent_row& row) { join(self, std::move(row)); },
                  [self](const error_info& again) {
                    spdlog::error("relay-bot: cannot find its agent: {}", again.message);
                    self->quit();
                  });
            });
      });
}

caf::behavior relay_bot(bot_actor* self, api_context ctx, relay_bot_settings settings) {
  self->state.ctx = std::move(ctx);
  self->state.settings = std::move(settings);
  self->set_down_handler([self](caf::down_msg&) { self->quit(); });
  if (self->state.ctx.cluster)
    self->state.ctx.cluster->listen(context_channel, caf::actor_cast<caf::actor>(self));
  ensure_agent(self);
  return {
      [=](cluster_atom, const std::string&, const std::string& payload) {
        add_shared_turns(self, payload);
      },
      // Turns shared while Redis was away are lost: those threads start afresh.
      [=](cluster_atom, resync_atom) {},
      [=](agents::deliver_atom, const std::string& event_id, std::string& frame,
          const caf::actor& session) {
        auto ex = llm::bot_exchange::from_event(frame, {.model = self->state.settings.model},
                                                self->state.context);
        if (!ex) {
          self->send(session, agents::fail_atom::value, event_id,
                     std::string{"relay-bot answers mentions in rooms only"},
                     std::string{"INVALID_EVENT"});
          return;
        }
        self->state.jobs.emplace(event_id, job{std::move(*ex), {}, session, {}});
        with_bot_user(self, event_id);
      },
      [=](bot_token_atom, const std::string& event_id, const std::string& bearer) {
        auto it = self->state.jobs.find(event_id);
        if (it == self->state.jobs.end()) return;
        it->second.bearer = bearer;
        ask_model(self, event_id);
      },
      [=](chunk_atom, const std::string& event_id, const std::string& part) {
        auto it = self->state.jobs.find(event_id);
        if (it == self->state.jobs.end()) return;
        std::vector<std::string> tokens;
        it->second.reader.feed(part, tokens);
        for (auto& t : tokens)
          self->send(it->second.session, token_atom::value, event_id, t, sink_ptr{},
                     std::size_t{0});
      },
      [=](answered_atom, const std::string& event_id, int status, std::string& body,
          std::string& error) { on_answered(self, event_id, status, body, error); },
      [=](tool_result_atom, const std::string& event_id, const std::string& call_id, int status,
          std::string& body) {
        auto it = self->state.jobs.find(event_id);
        if (it == self->state.jobs.end()) return;
        it->second.exchange.on_tool_result(call_id, status, std::move(body));
        next_tool(self, event_id);
      },
      [=](agents::cancel_atom, const std::string& event_id) {
        auto it = self->state.jobs.find(event_id);
        if (it == self->state.jobs.end()) return;
        it->second.stop->store(true);
        self->state.jobs.erase(it);
      },
      [=](agents::pause_atom, bool, const caf::actor&) {
        // Rooms do not pause agents; an app's session might: the model is not paused.
      },
      [=](close_atom) { self->quit(); },
      // In cluster mode every node runs a bot and the newest join wins the routing; the
      // others stay idle rather than leave the hub without one after a restart.
      [=](leave_atom) {},
      [=](revoke_atom) {},
  };
}

}  // namespace

caf::actor spawn_relay_bot(caf::actor_system& sys, const api_context& ctx,
                           relay_bot_settings settings) {
  return sys.spawn(relay_bot, ctx, std::move(settings));
}

}  // namespace relay
