#include "actors/session_registry.hpp"

#include <chrono>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "redis/client.hpp"

namespace relay {

namespace {

// Sums the live nodes' counts of a user, dropping dead nodes' fields, and with ARGV[3]
// set counts one more connection for ARGV[2] if the sum is under ARGV[3]. Returns the
// sum before counting, and -1 when the cap refused it. A node counting a connection is
// alive (ARGV[4] ms), whether or not its heartbeat has reached Redis yet.
constexpr const char* count_script = R"lua(
if ARGV[3] ~= '' then redis.call('SET', ARGV[1] .. ARGV[2], '1', 'PX', ARGV[4]) end
local fields = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #fields, 2 do
  if redis.call('EXISTS', ARGV[1] .. fields[i]) == 1 then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[1], fields[i])
  end
end
if ARGV[3] ~= '' then
  if total >= tonumber(ARGV[3]) then return -1 end
  redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
end
return total
)lua";

constexpr auto alive_ttl = node_alive_ttl;
constexpr auto alive_every = node_alive_every;
constexpr std::string_view alive_prefix = node_alive_prefix;

std::string counts_key(const std::string& user_id) {
  return "relay:conns:" + user_id;
}

struct registry_state {
  std::size_t max_per_user = 32;
  shared_counts shared;
  std::unordered_multimap<std::string, caf::actor> by_token;
  struct owner {
    std::string user_id;
    std::string token_id;
  };
  // Keyed by connection so a close costs one lookup, not a scan of every session.
  std::unordered_map<caf::actor_addr, owner> owner_of;
  std::unordered_map<std::string, int> per_user;
  std::unordered_multimap<std::string, caf::actor> by_user;  // where notifications go
  // Redis's answers pending, by request.
  struct admission {
    caf::typed_response_promise<bool> rp;
    std::string token_id, user_id;
    caf::actor conn;
  };
  std::unordered_map<std::uint64_t, admission> admitting;
  struct counting_request {
    caf::typed_response_promise<int> rp;
    int here;  // this node's count: the answer when Redis gives none
  };
  std::unordered_map<std::uint64_t, counting_request> counting;
  std::uint64_t next_request = 0;
  bool redis_failing = false;
  static inline const char* name = "session_registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

void track(registry_actor* self, const std::string& token_id, const std::string& user_id,
           const caf::actor& conn) {
  auto& st = self->state;
  ++st.per_user[user_id];
  self->monitor(conn);
  st.owner_of.emplace(conn.address(), registry_state::owner{user_id, token_id});
  if (!token_id.empty()) st.by_token.emplace(token_id, conn);
  st.by_user.emplace(user_id, conn);
}

bool admit_locally(registry_actor* self, const std::string& token_id, const std::string& user_id,
                   const caf::actor& conn) {
  auto& st = self->state;
  if (static_cast<std::size_t>(st.per_user[user_id]) >= st.max_per_user) return false;
  track(self, token_id, user_id, conn);
  return true;
}

// Runs the count script; its answer (or -2 when Redis gave none) comes back to the
// registry as `(atom, request, n)`.
template <class Atom>
void ask_redis(registry_actor* self, Atom atom, std::uint64_t request, const std::string& user_id,
               std::string cap) {
  auto& sh = self->state.shared;
  auto me = caf::actor_cast<caf::actor>(self);
  sh.redis->command(
      {"EVAL", count_script, "1", counts_key(user_id), std::string{alive_prefix}, sh.node_id,
       std::move(cap), std::to_string(std::chrono::milliseconds(alive_ttl).count())},
      [me, atom, request](redis::result r) {
        std::int64_t n = -2;
        if (r && r->type == redis::reply::kind::integer) n = r->integer;
        caf::anon_send(me, atom, request, n);
      },
      std::chrono::milliseconds(1000));
}

void redis_answered(registry_actor* self, std::int64_t n) {
  auto& st = self->state;
  if (n == -2 && !st.redis_failing)
    spdlog::warn("sessions: Redis does not answer; connection caps count this node only");
  else if (n != -2 && st.redis_failing)
    spdlog::info("sessions: Redis answers again; connection caps count every node");
  st.redis_failing = n == -2;
}

// Renews this node's key; until Redis has it (the client may still be connecting), again
// every 200 ms.
void say_alive(registry_actor* self) {
  auto& sh = self->state.shared;
  auto me = caf::actor_cast<caf::actor>(self);
  sh.redis->command({"SET", std::string{alive_prefix} + sh.node_id, "1", "PX",
                     std::to_string(std::chrono::milliseconds(alive_ttl).count())},
                    [me](redis::result r) {
                      caf::delayed_anon_send(me,
                                             r ? std::chrono::milliseconds(alive_every)
                                               : std::chrono::milliseconds(200),
                                             sweep_atom::value);
                    });
}

caf::behavior registry(registry_actor* self, std::size_t max_per_user, shared_counts shared) {
  self->state.max_per_user = max_per_user;
  self->state.shared = std::move(shared);
  const bool cluster = self->state.shared.redis != nullptr;
  if (cluster) say_alive(self);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.owner_of.find(dm.source);
    if (it == st.owner_of.end()) return;
    auto [b, e] = st.by_token.equal_range(it->second.token_id);
    for (auto t = b; t != e; ++t) {
      if (t->second.address() == dm.source) {
        st.by_token.erase(t);
        break;
      }
    }
    auto [ub, ue] = st.by_user.equal_range(it->second.user_id);
    for (auto u = ub; u != ue; ++u) {
      if (u->second.address() == dm.source) {
        st.by_user.erase(u);
        break;
      }
    }
    if (st.shared.redis)
      st.shared.redis->command({"HINCRBY", counts_key(it->second.user_id), st.shared.node_id, "-1"},
                               [](redis::result) {});
    if (--st.per_user[it->second.user_id] <= 0) st.per_user.erase(it->second.user_id);
    st.owner_of.erase(it);
  });
  return {
      [=](register_atom, const std::string& token_id, const std::string& user_id,
          const caf::actor& conn) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.shared.redis) return admit_locally(self, token_id, user_id, conn);
        auto id = st.next_request++;
        st.admitting[id] = {self->make_response_promise<bool>(), token_id, user_id, conn};
        ask_redis(self, register_atom::value, id, user_id, std::to_string(st.max_per_user));
        return st.admitting[id].rp;
      },
      [=](register_atom, std::uint64_t id, std::int64_t n) {
        auto& st = self->state;
        auto it = st.admitting.find(id);
        if (it == st.admitting.end()) return;
        auto a = std::move(it->second);
        st.admitting.erase(it);
        redis_answered(self, n);
        bool admitted;
        if (n == -2) {
          admitted = admit_locally(self, a.token_id, a.user_id, a.conn);
        } else if (n < 0) {
          admitted = false;
        } else {
          track(self, a.token_id, a.user_id, a.conn);  // Redis counted it already
          admitted = true;
        }
        a.rp.deliver(admitted);
      },
      [=](count_atom, const std::string& user_id) -> caf::result<int> {
        auto& st = self->state;
        auto local = st.per_user.find(user_id);
        int here = local == st.per_user.end() ? 0 : local->second;
        if (!st.shared.redis) return here;
        auto id = st.next_request++;
        auto& req = st.counting[id] = {self->make_response_promise<int>(), here};
        ask_redis(self, count_atom::value, id, user_id, "");
        return req.rp;
      },
      [=](count_atom, std::uint64_t id, std::int64_t n) {
        auto& st = self->state;
        auto it = st.counting.find(id);
        if (it == st.counting.end()) return;
        auto req = std::move(it->second);
        st.counting.erase(it);
        redis_answered(self, n);
        req.rp.deliver(n == -2 ? req.here : static_cast<int>(std::max<std::int64_t>(n, 0)));
      },
      [=](sweep_atom) { say_alive(self); },
      [=](notify_atom, const std::string& user_id, const std::string& frame) {
        auto [b, e] = self->state.by_user.equal_range(user_id);
        for (auto it = b; it != e; ++it) self->send(it->second, notify_atom::value, frame);
      },
      [=](revoke_atom, const std::string& token_id) {
        auto [b, e] = self->state.by_token.equal_range(token_id);
        for (auto it = b; it != e; ++it) self->send(it->second, revoke_atom::value);
        self->state.by_token.erase(token_id);
      },
  };
}

}  // namespace

caf::actor spawn_session_registry(caf::actor_system& sys, std::size_t max_per_user,
                                  shared_counts shared) {
  return sys.spawn(registry, max_per_user, std::move(shared));
}

}  // namespace relay
