// /api/rooms/:slug/presence: heartbeats and who is online. The room actor keeps the
// state and applies the rules (actors/chat/presence.cpp); this file maps outcomes to HTTP.

#include "api/handlers.hpp"
#include "protocol/presence_codec.hpp"

namespace relay::api {

void send_presence_heartbeat(self_ptr self, exchange_ptr x, const caller& c) {
  auto ttl = x->ctx.presence_ttl_seconds;
  self->request(c.room, in_time(x), presence_atom::value, c.who)
      .then(
          [self, x, ttl](error_info& e) {
            if (e) return fail(self, x, e);
            ok(self, x, R"({"ok":true,"ttlSeconds":)" + std::to_string(ttl) + "}");
          },
          on_fail(self, x));
}

void list_presence(self_ptr self, exchange_ptr x, const caller& c) {
  auto ttl = x->ctx.presence_ttl_seconds;
  self->request(c.room, in_time(x), presence_atom::value, list_atom::value, c.who)
      .then(answer_result<std::vector<storage::user_row>>(
                self, x, [ttl](auto& users) { return codec::encode_presence_list(users, ttl); }),
            on_fail(self, x));
}

}  // namespace relay::api
