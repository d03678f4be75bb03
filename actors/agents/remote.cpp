#include "actors/agents/remote.hpp"

#include <chrono>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/session_registry.hpp"

namespace relay {

namespace {

using call = codec::agent_call;
using kind = codec::agent_call::kind;

// The hash and the announcement channel share a name: Redis keeps keys and channels apart.
constexpr std::string_view where_key = "relay:agents";
constexpr std::string_view news_channel = "relay:agents";
constexpr auto reload_every = std::chrono::seconds(10);

std::string node_channel(const std::string& node) {
  return std::string{news_channel} + ":" + node;
}

// ARGV: agent, node, channel, announcement, alive key, alive ms. The node announcing an
// agent is alive whether or not its heartbeat has reached Redis yet.
constexpr const char* online_script = R"lua(
redis.call('SET', ARGV[5], '1', 'PX', ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
)lua";

// ARGV: agent, node, channel, announcement. Only the node the hash names clears it.
constexpr const char* offline_script = R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
)lua";

// ARGV: the alive keys' prefix. Returns agent, node, agent, node … of live nodes only,
// and forgets the agents of nodes that died.
constexpr const char* where_script = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  if redis.call('EXISTS', ARGV[1] .. all[i + 1]) == 1 then
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live
)lua";

// ---- the proxy: an agent whose socket is on another node, as this node's sessions see it

struct proxy_state {
  cluster::link_ptr link;
  std::string agent_id;
  std::string node;                                    // where the agent's socket is
  std::unordered_map<std::string, caf::actor> events;  // in flight: event id -> session
  std::unordered_set<caf::actor_addr> pausing;         // sessions whose app is behind
  static inline const char* name = "agent_proxy";
};

using proxy_actor = caf::stateful_actor<proxy_state>;

void to_agent(proxy_actor* self, call c) {
  auto& st = self->state;
  c.node = st.link->node_id();
  c.agent_id = st.agent_id;
  st.link->send(node_channel(st.node), codec::encode_agent_call(c));
}

// What the agent's node sent about one of this node's events, to its session. The
// session's `from` sink is null: the bytes were consumed on the agent's node.
void from_agent(proxy_actor* self, call& c) {
  auto& events = self->state.events;
  auto it = events.find(c.event_id);
  if (it == events.end()) return;  // cancelled or timed out here meanwhile
  auto session = it->second;
  if (c.what != kind::token) events.erase(it);
  switch (c.what) {
    case kind::token:
      self->send(session, token_atom::value, c.event_id, std::move(c.text), sink_ptr{},
                 std::size_t{0});
      break;
    case kind::reply:
      self->send(session, agents::reply_atom::value, c.event_id, std::move(c.text), c.metadata,
                 sink_ptr{}, std::size_t{0});
      break;
    case kind::fail:
      self->send(session, agents::fail_atom::value, c.event_id, std::move(c.text),
                 std::move(c.code));
      break;
    default:  // gone
      self->send(session, agents::fail_atom::value, c.event_id,
                 std::string{"the agent disconnected"}, std::string{"AGENT_OFFLINE"});
      break;
  }
}

caf::behavior proxy(proxy_actor* self, cluster::link_ptr link, std::string agent_id,
                    std::string node) {
  self->state.link = std::move(link);
  self->state.agent_id = std::move(agent_id);
  self->state.node = std::move(node);
  return {
      [=](agents::deliver_atom, std::string& event_id, std::string& frame,
          const caf::actor& session) {
        self->state.events[event_id] = session;
        call c;
        c.what = kind::event;
        c.event_id = std::move(event_id);
        c.text = std::move(frame);
        to_agent(self, std::move(c));
      },
      [=](agents::cancel_atom, std::string& event_id) {
        if (self->state.events.erase(event_id) == 0) return;
        call c;
        c.what = kind::cancel;
        c.event_id = std::move(event_id);
        to_agent(self, std::move(c));
      },
      [=](agents::pause_atom, bool pause, const caf::actor& session) {
        auto& p = self->state.pausing;
        bool was = !p.empty();
        if (pause)
          p.insert(session.address());
        else
          p.erase(session.address());
        if (was == !p.empty()) return;
        call c;
        c.what = kind::pause;
        c.paused = !p.empty();
        to_agent(self, std::move(c));
      },
      [=](cluster_atom, call& c) { from_agent(self, c); },
      // The agent is offline or on another node now: the sessions watching this proxy end
      // what is still in flight with AGENT_OFFLINE.
      [=](leave_atom) { self->quit(); },
  };
}

// ---- this node's end: announcements, the view of the other nodes, events served here

struct served_event {
  std::string origin;  // the app's node
  std::string agent_id;
  caf::actor conn;  // the agent's socket actor here
};

struct elsewhere_entry {
  std::string node;
  caf::actor proxy;
};

struct remote_state {
  cluster::link_ptr link;
  agents::hub_actor hub;
  std::unordered_map<std::string, caf::actor> local;  // agent -> its socket's actor here
  // Agent -> this node's announcements of it that Redis has not sent back yet: another
  // node's announcement heard meanwhile came before ours, so ours wins.
  std::unordered_map<std::string, int> unechoed;
  std::unordered_map<std::string, elsewhere_entry> elsewhere;  // agents on other nodes
  // Agent -> when its last announcement was applied (a count), so a reload asked for
  // before it cannot undo it.
  std::unordered_map<std::string, std::uint64_t> heard_at;
  std::uint64_t tick = 0;
  std::unordered_map<std::string, served_event> served;  // other nodes' events here
  // A socket here -> the nodes whose apps are behind on its events.
  std::unordered_map<caf::actor_addr, std::unordered_set<std::string>> paused_by;
  static inline const char* name = "agent_remote";
};

using remote_actor = caf::stateful_actor<remote_state>;

const std::string& me(remote_actor* self) {
  return self->state.link->node_id();
}

void to_node(remote_actor* self, const std::string& node, call c) {
  c.node = me(self);
  self->state.link->send(node_channel(node), codec::encode_agent_call(c));
}

void tell(remote_actor* self, const std::string& origin, kind what, const std::string& agent_id,
          const std::string& event_id, std::string text = {}, std::string code = {}) {
  call c;
  c.what = what;
  c.agent_id = agent_id;
  c.event_id = event_id;
  c.text = std::move(text);
  c.code = std::move(code);
  to_node(self, origin, std::move(c));
}

std::string announcement(remote_actor* self, kind what, const std::string& agent_id) {
  call c;
  c.what = what;
  c.node = me(self);
  c.agent_id = agent_id;
  return codec::encode_agent_call(c);
}

void announce_online(remote_actor* self, const std::string& agent_id) {
  ++self->state.unechoed[agent_id];
  auto target = caf::actor_cast<caf::actor>(self);
  self->state.link->command({"EVAL", online_script, "1", std::string{where_key}, agent_id, me(self),
                             std::string{news_channel}, announcement(self, kind::online, agent_id),
                             std::string{node_alive_prefix} + me(self),
                             std::to_string(std::chrono::milliseconds(node_alive_ttl).count())},
                            [target, agent_id](redis::result r) {
                              // Not announced: no echo will come. (The next reload announces it
                              // again.)
                              if (!r) caf::anon_send(target, agents::fail_atom::value, agent_id);
                            });
}

void announce_offline(remote_actor* self, const std::string& agent_id) {
  self->state.link->command(
      {"EVAL", offline_script, "1", std::string{where_key}, agent_id, me(self),
       std::string{news_channel}, announcement(self, kind::offline, agent_id)},
      [](redis::result) {});
}

void forget_elsewhere(remote_actor* self, const std::string& agent_id) {
  auto& st = self->state;
  auto it = st.elsewhere.find(agent_id);
  if (it == st.elsewhere.end()) return;
  self->send(it->second.proxy, leave_atom::value);
  st.elsewhere.erase(it);
  self->send(st.hub, agents::remote_atom::value, agent_id, caf::actor{});
}

void set_elsewhere(remote_actor* self, const std::string& agent_id, const std::string& node) {
  auto& st = self->state;
  if (auto it = st.elsewhere.find(agent_id); it != st.elsewhere.end()) {
    if (it->second.node == node) return;
    self->send(it->second.proxy, leave_atom::value);
  }
  auto p = self->spawn<caf::linked>(proxy, st.link, agent_id, node);
  st.elsewhere[agent_id] = {node, p};
  self->send(st.hub, agents::remote_atom::value, agent_id, p);
}

// Another node holds the agent's newest socket: the one here closes (as a second socket
// of an agent on one node does).
void yield_local(remote_actor* self, const std::string& agent_id) {
  auto it = self->state.local.find(agent_id);
  if (it == self->state.local.end()) return;
  self->send(it->second, leave_atom::value);
}

void on_news(remote_actor* self, const call& c) {
  auto& st = self->state;
  if (c.node == me(self)) {
    if (c.what == kind::online)
      if (auto it = st.unechoed.find(c.agent_id); it != st.unechoed.end() && --it->second <= 0)
        st.unechoed.erase(it);
    return;
  }
  st.heard_at[c.agent_id] = ++st.tick;
  if (c.what == kind::online) {
    if (st.unechoed.count(c.agent_id)) return;  // ours came after it: ours stands
    yield_local(self, c.agent_id);
    set_elsewhere(self, c.agent_id, c.node);
  } else if (c.what == kind::offline) {
    if (auto it = st.elsewhere.find(c.agent_id);
        it != st.elsewhere.end() && it->second.node == c.node)
      forget_elsewhere(self, c.agent_id);
  }
}

void set_paused(remote_actor* self, const call& c) {
  auto& st = self->state;
  auto it = st.local.find(c.agent_id);
  if (it == st.local.end()) return;
  auto& nodes = st.paused_by[it->second.address()];
  bool was = !nodes.empty();
  if (c.paused)
    nodes.insert(c.node);
  else
    nodes.erase(c.node);
  if (was != !nodes.empty())
    self->send(it->second, agents::pause_atom::value, !nodes.empty(),
               caf::actor_cast<caf::actor>(self));
}

// A call on this node's channel: an app's node asking the agent here, or the agent's node
// answering an app here.
void on_call(remote_actor* self, call& c) {
  auto& st = self->state;
  switch (c.what) {
    case kind::event: {
      auto it = st.local.find(c.agent_id);
      if (it == st.local.end()) return tell(self, c.node, kind::gone, c.agent_id, c.event_id);
      st.served[c.event_id] = {c.node, c.agent_id, it->second};
      self->send(it->second, agents::deliver_atom::value, c.event_id, std::move(c.text),
                 caf::actor_cast<caf::actor>(self));
      break;
    }
    case kind::cancel:
      if (auto it = st.served.find(c.event_id);
          it != st.served.end() && it->second.origin == c.node) {
        self->send(it->second.conn, agents::cancel_atom::value, c.event_id);
        st.served.erase(it);
      }
      break;
    case kind::pause:
      set_paused(self, c);
      break;
    case kind::token:
    case kind::reply:
    case kind::fail:
    case kind::gone:
      if (auto it = st.elsewhere.find(c.agent_id);
          it != st.elsewhere.end() && it->second.node == c.node)
        self->send(it->second.proxy, cluster_atom::value, std::move(c));
      break;
    default:  // announcements belong on the news channel
      break;
  }
}

void reload(remote_actor* self) {
  auto target = caf::actor_cast<caf::actor>(self);
  self->state.link->command(
      {"EVAL", where_script, "1", std::string{where_key}, std::string{node_alive_prefix}},
      [target, asked = self->state.tick](redis::result r) {
        if (!r || r->type != redis::reply::kind::array) return;  // the next reload will do
        std::vector<std::string> flat;
        for (auto& e : r->elements) flat.push_back(e.str);
        caf::anon_send(target, load_atom::value, asked, std::move(flat));
      });
}

// Redis's view, read after announcement number `asked`: it settles every agent nothing
// has been heard about since.
void on_load(remote_actor* self, std::uint64_t asked, const std::vector<std::string>& flat) {
  auto& st = self->state;
  auto fresh = [&](const std::string& agent) {
    auto h = st.heard_at.find(agent);
    return h == st.heard_at.end() || h->second <= asked;
  };
  std::unordered_map<std::string, std::string> where;
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) where[flat[i]] = flat[i + 1];
  for (auto& [agent, node] : where) {
    if (!fresh(agent)) continue;
    if (node == me(self)) {
      // Announced by a socket that closed while Redis did not answer.
      if (!st.local.count(agent)) announce_offline(self, agent);
      continue;
    }
    if (st.unechoed.count(agent)) continue;
    yield_local(self, agent);
    set_elsewhere(self, agent, node);
  }
  std::vector<std::string> gone;
  for (auto& [agent, e] : st.elsewhere)
    if (!where.count(agent) && fresh(agent)) gone.push_back(agent);
  for (auto& agent : gone) forget_elsewhere(self, agent);
  for (auto& [agent, conn] : st.local)
    if (!where.count(agent) && !st.unechoed.count(agent)) announce_online(self, agent);
}

// An agent's socket here closed: the other nodes' events it held end (after the frames
// it sent before, which reached this actor first), and the cluster hears it is offline.
void on_socket_closed(remote_actor* self, const caf::actor_addr& conn) {
  auto& st = self->state;
  for (auto it = st.served.begin(); it != st.served.end();) {
    if (it->second.conn.address() != conn) {
      ++it;
      continue;
    }
    tell(self, it->second.origin, kind::gone, it->second.agent_id, it->first);
    it = st.served.erase(it);
  }
  st.paused_by.erase(conn);
  for (auto it = st.local.begin(); it != st.local.end(); ++it) {
    if (it->second.address() != conn) continue;
    auto agent = it->first;
    st.local.erase(it);
    st.unechoed.erase(agent);
    announce_offline(self, agent);
    break;
  }
}

// The agent's frame for an event another node routed here goes back to that node.
template <class F>
void answer(remote_actor* self, const std::string& event_id, bool last, F&& make) {
  auto& st = self->state;
  auto it = st.served.find(event_id);
  if (it == st.served.end()) return;
  call c = make();
  c.agent_id = it->second.agent_id;
  c.event_id = event_id;
  to_node(self, it->second.origin, std::move(c));
  if (last) st.served.erase(it);
}

caf::behavior remote(remote_actor* self, cluster::link_ptr link, agents::hub_actor hub) {
  self->state.link = std::move(link);
  self->state.hub = std::move(hub);
  auto me_actor = caf::actor_cast<caf::actor>(self);
  self->state.link->listen(std::string{news_channel}, me_actor);
  self->state.link->listen(node_channel(me(self)), me_actor);
  reload(self);
  self->delayed_send(self, reload_every, sweep_atom::value);
  self->set_down_handler([self](caf::down_msg& dm) { on_socket_closed(self, dm.source); });
  return {
      [=](join_atom, const std::string& agent_id, const caf::actor& conn) {
        // A second socket of the agent here replaces the first (the hub closes that one;
        // its events' `gone` still go out when it does).
        auto& st = self->state;
        st.local[agent_id] = conn;
        self->monitor(conn);
        forget_elsewhere(self, agent_id);
        announce_online(self, agent_id);
      },
      [=](agents::fail_atom, const std::string& agent_id) {
        if (auto it = self->state.unechoed.find(agent_id);
            it != self->state.unechoed.end() && --it->second <= 0)
          self->state.unechoed.erase(it);
      },
      [=](cluster_atom, const std::string& channel, const std::string& payload) {
        auto c = codec::decode_agent_call(payload);
        if (!c) {
          spdlog::warn("cluster: dropped a malformed agent call on {} ({} bytes)", channel,
                       payload.size());
          return;
        }
        if (channel == news_channel)
          on_news(self, *c);
        else
          on_call(self, *c);
      },
      [=](cluster_atom, resync_atom) {
        // Announcements may have been lost with the subscriber connection: Redis's view
        // decides again, ours included.
        self->state.unechoed.clear();
        reload(self);
      },
      [=](sweep_atom) {
        reload(self);
        self->delayed_send(self, reload_every, sweep_atom::value);
      },
      [=](load_atom, std::uint64_t asked, const std::vector<std::string>& flat) {
        on_load(self, asked, flat);
      },
      // Standing in for the session of an event another node routed here.
      [=](token_atom, const std::string& event_id, std::string& token, const sink_ptr& from,
          std::size_t bytes) {
        answer(self, event_id, false, [&] {
          call c;
          c.what = kind::token;
          c.text = std::move(token);
          return c;
        });
        from->consumed(bytes);
      },
      [=](agents::reply_atom, const std::string& event_id, std::string& content,
          const codec::agents::agent_metadata& meta, const sink_ptr& from, std::size_t bytes) {
        answer(self, event_id, true, [&] {
          call c;
          c.what = kind::reply;
          c.text = std::move(content);
          c.metadata = meta;
          return c;
        });
        from->consumed(bytes);
      },
      [=](agents::fail_atom, const std::string& event_id, std::string& message, std::string& code) {
        answer(self, event_id, true, [&] {
          call c;
          c.what = kind::fail;
          c.text = std::move(message);
          c.code = std::move(code);
          return c;
        });
      },
  };
}

}  // namespace

caf::actor spawn_agent_remote(caf::local_actor* hub, cluster::link_ptr link) {
  return hub->spawn<caf::linked>(remote, std::move(link), caf::actor_cast<agents::hub_actor>(hub));
}

}  // namespace relay
