#include "actors/session_registry.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace relay {

namespace {

struct registry_state {
  std::size_t max_per_user = 32;
  std::unordered_multimap<std::string, caf::actor> by_token;
  struct owner {
    std::string user_id;
    std::string token_id;
  };
  // Keyed by connection so a close costs one lookup, not a scan of every session.
  std::unordered_map<caf::actor_addr, owner> owner_of;
  std::unordered_map<std::string, int> per_user;
  static inline const char* name = "session_registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

caf::behavior registry(registry_actor* self, std::size_t max_per_user) {
  self->state.max_per_user = max_per_user;
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
    if (--st.per_user[it->second.user_id] <= 0) st.per_user.erase(it->second.user_id);
    st.owner_of.erase(it);
  });
  return {
      [=](register_atom, const std::string& token_id, const std::string& user_id,
          const caf::actor& conn) {
        auto& st = self->state;
        auto& n = st.per_user[user_id];
        if (static_cast<std::size_t>(n) >= st.max_per_user) return false;
        ++n;
        self->monitor(conn);
        st.owner_of.emplace(conn.address(), registry_state::owner{user_id, token_id});
        if (!token_id.empty()) st.by_token.emplace(token_id, conn);
        return true;
      },
      [=](count_atom, const std::string& user_id) {
        auto it = self->state.per_user.find(user_id);
        return it == self->state.per_user.end() ? 0 : it->second;
      },
      [=](revoke_atom, const std::string& token_id) {
        auto [b, e] = self->state.by_token.equal_range(token_id);
        for (auto it = b; it != e; ++it) self->send(it->second, revoke_atom::value);
        self->state.by_token.erase(token_id);
      },
  };
}

}  // namespace

caf::actor spawn_session_registry(caf::actor_system& sys, std::size_t max_per_user) {
  return sys.spawn(registry, max_per_user);
}

}  // namespace relay
