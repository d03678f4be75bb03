#include "actors/agents/agent_conn.hpp"
#include "actors/quit_unwatching.hpp"

#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/store_call.hpp"
#include "core/clock.hpp"

namespace relay {

namespace {

namespace ca = codec::agents;

struct agent_conn_state {
  agent_conn_params p;
  std::unordered_map<std::string, caf::actor> events;  // in flight: event id -> session
  std::unordered_set<caf::actor_addr> pausing;         // sessions whose app is behind
  static inline const char* name = "agent_conn";
};

using agent_conn_actor = caf::stateful_actor<agent_conn_state>;

void push(agent_conn_actor* self, std::string json) {
  self->state.p.sink->push(make_frame(std::move(json)));
}

void record(agent_conn_actor* self, std::int64_t served) {
  // Best effort: a lost touch only makes "last seen" older.
  store_call(
      self, self->state.p.writer,
      [id = self->state.p.agent.agent_id, served](storage::store& db) {
        return db.touch_agent(id, now_ms(), served);
      },
      [] {}, [](const error_info&) {});
}

// The session of a frame's event, forgotten when the frame ends the event.
caf::actor take(agent_conn_actor* self, const std::string& event_id, bool last) {
  auto it = self->state.events.find(event_id);
  if (it == self->state.events.end()) return {};
  auto session = it->second;
  if (last) self->state.events.erase(it);
  return session;
}

void on_frame(agent_conn_actor* self, ca::agent_frame& frame, std::size_t bytes) {
  auto& sink = self->state.p.sink;
  // Tokens and replies are consumed when their session has passed them to the app, so
  // a slow app slows down reading this socket; everything else is consumed here.
  bool handed_on = false;
  std::visit(
      [&](auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, ca::agent_token>) {
          if (auto s = take(self, f.event_id, false)) {
            self->send(s, token_atom::value, f.event_id, std::move(f.token), sink, bytes);
            handed_on = true;
          }
        } else if constexpr (std::is_same_v<T, ca::agent_reply>) {
          if (auto s = take(self, f.event_id, true)) {
            self->send(s, agents::reply_atom::value, f.event_id, std::move(f.content), f.metadata,
                       sink, bytes);
            handed_on = true;
            record(self, 1);
          }
        } else if constexpr (std::is_same_v<T, ca::agent_error>) {
          if (auto s = take(self, f.event_id, true))
            self->send(s, agents::fail_atom::value, f.event_id, std::move(f.message),
                       std::move(f.code));
        } else if constexpr (std::is_same_v<T, ca::agent_ping>) {
          push(self, ca::encode_pong());
        } else if constexpr (std::is_same_v<T, ca::agent_pong>) {
          // heartbeat answer: the socket saw bytes arrive
        } else {
          push(self,
               ca::encode_app_error(f.event_id, self->state.p.agent.agent_id, f.message, f.code));
        }
      },
      frame);
  if (!handed_on) sink->consumed(bytes);
}

void stop(agent_conn_actor* self) {
  quit_unwatching(self, self->state.p.hub);
}

void close_and_quit(agent_conn_actor* self, std::uint16_t code, const char* reason) {
  self->state.p.sink->close(code, reason);
  stop(self);
}

void schedule_check(agent_conn_actor* self) {
  self->delayed_send(self, std::chrono::milliseconds(agents::credential_check_ms),
                     agents::check_atom::value);
}

// A token rotated by the operator command no longer finds this agent.
void check_token(agent_conn_actor* self) {
  store_call(
      self, self->state.p.readers,
      [hash = self->state.p.token_hash](storage::store& db) {
        return storage::maybe(db.find_agent_by_token_hash(hash));
      },
      [self](std::optional<storage::agent_row>& row) {
        if (!row || row->agent_id != self->state.p.agent.agent_id)
          return close_and_quit(self, 1008, "token rotated");
        schedule_check(self);
      },
      [self](const error_info&) { schedule_check(self); });
}

caf::behavior agent_conn(agent_conn_actor* self, agent_conn_params params) {
  self->state.p = std::move(params);
  auto& st = self->state;
  self->send(st.p.hub, join_atom::value, st.p.agent, caf::actor_cast<caf::actor>(self));
  record(self, 0);
  if (st.p.readers) schedule_check(self);
  self->monitor(st.p.hub);
  self->set_down_handler(
      [self](caf::down_msg&) { close_and_quit(self, 1001, "server shutting down"); });
  return {
      [=](ca::agent_frame& f, std::size_t bytes) { on_frame(self, f, bytes); },
      [=](agents::deliver_atom, const std::string& event_id, std::string& frame,
          const caf::actor& session) {
        self->state.events[event_id] = session;
        push(self, std::move(frame));
      },
      [=](agents::cancel_atom, const std::string& event_id) {
        if (self->state.events.erase(event_id) > 0) push(self, ca::encode_cancel(event_id));
      },
      [=](agents::pause_atom, bool pause, const caf::actor& session) {
        auto& st = self->state;
        bool was = !st.pausing.empty();
        if (pause)
          st.pausing.insert(session.address());
        else
          st.pausing.erase(session.address());
        if (was != !st.pausing.empty()) st.p.sink->pause_reading(!st.pausing.empty());
      },
      [=](agents::check_atom) { check_token(self); },
      [=](close_atom) { stop(self); },
      [=](leave_atom) { close_and_quit(self, 4001, "replaced by a newer connection"); },
      [=](revoke_atom) { close_and_quit(self, 1008, "token rotated"); },
  };
}

}  // namespace

caf::actor spawn_agent_conn(caf::actor_system& sys, agent_conn_params params) {
  return sys.spawn(agent_conn, std::move(params));
}

}  // namespace relay
