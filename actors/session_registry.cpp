#include "actors/session_registry.hpp"

#include <unordered_map>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace relay {

namespace {

struct registry_state {
  std::unordered_multimap<std::string, caf::actor> by_token;
  static inline const char* name = "session_registry";
};

using registry_actor = caf::stateful_actor<registry_state>;

caf::behavior registry(registry_actor* self, std::size_t expected_sessions) {
  self->state.by_token.reserve(expected_sessions);
  self->set_down_handler([self](caf::down_msg& dm) {
    std::erase_if(self->state.by_token, [&](auto& kv) { return kv.second.address() == dm.source; });
  });
  return {
      [=](register_atom, const std::string& token_id, const caf::actor& conn) {
        if (token_id.empty()) return;
        self->monitor(conn);
        self->state.by_token.emplace(token_id, conn);
      },
      [=](revoke_atom, const std::string& token_id) {
        auto [b, e] = self->state.by_token.equal_range(token_id);
        for (auto it = b; it != e; ++it) self->send(it->second, revoke_atom::value);
        self->state.by_token.erase(token_id);
      },
  };
}

}  // namespace

caf::actor spawn_session_registry(caf::actor_system& sys) {
  // An explicit argument: CAF 0.17 binds a null reference (UB) for argument-less spawns.
  return sys.spawn(registry, std::size_t{1024});
}

}  // namespace relay
