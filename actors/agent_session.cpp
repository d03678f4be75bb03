#include "actors/agent_session.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "core/clock.hpp"

namespace relay {

namespace {

namespace ca = codec::agents;

struct inflight {
  agents::relay_event ev;
  caf::actor conn;  // the agent's socket actor the event went to
  std::int64_t seq = 0;
  std::int64_t last = 0;  // last sign of life from the agent (ms)
};

struct session_state {
  std::string key;
  agents::event_limits limits;
  std::unordered_map<std::string, inflight> events;
  // Agent sockets this session has paused because an app fell behind.
  std::unordered_map<caf::actor_addr, caf::actor> paused;
  static inline const char* name = "agent_session";
};

using session_actor = caf::stateful_actor<session_state>;

void push(const agents::relay_event& ev, std::string json) {
  ev.app->push(make_frame(std::move(json)));
}

// Ends an event: its app connection forgets it, and so does the session.
void finish(session_actor* self, const std::string& event_id) {
  auto it = self->state.events.find(event_id);
  if (it == self->state.events.end()) return;
  self->send(it->second.ev.app_conn, agents::done_atom::value, event_id);
  self->state.events.erase(it);
}

void fail(session_actor* self, inflight& f, const std::string& message, const char* code) {
  push(f.ev, ca::encode_app_error(f.ev.event_id, f.ev.agent_id, message, code));
  finish(self, f.ev.event_id);
}

// Wakes up when the earlier of the deadline and the idle gap could have passed.
void arm(session_actor* self, const inflight& f) {
  auto& l = self->state.limits;
  auto due = std::min(f.ev.accepted_at + l.deadline_ms, f.last + l.idle_ms) - now_ms();
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(due, 1)),
                     agents::timeout_atom::value, f.ev.event_id);
}

// Backpressure policy `block`: an app that falls behind makes Relay stop reading the
// agent's socket (TCP then slows the agent) instead of buffering or dropping the app.
void throttle(session_actor* self, const inflight& f) {
  auto& st = self->state;
  if (!f.ev.app->congested() || st.paused.count(f.conn.address())) return;
  st.paused.emplace(f.conn.address(), f.conn);
  self->send(f.conn, agents::pause_atom::value, true, caf::actor_cast<caf::actor>(self));
  if (st.paused.size() == 1)
    self->delayed_send(self, std::chrono::milliseconds(20), agents::check_atom::value);
}

// Resumes each paused agent socket once none of its events' apps is behind.
void recheck(session_actor* self) {
  auto& st = self->state;
  for (auto it = st.paused.begin(); it != st.paused.end();) {
    bool behind = false;
    for (auto& [id, f] : st.events)
      behind |= f.conn.address() == it->first && f.ev.app->congested();
    if (behind) {
      ++it;
      continue;
    }
    self->send(it->second, agents::pause_atom::value, false, caf::actor_cast<caf::actor>(self));
    it = st.paused.erase(it);
  }
  if (!st.paused.empty())
    self->delayed_send(self, std::chrono::milliseconds(20), agents::check_atom::value);
}

caf::behavior session(session_actor* self, std::string key, agents::event_limits limits) {
  self->state.key = std::move(key);
  self->state.limits = limits;
  self->set_down_handler([self](caf::down_msg& dm) {
    // The agent's socket is gone: every event it held ends now.
    std::vector<std::string> lost;
    for (auto& [id, f] : self->state.events)
      if (f.conn.address() == dm.source) lost.push_back(id);
    for (auto& id : lost)
      fail(self, self->state.events.at(id), "the agent disconnected", "AGENT_OFFLINE");
    self->state.paused.erase(dm.source);
  });
  return {
      [=](agents::event_atom, agents::relay_event& ev, const caf::actor& conn) {
        auto& st = self->state;
        self->monitor(conn);
        auto now = now_ms();
        auto frame = ca::encode_agent_event(ev.event_id, ev.app_id, ev.thread_id, ev.session_key,
                                            ev.payload);
        // Sent in accepted order: CAF keeps the order of messages between two actors.
        self->send(conn, agents::deliver_atom::value, ev.event_id, std::move(frame),
                   caf::actor_cast<caf::actor>(self));
        auto id = ev.event_id;
        auto& f = st.events[id] = inflight{std::move(ev), conn, 0, now};
        arm(self, f);
      },
      [=](token_atom, const std::string& event_id, const std::string& token, const sink_ptr& from,
          std::size_t bytes) {
        from->consumed(bytes);
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;  // late: the event already ended
        auto& f = it->second;
        f.last = now_ms();
        push(f.ev, ca::encode_app_token(event_id, f.ev.agent_id, token, ++f.seq));
        throttle(self, f);
      },
      [=](agents::check_atom) { recheck(self); },
      [=](agents::reply_atom, const std::string& event_id, const std::string& content,
          const ca::agent_metadata& meta, const sink_ptr& from, std::size_t bytes) {
        from->consumed(bytes);
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        auto& f = it->second;
        ca::reply_metadata m;
        m.tokens_used = meta.tokens_used.value_or(f.seq);
        m.model = meta.model.value_or("");
        m.latency_ms = now_ms() - f.ev.accepted_at;
        m.session_key = f.ev.session_key;
        push(f.ev,
             ca::encode_reply(event_id, f.ev.agent_id, f.ev.thread_id, content, f.ev.payload, m));
        finish(self, event_id);
      },
      [=](agents::fail_atom, const std::string& event_id, const std::string& message,
          const std::string& code) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        push(it->second.ev, ca::encode_app_error(event_id, it->second.ev.agent_id, message, code));
        finish(self, event_id);
      },
      [=](agents::cancel_atom, const std::string& event_id, bool tell_app) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        self->send(it->second.conn, agents::cancel_atom::value, event_id);
        if (tell_app) return fail(self, it->second, "cancelled by the app", "CANCELLED");
        self->state.events.erase(it);
      },
      [=](agents::timeout_atom, const std::string& event_id) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        auto& f = it->second;
        auto now = now_ms();
        auto& l = self->state.limits;
        // Silence while the app is behind is Relay's doing (the agent is paused), not
        // the agent's.
        if (f.ev.app->congested()) f.last = now;
        if (now < f.ev.accepted_at + l.deadline_ms && now < f.last + l.idle_ms) return arm(self, f);
        // Late frames for it are dropped: the agent's socket actor forgets it too.
        self->send(f.conn, agents::cancel_atom::value, event_id);
        fail(self, f, "the agent did not finish in time", "AGENT_TIMEOUT");
      },
  };
}

}  // namespace

caf::actor spawn_agent_session(caf::local_actor* parent, std::string key,
                               agents::event_limits limits) {
  return parent->spawn<caf::linked>(session, std::move(key), limits);
}

}  // namespace relay
