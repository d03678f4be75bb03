// /api/rooms/:slug/whitelist and /access-requests: running a gated room.

#include "api/common.hpp"
#include "protocol/room_codec.hpp"

namespace relay::api {

void serve_room_access(self_ptr self, exchange_ptr x, const principal& who, room_actor room,
                       const room_info&) {
  auto& path = x->req.path;
  auto& m = x->req.method;
  auto n = path.size();
  using wl = storage::whitelist_row;
  using arq = storage::access_request_row;
  if (path[3] == "whitelist" && n == 4) {
    if (m == "GET") {
      self->request(room, in_time(x), whitelist_atom::value, who)
          .then(answer_result<std::vector<wl>>(self, x, codec::encode_whitelist), on_fail(self, x));
      return;
    }
    if (m == "POST") {
      auto body = codec::decode_whitelist_body(x->req.body);
      if (auto* e = std::get_if<error_info>(&body)) return fail(self, x, *e);
      self->request(room, in_time(x), whitelist_atom::value, add_atom::value, who,
                    std::get<wl>(std::move(body)))
          .then(answer_result<wl>(self, x, codec::encode_whitelist_entry, 201), on_fail(self, x));
      return;
    }
    return wrong_method(self, x, "GET, POST");
  }
  if (path[3] == "whitelist" && n == 5) {
    if (m != "DELETE") return wrong_method(self, x, "DELETE");
    self->request(room, in_time(x), whitelist_atom::value, remove_atom::value, who, path[4])
        .then(answer_result<wl>(self, x, [](const wl&) { return std::string(R"({"ok":true})"); }),
              on_fail(self, x));
    return;
  }
  if (path[3] == "access-requests" && n == 4) {
    if (m == "GET") {
      self->request(room, in_time(x), access_atom::value, list_atom::value, who)
          .then(answer_result<std::vector<arq>>(self, x, codec::encode_access_requests),
                on_fail(self, x));
      return;
    }
    if (m == "POST") {
      auto note = codec::decode_access_request_body(x->req.body);
      if (auto* e = std::get_if<error_info>(&note)) return fail(self, x, *e);
      self->request(room, in_time(x), access_atom::value, who, std::get<std::string>(note))
          .then(answer_result<arq>(self, x, codec::encode_access_request, 201), on_fail(self, x));
      return;
    }
    return wrong_method(self, x, "GET, POST");
  }
  if (path[3] == "access-requests" && n == 6 && (path[5] == "approve" || path[5] == "deny")) {
    if (m != "POST") return wrong_method(self, x, "POST");
    self->request(room, in_time(x), access_atom::value, decide_atom::value, who, path[4],
                  path[5] == "approve")
        .then(answer_result<arq>(self, x, codec::encode_access_request), on_fail(self, x));
    return;
  }
  fail(self, x, errc::not_found, "no such endpoint");
}

}  // namespace relay::api
