// The caller's own things: API tokens (notifications: api/notifications.cpp).

#include "api/handlers.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "protocol/room_codec.hpp"

namespace relay::api {

void create_token(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  auto body = codec::decode_token_body(x->req.body.empty() ? "{}" : x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  auto name = std::string{trim(std::get<codec::token_body>(body).name)};
  if (name.empty()) name = "api";
  if (utf8_length(name) > 80)
    return fail(self, x, errc::bad_request, "name must be at most 80 characters");
  // The secret is shown once, in this response; only its hash is stored.
  auto secret = "rlt_" + random_hex(32);
  self->request(x->ctx.writer, in_time(x), token_atom::value, create_atom::value, who.user.id,
                std::move(name), sha256_hex(secret))
      .then(
          [self, x, secret](token_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            ok(self, x, codec::encode_new_token(out.token, secret), 201);
          },
          on_fail(self, x));
}

void list_tokens(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  self->request(x->ctx.readers, in_time(x), tokens_atom::value, who.user.id)
      .then([self,
             x](std::vector<storage::token_row>& ts) { ok(self, x, codec::encode_token_list(ts)); },
            on_fail(self, x));
}

void revoke_token(self_ptr self, exchange_ptr x, const caller& c) {
  auto& who = c.who;
  std::string id = c.args["id"];
  self->request(x->ctx.writer, in_time(x), token_atom::value, revoke_atom::value, who.user.id, id)
      .then(
          [self, x, id](token_outcome& out) {
            if (out.error) return fail(self, x, out.error);
            // Committed: end the sockets this token opened, not only its next request.
            self->send(x->ctx.registry, revoke_atom::value, id);
            if (x->ctx.cluster) x->ctx.cluster->revoke(id);
            ok(self, x, R"({"ok":true})");
          },
          on_fail(self, x));
}

}  // namespace relay::api
