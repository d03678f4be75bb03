#include "actors/agents/app_conn.hpp"
#include "actors/quit_unwatching.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/store_call.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay {

namespace {

namespace ca = codec::agents;

struct app_conn_state {
  app_conn_params p;
  std::unordered_map<std::string, caf::actor> events;  // in flight: event id -> session
  int routing = 0;                                     // events the hub has not answered yet
  static inline const char* name = "app_conn";
};

using app_conn_actor = caf::stateful_actor<app_conn_state>;

// The app learns which answer is whose by their order alone (a refusal carries no
// event id), so answers leave in the order of the frames they answer. The hub answers
// events itself (`accepted` or the refusal), so while it still has one of ours,
// anything this actor answers queues behind it at the hub.
void push(app_conn_actor* self, std::string json) {
  auto& st = self->state;
  if (st.routing == 0) return st.p.sink->push(make_frame(std::move(json)));
  self->send(st.p.hub, agents::deliver_atom::value, st.p.sink, make_frame(std::move(json)));
}

void on_event(app_conn_actor* self, ca::app_event& e) {
  auto& st = self->state;
  if (st.p.events && st.p.events->take(st.p.app.app_id, now_ms()) != 0)
    return push(self,
                ca::encode_app_error("", e.agent_id, "too many events; slow down", "RATE_LIMITED"));
  agents::relay_event ev;
  ev.accepted_at = now_ms();
  ev.event_id = make_id("evt", ev.accepted_at);
  ev.app_id = st.p.app.app_id;
  ev.agent_id = std::move(e.agent_id);
  ev.thread_id = std::move(e.thread_id);
  ev.session_key = agents::session_key(ev.agent_id, ev.app_id, ev.thread_id);
  ev.payload = std::move(e.payload);
  ev.app = st.p.sink;
  ev.app_conn = caf::actor_cast<caf::actor>(self);
  // The hub answers the app itself: `accepted` once it hands the event on (the agent
  // may answer before the hub's reply gets here), or the refusal.
  auto id = ev.event_id;
  auto agent = ev.agent_id;
  ++st.routing;
  // No timeout: the hub decides from memory at once; this socket watches it, and a hub
  // that is gone answers with an error.
  self->request(st.p.hub, caf::infinite, agents::event_atom::value, std::move(ev))
      .then(
          [self, id](agents::route& r) {
            --self->state.routing;
            if (r.code.empty()) self->state.events[id] = r.session;
          },
          [self, agent](caf::error& err) {
            // The hub is gone (shutdown) before it saw the event: it was never handed on.
            --self->state.routing;
            push(self, ca::encode_app_error("", agent, "relay failed: " + to_string(err),
                                            "RELAY_INTERNAL_ERROR"));
          });
}

// The event's session replays the tokens after `after_seq` to this socket, then either
// streams the rest here (it is now this socket's event) or sends its terminal frame.
void on_resume(app_conn_actor* self, ca::app_resume& r) {
  auto& st = self->state;
  auto id = r.event_id;
  // No timeout: the hub or the event's session answers from memory at once.
  self->request(st.p.hub, caf::infinite, agents::resume_atom::value, r.event_id, r.after_seq,
                st.p.app.app_id, st.p.sink, caf::actor_cast<caf::actor>(self))
      .then(
          [self, id](agents::route& route) {
            if (!route.code.empty())
              return push(self, ca::encode_app_error(id, "", route.message, route.code));
            if (route.session) self->state.events[id] = route.session;
          },
          [self, id](caf::error& err) {
            push(self, ca::encode_app_error(id, "", "relay failed: " + to_string(err),
                                            "RELAY_INTERNAL_ERROR"));
          });
}

void on_frame(app_conn_actor* self, ca::app_frame& frame) {
  std::visit(
      [self](auto& f) {
        using T = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<T, ca::app_event>) {
          on_event(self, f);
        } else if constexpr (std::is_same_v<T, ca::app_discover>) {
          // No timeout here: the hub bounds its store read (store_read_timeout) and
          // answers an empty list when it fails. An app learns only the agents it may
          // address, by the allowlist the hub enforces (changes apply at once).
          self->request(self->state.p.hub, caf::infinite, agents::discover_atom::value,
                        self->state.p.app.app_id)
              .then(
                  [self](std::vector<ca::agent_status>& list) {
                    push(self, ca::encode_agents(list));
                  },
                  [self](caf::error&) {
                    push(self,
                         ca::encode_app_error("", "", "discovery failed", "RELAY_INTERNAL_ERROR"));
                  });
        } else if constexpr (std::is_same_v<T, ca::app_ping>) {
          push(self, ca::encode_pong());
        } else if constexpr (std::is_same_v<T, ca::app_pong>) {
          // heartbeat answer
        } else if constexpr (std::is_same_v<T, ca::app_cancel>) {
          auto it = self->state.events.find(f.event_id);
          // Not tagged with the id: the event may have ended already, and an event
          // gets exactly one terminal frame.
          if (it == self->state.events.end())
            return push(self,
                        ca::encode_app_error("", "", "no event '" + f.event_id + "' in flight",
                                             "INVALID_EVENT"));
          self->send(it->second, agents::cancel_atom::value, f.event_id, true);
          self->state.events.erase(it);
        } else if constexpr (std::is_same_v<T, ca::app_resume>) {
          on_resume(self, f);
        } else {
          push(self, ca::encode_app_error(f.event_id, f.agent_id, f.message, f.code));
        }
      },
      frame);
}

void schedule_check(app_conn_actor* self) {
  self->delayed_send(self, std::chrono::milliseconds(agents::credential_check_ms),
                     agents::check_atom::value);
}

// Picks up allowlist changes made by the operator command (another process).
void reread_app(app_conn_actor* self) {
  store_call(
      self, self->state.p.readers,
      [hash = self->state.p.token_hash](storage::store& db) {
        return storage::maybe(db.find_app_by_token_hash(hash));
      },
      [self](std::optional<storage::app_row>& row) {
        auto& st = self->state;
        if (!row || row->app_id != st.p.app.app_id) {
          st.p.sink->close(1008, "app token revoked");
          return;
        }
        if (row->allowlist != st.p.app.allowlist) {
          st.p.app.allowlist = row->allowlist;
          self->send(st.p.hub, agents::allow_atom::value, st.p.app.app_id, st.p.app.allowlist);
        }
        schedule_check(self);
      },
      [self](const error_info&) { schedule_check(self); });
}

void stop(app_conn_actor* self) {
  quit_unwatching(self, self->state.p.hub);
}

caf::behavior app_conn(app_conn_actor* self, app_conn_params params) {
  self->state.p = std::move(params);
  auto& st = self->state;
  self->send(st.p.hub, agents::allow_atom::value, st.p.app.app_id, st.p.app.allowlist);
  if (st.p.readers) schedule_check(self);
  self->monitor(st.p.hub);
  self->set_down_handler([self](caf::down_msg&) {
    self->state.p.sink->close(1001, "server shutting down");
    stop(self);
  });
  return {
      [=](ca::app_frame& f, std::size_t bytes) {
        on_frame(self, f);
        self->state.p.sink->consumed(bytes);
      },
      [=](agents::done_atom, const std::string& event_id) { self->state.events.erase(event_id); },
      [=](agents::check_atom) { reread_app(self); },
      [=](close_atom) {
        // The app is gone: nobody will read the answers, so the agent stops working.
        for (auto& [id, session] : self->state.events)
          self->send(session, agents::cancel_atom::value, id, false);
        stop(self);
      },
  };
}

}  // namespace

caf::actor spawn_app_conn(caf::actor_system& sys, app_conn_params params) {
  return sys.spawn(app_conn, std::move(params));
}

}  // namespace relay
