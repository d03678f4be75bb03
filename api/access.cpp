// /api/rooms/:slug/whitelist and /access-requests: running a gated room.

#include "api/handlers.hpp"
#include "protocol/room_codec.hpp"

namespace relay::api {

namespace {

using wl = storage::whitelist_row;
using arq = storage::access_request_row;

void decide(self_ptr self, exchange_ptr x, const caller& c, bool approve) {
  self->request(c.room, in_time(x), access_atom::value, decide_atom::value, c.who, c.args["id"],
                approve)
      .then(answer_result<arq>(self, x, codec::encode_access_request), on_fail(self, x));
}

}  // namespace

void list_whitelist(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), whitelist_atom::value, c.who)
      .then(answer_result<std::vector<wl>>(self, x, codec::encode_whitelist), on_fail(self, x));
}

void add_to_whitelist(self_ptr self, exchange_ptr x, const caller& c) {
  auto body = codec::decode_whitelist_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
  self->request(c.room, in_time(x), whitelist_atom::value, add_atom::value, c.who,
                std::get<wl>(std::move(body)))
      .then(answer_result<wl>(self, x, codec::encode_whitelist_entry, 201), on_fail(self, x));
}

void remove_from_whitelist(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), whitelist_atom::value, remove_atom::value, c.who,
                c.args["entryId"])
      .then(answer_result<wl>(self, x, [](const wl&) { return std::string(R"({"ok":true})"); }),
            on_fail(self, x));
}

void list_access_requests(self_ptr self, exchange_ptr x, const caller& c) {
  self->request(c.room, in_time(x), access_atom::value, list_atom::value, c.who)
      .then(answer_result<std::vector<arq>>(self, x, codec::encode_access_requests),
            on_fail(self, x));
}

void request_access(self_ptr self, exchange_ptr x, const caller& c) {
  auto note = codec::decode_access_request_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&note)) return fail(self, x, *e);
  self->request(c.room, in_time(x), access_atom::value, c.who, std::get<std::string>(note))
      .then(answer_result<arq>(self, x, codec::encode_access_request, 201), on_fail(self, x));
}

void approve_access_request(self_ptr self, exchange_ptr x, const caller& c) {
  decide(self, x, c, true);
}

void deny_access_request(self_ptr self, exchange_ptr x, const caller& c) {
  decide(self, x, c, false);
}

}  // namespace relay::api
