#include "actors/agents/session.hpp"

#include <deque>
#include <unordered_map>

#include <caf/all.hpp>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "core/token_log.hpp"

namespace relay {

namespace {

namespace ca = codec::agents;

struct inflight {
  agents::relay_event ev;  // ev.app is null while no app socket holds the event
  caf::actor conn;         // the agent's socket actor the event went to
  token_log log;
  std::int64_t last = 0;         // last sign of life from the agent (ms)
  std::int64_t orphaned_at = 0;  // when its app's socket went away (0: it has one)
};

// A finished event, kept `replay_ms` for a `resume`.
struct ended_event {
  std::string app_id;
  std::string agent_id;
  token_log log;
  frame_ptr terminal;
  std::int64_t expires_at = 0;
};

struct session_state {
  std::string key;
  agents::event_limits limits;
  agents::hub_actor hub;
  std::unordered_map<std::string, inflight> events;
  std::unordered_map<std::string, ended_event> ended;
  std::deque<std::string> expiry;  // ended events, oldest first
  bool sweeping = false;
  std::uint64_t received = 0;  // events the hub routed here, to retire without a race
  bool retiring = false;
  // Agent sockets this session has paused because an app fell behind.
  std::unordered_map<caf::actor_addr, caf::actor> paused;
  static inline const char* name = "agent_session";
};

using session_actor = caf::stateful_actor<session_state>;

void push(const inflight& f, std::string json) {
  if (f.ev.app) f.ev.app->push(make_frame(std::move(json)));
}

// A session with nothing in flight, nothing kept and no socket paused asks the hub to
// forget it. The hub agrees only if it routed nothing here since, so no event is lost.
void maybe_retire(session_actor* self) {
  auto& st = self->state;
  if (st.retiring || !st.events.empty() || !st.ended.empty() || !st.paused.empty()) return;
  st.retiring = true;
  // No timeout: the hub answers from memory at once, and it is linked to this session.
  self->request(st.hub, caf::infinite, agents::retire_atom::value, st.key, st.received)
      .then([self](bool ok) {
        if (ok) return self->quit();
        self->state.retiring = false;
      });
}

void schedule_sweep(session_actor* self) {
  auto& st = self->state;
  if (st.sweeping || st.expiry.empty()) return;
  st.sweeping = true;
  auto due = st.ended.at(st.expiry.front()).expires_at - now_ms();
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(due, 1)),
                     agents::sweep_atom::value);
}

void sweep(session_actor* self) {
  auto& st = self->state;
  st.sweeping = false;
  auto now = now_ms();
  std::vector<std::string> gone;
  while (!st.expiry.empty()) {
    auto it = st.ended.find(st.expiry.front());
    if (it != st.ended.end() && it->second.expires_at > now) break;
    if (it != st.ended.end()) st.ended.erase(it);
    gone.push_back(std::move(st.expiry.front()));
    st.expiry.pop_front();
  }
  if (!gone.empty()) self->send(st.hub, agents::forget_atom::value, std::move(gone));
  schedule_sweep(self);
  maybe_retire(self);
}

// Ends an event with its one terminal frame: to the app if a socket holds the event,
// and kept with the event's tokens for a later `resume`.
void finish(session_actor* self, inflight& f, std::string terminal, metrics::outcome how) {
  auto& st = self->state;
  metrics::get().agent_events[static_cast<std::size_t>(how)].inc();
  auto frame = make_frame(std::move(terminal));
  if (f.ev.app) f.ev.app->push(frame);
  if (f.ev.app_conn) self->send(f.ev.app_conn, agents::done_atom::value, f.ev.event_id);
  auto id = f.ev.event_id;
  if (!f.ev.internal) {
    if (st.limits.replay_ms > 0) {
      st.ended.emplace(id, ended_event{f.ev.app_id, f.ev.agent_id, std::move(f.log),
                                       std::move(frame), now_ms() + st.limits.replay_ms});
      st.expiry.push_back(id);
      schedule_sweep(self);
    } else {
      self->send(st.hub, agents::forget_atom::value, std::vector<std::string>{id});
    }
  }
  st.events.erase(id);
  maybe_retire(self);
}

void fail(session_actor* self, inflight& f, const std::string& message, const char* code,
          metrics::outcome how) {
  finish(self, f, ca::encode_app_error(f.ev.event_id, f.ev.agent_id, message, code), how);
}

// Wakes up when the earliest of the deadline, the idle gap and the end of an orphaned
// event's grace could have passed.
void arm(session_actor* self, const inflight& f) {
  auto& l = self->state.limits;
  auto due = std::min(f.ev.accepted_at + l.deadline_ms, f.last + l.idle_ms);
  if (f.orphaned_at != 0) due = std::min(due, f.orphaned_at + l.grace_ms);
  self->delayed_send(self, std::chrono::milliseconds(std::max<std::int64_t>(due - now_ms(), 1)),
                     agents::timeout_atom::value, f.ev.event_id);
}

bool behind(const inflight& f) {
  return f.ev.app && f.ev.app->congested();
}

// Backpressure policy `block`: an app that falls behind makes Relay stop reading the
// agent's socket (TCP then slows the agent) instead of buffering or dropping the app.
void throttle(session_actor* self, const inflight& f) {
  auto& st = self->state;
  if (!behind(f) || st.paused.count(f.conn.address())) return;
  st.paused.emplace(f.conn.address(), f.conn);
  self->send(f.conn, agents::pause_atom::value, true, caf::actor_cast<caf::actor>(self));
  if (st.paused.size() == 1)
    self->delayed_send(self, std::chrono::milliseconds(20), agents::check_atom::value);
}

// Resumes each paused agent socket once none of its events' apps is behind.
void recheck(session_actor* self) {
  auto& st = self->state;
  for (auto it = st.paused.begin(); it != st.paused.end();) {
    bool slow = false;
    for (auto& [id, f] : st.events) slow |= f.conn.address() == it->first && behind(f);
    if (slow) {
      ++it;
      continue;
    }
    self->send(it->second, agents::pause_atom::value, false, caf::actor_cast<caf::actor>(self));
    it = st.paused.erase(it);
  }
  if (!st.paused.empty())
    self->delayed_send(self, std::chrono::milliseconds(20), agents::check_atom::value);
  else
    maybe_retire(self);
}

// The app's socket went away: the event waits `grace_ms` for a resume, then it is
// cancelled at the agent. Its outcome is kept either way, so a late resume learns it.
void orphan(session_actor* self, inflight& f) {
  if (self->state.limits.grace_ms <= 0) {
    self->send(f.conn, agents::cancel_atom::value, f.ev.event_id);
    return fail(self, f, "the app disconnected", "CANCELLED", metrics::outcome::app_gone);
  }
  f.ev.app = nullptr;
  f.ev.app_conn = caf::actor{};
  f.orphaned_at = now_ms();
  arm(self, f);
}

agents::route resume(session_actor* self, const std::string& id, std::int64_t after,
                     const std::string& app_id, const sink_ptr& sink, const caf::actor& conn) {
  auto& st = self->state;
  auto replay = [&](const token_log& log, const std::string& agent_id) {
    log.each_after(after, [&](std::int64_t seq, std::string_view token) {
      sink->push(make_frame(ca::encode_app_token(id, agent_id, std::string(token), seq)));
    });
  };
  if (auto it = st.events.find(id); it != st.events.end() && it->second.ev.app_id == app_id) {
    auto& f = it->second;
    // The event moves to the resuming socket: the old one (if still open) no longer
    // owns it, so its close will not cancel the event.
    if (f.ev.app_conn && f.ev.app_conn != conn)
      self->send(f.ev.app_conn, agents::done_atom::value, id);
    replay(f.log, f.ev.agent_id);
    f.ev.app = sink;
    f.ev.app_conn = conn;
    f.orphaned_at = 0;
    throttle(self, f);
    return {"", "", caf::actor_cast<caf::actor>(self)};
  }
  if (auto it = st.ended.find(id); it != st.ended.end() && it->second.app_id == app_id) {
    replay(it->second.log, it->second.agent_id);
    sink->push(it->second.terminal);
    return {"", "", {}};
  }
  return {"INVALID_EVENT", "no event '" + id + "' to resume (unknown, or ended too long ago)", {}};
}

caf::behavior session(session_actor* self, std::string key, agents::event_limits limits,
                      agents::hub_actor hub) {
  self->state.key = std::move(key);
  self->state.limits = limits;
  self->state.hub = std::move(hub);
  self->set_down_handler([self](caf::down_msg& dm) {
    // The agent's socket is gone: every event it held ends now.
    std::vector<std::string> lost;
    for (auto& [id, f] : self->state.events)
      if (f.conn.address() == dm.source) lost.push_back(id);
    self->state.paused.erase(dm.source);
    for (auto& id : lost)
      fail(self, self->state.events.at(id), "the agent disconnected", "AGENT_OFFLINE",
           metrics::outcome::offline);
    maybe_retire(self);
  });
  return {
      [=](agents::event_atom, agents::relay_event& ev, const caf::actor& conn) {
        auto& st = self->state;
        ++st.received;
        self->monitor(conn);
        auto frame = ca::encode_agent_event(ev.event_id, ev.app_id, ev.thread_id, ev.session_key,
                                            ev.payload);
        // Sent in accepted order: CAF keeps the order of messages between two actors.
        self->send(conn, agents::deliver_atom::value, ev.event_id, std::move(frame),
                   caf::actor_cast<caf::actor>(self));
        auto id = ev.event_id;
        auto& f = st.events[id];
        f.ev = std::move(ev);
        f.conn = conn;
        f.log = token_log(st.limits.replay_cap_bytes);
        f.last = now_ms();
        arm(self, f);
      },
      [=](token_atom, const std::string& event_id, const std::string& token, const sink_ptr& from,
          std::size_t bytes) {
        if (from) from->consumed(bytes);  // none: from another node, consumed there
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;  // late: the event already ended
        auto& f = it->second;
        f.last = now_ms();
        auto seq = f.log.append(token);
        if (!f.ev.app) return;
        metrics::get().agent_tokens.inc();
        push(f, ca::encode_app_token(event_id, f.ev.agent_id, token, seq));
        throttle(self, f);
      },
      [=](agents::check_atom) { recheck(self); },
      [=](agents::sweep_atom) { sweep(self); },
      [=](agents::reply_atom, const std::string& event_id, const std::string& content,
          const ca::agent_metadata& meta, const sink_ptr& from, std::size_t bytes) {
        if (from) from->consumed(bytes);
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        auto& f = it->second;
        ca::reply_metadata m;
        m.tokens_used = meta.tokens_used.value_or(f.log.last_seq());
        m.model = meta.model.value_or("");
        m.latency_ms = now_ms() - f.ev.accepted_at;
        m.session_key = f.ev.session_key;
        finish(self, f,
               ca::encode_reply(event_id, f.ev.agent_id, f.ev.thread_id, content, f.ev.payload, m),
               metrics::outcome::reply);
      },
      [=](agents::fail_atom, const std::string& event_id, const std::string& message,
          const std::string& code) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        finish(self, it->second,
               ca::encode_app_error(event_id, it->second.ev.agent_id, message, code),
               metrics::outcome::error);
      },
      [=](agents::cancel_atom, const std::string& event_id, bool by_app) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        // Only the socket that holds the event speaks for it: after a resume moved it,
        // the old socket's cancel or close is stale.
        if (self->current_sender() !=
            caf::actor_cast<caf::strong_actor_ptr>(it->second.ev.app_conn))
          return;
        if (!by_app) return orphan(self, it->second);
        self->send(it->second.conn, agents::cancel_atom::value, event_id);
        fail(self, it->second, "cancelled by the app", "CANCELLED", metrics::outcome::cancelled);
      },
      [=](agents::resume_atom, const std::string& event_id, std::int64_t after,
          const std::string& app_id, const sink_ptr& sink,
          const caf::actor& conn) -> agents::route {
        return resume(self, event_id, after, app_id, sink, conn);
      },
      [=](agents::timeout_atom, const std::string& event_id) {
        auto it = self->state.events.find(event_id);
        if (it == self->state.events.end()) return;
        auto& f = it->second;
        auto now = now_ms();
        auto& l = self->state.limits;
        if (f.orphaned_at != 0 && now >= f.orphaned_at + l.grace_ms) {
          self->send(f.conn, agents::cancel_atom::value, event_id);
          return fail(self, f, "the app disconnected and did not resume in time", "CANCELLED",
                      metrics::outcome::app_gone);
        }
        // Silence while the app is behind is Relay's doing (the agent is paused), not
        // the agent's.
        if (behind(f)) f.last = now;
        if (now < f.ev.accepted_at + l.deadline_ms && now < f.last + l.idle_ms) return arm(self, f);
        // Late frames for it are dropped: the agent's socket actor forgets it too.
        self->send(f.conn, agents::cancel_atom::value, event_id);
        fail(self, f, "the agent did not finish in time", "AGENT_TIMEOUT",
             metrics::outcome::timeout);
      },
  };
}

}  // namespace

caf::actor spawn_agent_session(caf::local_actor* parent, std::string key,
                               agents::event_limits limits) {
  return parent->spawn<caf::linked>(session, std::move(key), limits,
                                    caf::actor_cast<agents::hub_actor>(parent));  // the hub
}

}  // namespace relay
