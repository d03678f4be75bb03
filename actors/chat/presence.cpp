// Who is online in a room (docs/api.md "Presence"). A user is online while they have a
// socket on the room (WebSocket or SSE) or heartbeated within the TTL; the room's
// clients get a `presence` frame only when that changes.
//
// One node: the room counts its sockets per user and keeps heartbeat deadlines; a timer
// set for the earliest deadline takes users offline on time.
// Cluster mode: a node's death must take its users offline, so no node's memory can be
// the truth. Redis holds one sorted set per room, member = entry, score = when it runs
// out (Redis's clock, so nodes' clocks may disagree): `s|<node>|<user>` while a node has
// a socket of the user (renewed every TTL/3), `h|<user>` for a heartbeat. Every node
// with a client in the room reads the set each second and tells its own clients what
// changed, so no presence event crosses nodes and every node derives the same changes.

#include <algorithm>

#include "actors/chat/room_state.hpp"
#include "actors/sink.hpp"
#include "protocol/presence_codec.hpp"

namespace relay {

namespace {

using clock = presence_state::clock;
using listing = presence_state::listing;
using online_map = std::map<std::string, storage::user_row>;

// KEYS: the room's entries, its profiles (user id -> JSON). ARGV: TTL in ms, the number
// of entries to renew, (entry, user id, profile) per renewal, then entries to remove.
// Drops what ran out and returns user id, profile, … of everyone online.
constexpr const char* sync_script = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local last = 2 + 3 * tonumber(ARGV[2])
for i = 3, last, 3 do
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i + 2])
end
for i = last + 1, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out, seen = {}, {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local id = string.match(m, '([^|]*)$')
  if not seen[id] then
    seen[id] = true
    out[#out + 1] = id
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  end
end
if #out == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('PEXPIRE', KEYS[1], ttl * 2)
  redis.call('PEXPIRE', KEYS[2], ttl * 2)
end
return out
)lua";

constexpr auto poll_interval = std::chrono::seconds(1);

std::string socket_entry(room_self self, const std::string& user_id) {
  return "s|" + self->state.p.cluster->node_id() + "|" + user_id;
}

frame_ptr presence_frame(const storage::user_row& u, bool online) {
  // Ephemeral: shed first when a client is behind. One user's frames supersede each
  // other in a slow client's queue: only where they ended up matters.
  return make_frame(codec::encode_presence(u, online), {}, true, "presence:" + u.id);
}

// Tells the room's clients on this node who came and went since they were last told.
// Not a user's own sockets about that user: it knows it is there, and a client answered
// frame by frame (a ping's pong right after sync) is not handed one it did not ask for.
void announce(room_self self, online_map now) {
  auto& st = self->state;
  std::vector<std::pair<std::string, frame_ptr>> frames;  // (whose, frame)
  for (auto& [id, u] : st.presence.online)
    if (!now.count(id)) frames.emplace_back(id, presence_frame(u, false));
  for (auto& [id, u] : now)
    if (!st.presence.online.count(id)) frames.emplace_back(id, presence_frame(u, true));
  st.presence.online = std::move(now);
  for (auto& [whose, f] : frames)
    for (auto& [sink_id, sub] : st.subs)
      if (sub.who.user.id != whose) sub.sink->push(f);
}

// One node: who is online now; heartbeats that ran out and profiles nobody needs are
// forgotten.
online_map local_online(presence_state& pr) {
  auto now = clock::now();
  std::erase_if(pr.heartbeats, [now](auto& h) { return h.second <= now; });
  online_map out;
  for (auto& [id, n] : pr.sockets) out[id] = pr.profiles[id];
  for (auto& [id, until] : pr.heartbeats) out[id] = pr.profiles[id];
  std::erase_if(pr.profiles, [&](auto& p) { return !out.count(p.first); });
  return out;
}

void tick_in(room_self self, clock::duration d) {
  auto& pr = self->state.presence;
  if (pr.ticking) return;
  pr.ticking = true;
  self->delayed_send(self, d, presence_atom::value, sweep_atom::value);
}

// Keeps the timer running while it has work: the earliest heartbeat deadline (one node),
// a poll a second while this node has sockets here or users to take offline (cluster).
void schedule(room_self self) {
  auto& pr = self->state.presence;
  if (self->state.p.cluster) {
    if (!pr.sockets.empty() || !pr.online.empty()) tick_in(self, poll_interval);
    return;
  }
  if (pr.heartbeats.empty()) return;
  auto first = std::min_element(pr.heartbeats.begin(), pr.heartbeats.end(),
                                [](auto& a, auto& b) { return a.second < b.second; });
  tick_in(self,
          std::max<clock::duration>(first->second - clock::now(), std::chrono::milliseconds(1)));
}

// Cluster mode: sends the pending renewals and removals and reads who is online.
std::uint64_t send_poll(room_self self) {
  auto& st = self->state;
  auto& pr = st.presence;
  auto seq = ++pr.polls_sent;
  pr.polling = true;
  pr.poll_due = false;
  auto ttl_ms = std::chrono::duration_cast<std::chrono::milliseconds>(pr.ttl).count();
  std::vector<std::string> renew, remove;
  for (auto& [entry, what] : pr.pending) {
    if (!what) {
      remove.push_back(entry);
      continue;
    }
    renew.push_back(entry);
    renew.push_back(std::move(what->first));
    renew.push_back(std::move(what->second));
  }
  pr.pending.clear();
  std::vector<std::string> args{"EVAL",
                                sync_script,
                                "2",
                                "relay:presence:" + st.p.row.id,
                                "relay:presence-profiles:" + st.p.row.id,
                                std::to_string(ttl_ms),
                                std::to_string(renew.size() / 3)};
  args.insert(args.end(), std::make_move_iterator(renew.begin()),
              std::make_move_iterator(renew.end()));
  args.insert(args.end(), std::make_move_iterator(remove.begin()),
              std::make_move_iterator(remove.end()));
  auto target = caf::actor_cast<caf::actor>(self);
  st.p.cluster->command(std::move(args), [target, seq](redis::result r) {
    std::vector<std::string> flat;
    bool ok = r && r->type == redis::reply::kind::array;
    if (ok)
      for (auto& e : r->elements) flat.push_back(e.str);
    caf::anon_send(target, presence_atom::value, seq, ok, std::move(flat));
  });
  return seq;
}

// Cluster mode: renews `renew` (entry, user id, profile triples), removes `remove`, and
// reads who is online. Returns the number of the poll that carries them; its answer
// comes as a message. While a poll is out they wait for the next one (see `pending`).
std::uint64_t poll(room_self self, std::vector<std::string> renew = {},
                   std::vector<std::string> remove = {}) {
  auto& pr = self->state.presence;
  for (std::size_t i = 0; i + 2 < renew.size(); i += 3)
    pr.pending[renew[i]] = std::pair{std::move(renew[i + 1]), std::move(renew[i + 2])};
  for (auto& entry : remove) pr.pending[entry] = std::nullopt;
  if (!pr.polling) return send_poll(self);
  pr.poll_due = true;
  return pr.polls_sent + 1;
}

void renew_entry(std::vector<std::string>& renew, std::string entry, const storage::user_row& u) {
  renew.push_back(std::move(entry));
  renew.push_back(u.id);
  renew.push_back(codec::encode_profile(u));
}

// Cluster mode, once a second: this node's sockets' entries are renewed every TTL/3, so
// two renewals may fail before a user with a socket here falls offline elsewhere.
void poll_and_renew(room_self self) {
  auto& pr = self->state.presence;
  std::vector<std::string> renew;
  if (clock::now() - pr.refreshed >= pr.ttl / 3) {
    pr.refreshed = clock::now();
    for (auto& [id, n] : pr.sockets) renew_entry(renew, socket_entry(self, id), pr.profiles[id]);
  }
  poll(self, std::move(renew));
}

std::vector<storage::user_row> sorted(const online_map& online) {
  std::vector<storage::user_row> out;
  for (auto& [id, u] : online) out.push_back(u);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.login < b.login; });
  return out;
}

// Cluster mode: poll `seq` answered. Stale answers (an earlier poll overtaken) change
// nothing; callers waiting on this poll or an earlier one are answered either way.
void polled(room_self self, std::uint64_t seq, bool ok, const std::vector<std::string>& flat) {
  auto& pr = self->state.presence;
  pr.polling = false;
  if (ok && seq > pr.polls_applied) {
    pr.polls_applied = seq;
    online_map now;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
      auto u = codec::decode_profile(flat[i + 1]).value_or(storage::user_row{});
      u.id = flat[i];
      now[flat[i]] = std::move(u);
    }
    announce(self, std::move(now));
  }
  auto unavailable = make_error(errc::unavailable, "presence is unavailable (Redis)");
  std::erase_if(pr.waiting, [&](auto& w) {
    if (w.first > seq) return false;
    w.second.deliver(ok ? listing{sorted(pr.online)} : listing{unavailable});
    return true;
  });
  std::erase_if(pr.beating, [&](auto& b) {
    if (b.first > seq) return false;
    b.second.deliver(ok ? error_info{} : unavailable);
    return true;
  });
  if (pr.poll_due || !pr.pending.empty()) send_poll(self);
  schedule(self);
}

}  // namespace

void presence_opened(room_self self, const storage::user_row& u) {
  auto& pr = self->state.presence;
  pr.profiles[u.id] = u;
  if (++pr.sockets[u.id] > 1) return;  // another tab: no change
  if (self->state.p.cluster) {
    std::vector<std::string> renew;
    renew_entry(renew, socket_entry(self, u.id), u);
    poll(self, std::move(renew));
  } else {
    announce(self, local_online(pr));
  }
  schedule(self);
}

void presence_closed(room_self self, const std::string& user_id) {
  auto& pr = self->state.presence;
  auto it = pr.sockets.find(user_id);
  if (it == pr.sockets.end() || --it->second > 0) return;
  pr.sockets.erase(it);
  if (self->state.p.cluster)
    poll(self, {}, {socket_entry(self, user_id)});
  else
    announce(self, local_online(pr));
}

room_presence_actor::behavior_type room_presence(room_self self) {
  self->state.presence.ttl = self->state.p.presence_ttl;
  return {
      [=](presence_atom, const principal& who) -> caf::result<error_info> {
        auto& st = self->state;
        if (!can_enter(st, who.user))
          return make_error(errc::forbidden, "this room is whitelist-only");
        if (st.p.cluster) {
          std::vector<std::string> renew;
          renew_entry(renew, "h|" + who.user.id, who.user);
          auto rp = self->make_response_promise<error_info>();
          st.presence.beating.emplace_back(poll(self, std::move(renew)), rp);
          return rp;
        }
        st.presence.heartbeats[who.user.id] = clock::now() + st.presence.ttl;
        st.presence.profiles[who.user.id] = who.user;
        announce(self, local_online(st.presence));
        schedule(self);
        return error_info{};
      },
      [=](presence_atom, list_atom, const principal& who) -> caf::result<listing> {
        auto& st = self->state;
        if (!can_enter(st, who.user))
          return listing{make_error(errc::forbidden, "this room is whitelist-only")};
        if (!st.p.cluster) {
          announce(self, local_online(st.presence));
          return listing{sorted(st.presence.online)};
        }
        auto rp = self->make_response_promise<listing>();
        st.presence.waiting.emplace_back(poll(self), rp);
        return rp;
      },
      [=](presence_atom, sweep_atom) {
        auto& st = self->state;
        st.presence.ticking = false;
        if (st.p.cluster) {
          // `polled` schedules the next tick.
          poll_and_renew(self);
          return;
        }
        announce(self, local_online(st.presence));
        schedule(self);
      },
      [=](presence_atom, std::uint64_t seq, bool ok, const std::vector<std::string>& flat) {
        polled(self, seq, ok, flat);
      },
  };
}

}  // namespace relay
