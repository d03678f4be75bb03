#include "actors/agents/hub.hpp"

#include <memory>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/agents/remote.hpp"
#include "actors/agents/session.hpp"
#include "actors/store_call.hpp"
#include "actors/store_reader.hpp"

namespace relay {

namespace agents {

std::string session_key(const std::string& agent_id, const std::string& app_id,
                        const std::string& thread_id) {
  return "relay:" + agent_id + ":" + app_id + ":" + thread_id;
}

}  // namespace agents

namespace {

struct hub_state {
  agent_hub_params p;
  std::unordered_map<std::string, caf::actor> online;  // agent_id -> its socket's actor
  std::unordered_map<caf::actor_addr, std::string> agent_of;
  caf::actor remote;  // cluster mode: the agent relay between nodes
  std::unordered_map<std::string, caf::actor> elsewhere;  // agent_id -> proxy (another node)
  std::unordered_map<std::string, std::unordered_set<std::string>> allowed;  // app -> agents
  struct session_entry {
    caf::actor actor;
    std::uint64_t routed = 0;  // events sent to it, to tell a safe retire from a racy one
  };
  std::unordered_map<std::string, session_entry> sessions;  // session key -> session
  // Events an app may still resume (in flight, or ended within replay_ms) -> session.
  std::unordered_map<std::string, caf::actor> resumable;
  static inline const char* name = "agent_hub";
};

using hub_self = agents::hub_actor::stateful_pointer<hub_state>;
using status_list = std::vector<codec::agents::agent_status>;

// The registered agents with their status; only those in `only` when it is set.
caf::result<status_list> discover(hub_self self,
                                  std::shared_ptr<const std::unordered_set<std::string>> only) {
  auto rp = self->make_response_promise<status_list>();
  // Bounded: the app's `discover` waits on this answer (empty when the read fails).
  store_call(
      self, store_read_timeout, self->state.p.readers,
      [](storage::store& db) { return db.list_agents(); },
      [self, rp, only](std::vector<storage::agent_row>& rows) mutable {
        status_list out;
        for (auto& r : rows)
          if (!only || only->count(r.agent_id))
            out.push_back(
                {r.agent_id, r.name, r.description,
                 self->state.online.count(r.agent_id) + self->state.elsewhere.count(r.agent_id) >
                     0});
        rp.deliver(std::move(out));
      },
      [rp](const error_info&) mutable { rp.deliver(status_list{}); });
  return rp;
}

agents::hub_actor::behavior_type hub(hub_self self, agent_hub_params params) {
  self->state.p = std::move(params);
  if (self->state.p.cluster) self->state.remote = spawn_agent_remote(self, self->state.p.cluster);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.agent_of.find(dm.source);
    if (it == st.agent_of.end()) return;
    if (auto on = st.online.find(it->second);
        on != st.online.end() && on->second.address() == dm.source)
      st.online.erase(on);
    st.agent_of.erase(it);
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    // A failed session is forgotten (the next event starts a new one), a retired one
    // is already; anything else is the shutdown, which takes the linked sessions along.
    auto& st = self->state;
    auto n = std::erase_if(st.sessions,
                           [&](auto& kv) { return kv.second.actor.address() == em.source; });
    std::erase_if(st.resumable, [&](auto& kv) { return kv.second.address() == em.source; });
    if (n == 0 && em.reason != caf::exit_reason::normal) self->quit(em.reason);
  });
  // Sockets and sessions are private to this module and not typed; a typed actor's
  // `send` refuses an untyped receiver, so messages to them go by `unsafe_send_as`, which
  // is the same send (this actor as the sender, same order) without the static check.
  return {
      [=](join_atom, const storage::agent_row& agent, const caf::actor& conn) {
        auto& st = self->state;
        // Documented rule: the newest socket of an agent wins; the older one is closed.
        if (auto it = st.online.find(agent.agent_id); it != st.online.end() && it->second != conn)
          caf::unsafe_send_as(self, it->second, leave_atom::value);
        st.online[agent.agent_id] = conn;
        st.agent_of[conn.address()] = agent.agent_id;
        self->monitor(conn);
        if (st.remote) caf::unsafe_send_as(self, st.remote, join_atom::value, agent.agent_id, conn);
      },
      [=](agents::allow_atom, const std::string& app_id, const std::vector<std::string>& ids) {
        self->state.allowed[app_id] = {ids.begin(), ids.end()};
      },
      [=](agents::event_atom, agents::relay_event& ev) -> agents::route {
        auto& st = self->state;
        // A refused app event gets only this error: it never reached an agent, and the
        // app never saw its id (docs/agents.md). A room's bot handles its own refusals.
        auto refuse = [&](std::string code, std::string message) {
          if (!ev.internal)
            ev.app->push(
                make_frame(codec::agents::encode_app_error("", ev.agent_id, message, code)));
          return agents::route{std::move(code), std::move(message), {}};
        };
        auto allow = st.allowed.find(ev.app_id);
        if (!ev.internal && (allow == st.allowed.end() || !allow->second.count(ev.agent_id)))
          return refuse("AGENT_NOT_ALLOWED",
                        "this app may not address agent '" + ev.agent_id + "'");
        // Its socket here, else its socket on another node (through the proxy there).
        const caf::actor* agent = nullptr;
        if (auto it = st.online.find(ev.agent_id); it != st.online.end())
          agent = &it->second;
        else if (auto far = st.elsewhere.find(ev.agent_id); far != st.elsewhere.end())
          agent = &far->second;
        if (agent == nullptr)
          return refuse("AGENT_OFFLINE", "agent '" + ev.agent_id + "' has no live connection");
        auto& entry = st.sessions[ev.session_key];
        if (!entry.actor) entry.actor = spawn_agent_session(self, ev.session_key, st.p.limits);
        ++entry.routed;
        if (!ev.internal) {
          st.resumable[ev.event_id] = entry.actor;
          // `accepted` means "handed to the agent", and it must reach the app before the
          // agent's first token, which the session pushes straight onto the same sink: so
          // it is queued here, after the decision and before the session has the event.
          ev.app->push(
              make_frame(codec::agents::encode_accepted(ev.event_id, ev.agent_id, ev.session_key)));
        }
        caf::unsafe_send_as(self, entry.actor, agents::event_atom::value, std::move(ev), *agent);
        return {"", "", entry.actor};
      },
      [=](agents::resume_atom, std::string& event_id, std::int64_t after, std::string& app_id,
          sink_ptr& sink, caf::actor& conn) -> caf::result<agents::route> {
        auto it = self->state.resumable.find(event_id);
        if (it == self->state.resumable.end())
          return agents::route{
              "INVALID_EVENT",
              "no event '" + event_id + "' to resume (unknown, or ended too long ago)",
              {}};
        self->delegate(it->second, agents::resume_atom::value, std::move(event_id), after,
                       std::move(app_id), std::move(sink), std::move(conn));
        return caf::delegated<agents::route>{};
      },
      [=](agents::deliver_atom, const sink_ptr& sink, frame_ptr& f) {
        // An app socket's answer that must stay behind the events it sent us first.
        sink->push(std::move(f));
      },
      [=](agents::forget_atom, const std::vector<std::string>& event_ids) {
        for (auto& id : event_ids) self->state.resumable.erase(id);
      },
      [=](agents::retire_atom, const std::string& key, std::uint64_t received) {
        auto& ss = self->state.sessions;
        auto it = ss.find(key);
        if (it == ss.end() || it->second.routed != received) return false;
        ss.erase(it);
        return true;
      },
      [=](agents::discover_atom) { return discover(self, nullptr); },
      [=](agents::discover_atom, const std::string& app_id) {
        // The allowlist as of now: an app socket sends its app's list before any frame.
        auto it = self->state.allowed.find(app_id);
        return discover(
            self,
            std::make_shared<const std::unordered_set<std::string>>(
                it == self->state.allowed.end() ? std::unordered_set<std::string>{} : it->second));
      },
      [=](revoke_atom, const std::string& agent_id) {
        if (auto it = self->state.online.find(agent_id); it != self->state.online.end())
          caf::unsafe_send_as(self, it->second, revoke_atom::value);
      },
      [=](agents::remote_atom, const std::string& agent_id, const caf::actor& proxy) {
        if (proxy)
          self->state.elsewhere[agent_id] = proxy;
        else
          self->state.elsewhere.erase(agent_id);
      },
  };
}

}  // namespace

agents::hub_actor spawn_agent_hub(caf::actor_system& sys, agent_hub_params params) {
  return sys.spawn(hub, std::move(params));
}

}  // namespace relay
