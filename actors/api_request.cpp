#include "actors/api_request.hpp"

#include <charconv>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/content_rules.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/text.hpp"
#include "transport/codec/json_codec.hpp"

namespace relay {

namespace {

using self_ptr = caf::event_based_actor*;

struct exchange {
  api_context ctx;
  http_request req;
  responder_ptr out;
};
using exchange_ptr = std::shared_ptr<exchange>;

void reply_error(const exchange_ptr& x, errc code, std::string msg) {
  error_info e{code, std::move(msg)};
  header_list h;
  if (code == errc::rate_limited) h.emplace_back("Retry-After", "1");
  x->out->respond(http_status(code), codec::encode_error_body(e), std::move(h));
}

void reply_error(const exchange_ptr& x, const error_info& e) {
  reply_error(x, e.code, e.message);
}

// Every store/actor failure ends the exchange with 503 instead of leaving the client hanging.
auto on_fail(self_ptr self, exchange_ptr x) {
  return [self, x](caf::error& err) {
    spdlog::warn("request failed: {}", to_string(err));
    reply_error(x, errc::unavailable, "service unavailable");
    self->quit();
  };
}

// Runs `next(room)` with the room actor for `slug`, or answers 404.
template <class F>
void with_room(self_ptr self, exchange_ptr x, const std::string& slug, F next) {
  self->request(x->ctx.directory, caf::infinite, room_atom::value, slug)
      .then(
          [self, x, next](caf::actor& room) mutable {
            if (!room) {
              reply_error(x, errc::not_found, "no such room");
              return self->quit();
            }
            next(room);
          },
          on_fail(self, x));
}

std::optional<std::int64_t> int_param(const exchange_ptr& x, const std::string& key, bool& bad) {
  auto* v = x->req.param(key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size()) {
    bad = true;
    return std::nullopt;
  }
  return n;
}

void answer_outcome(self_ptr self, const exchange_ptr& x, const write_outcome& out, int status,
                    std::string body) {
  if (out.error)
    reply_error(x, out.error);
  else
    x->out->respond(status, std::move(body));
  self->quit();
}

void list_messages(self_ptr self, exchange_ptr x, caf::actor room) {
  self->request(room, caf::infinite, info_atom::value)
      .then(
          [self, x](room_info& info) {
            storage::message_query q;
            q.room_id = info.room.id;
            bool bad = false;
            if (auto* ch = x->req.param("channelId")) q.channel_id = codec::channel_from_wire(*ch);
            if (auto* t = x->req.param("beforeCreatedAt")) {
              q.before_created_at = parse_iso8601(*t);
              if (!q.before_created_at) bad = true;
            }
            if (auto* id = x->req.param("beforeId")) q.before_id = *id;
            q.after_seq = int_param(x, "afterSeq", bad);
            auto limit = int_param(x, "limit", bad).value_or(20);
            if (bad || limit < 1)
              return reply_error(x, errc::bad_request,
                                 "invalid query: limit, afterSeq or beforeCreatedAt"),
                     self->quit();
            if (q.after_seq && !q.channel_id)
              return reply_error(x, errc::bad_request, "afterSeq needs channelId"), self->quit();
            if (q.channel_id && !q.channel_id->empty()) {
              bool known = false;
              for (auto& c : info.channels) known |= c.id == *q.channel_id;
              if (!known) return reply_error(x, errc::not_found, "no such channel"), self->quit();
            }
            // One extra row tells whether another page exists.
            auto page_size = static_cast<std::size_t>(std::min<std::int64_t>(limit, 100));
            q.limit = static_cast<int>(page_size) + 1;
            self->request(x->ctx.readers, caf::infinite, list_atom::value, q)
                .then(
                    [self, x, page_size,
                     by_seq = q.after_seq.has_value()](std::vector<storage::message_row>& ms) {
                      bool more = ms.size() > page_size;
                      if (more) ms.resize(page_size);
                      x->out->respond(200, codec::encode_message_page(ms, more, by_seq));
                      self->quit();
                    },
                    on_fail(self, x));
          },
          on_fail(self, x));
}

void post_message(self_ptr self, exchange_ptr x, const principal& who, caf::actor room) {
  auto body = codec::decode_post_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return reply_error(x, *e), self->quit();
  auto& b = std::get<codec::post_body>(body);
  auto checked = check_content(b.content, x->ctx.max_content_chars);
  if (checked.error) return reply_error(x, checked.error), self->quit();
  post_request req{who, std::move(b.channel_id), std::move(b.client_msg_id),
                   std::move(checked.text)};
  self->request(room, caf::infinite, post_atom::value, std::move(req))
      .then(
          [self, x](write_outcome& out) {
            answer_outcome(self, x, out, out.duplicate ? 200 : 201,
                           out.error ? "" : codec::encode_message(out.message));
          },
          on_fail(self, x));
}

void edit_message(self_ptr self, exchange_ptr x, const principal& who, caf::actor room,
                  std::string id) {
  auto body = codec::decode_edit_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return reply_error(x, *e), self->quit();
  auto checked = check_content(std::get<codec::edit_body>(body).content, x->ctx.max_content_chars);
  if (checked.error) return reply_error(x, checked.error), self->quit();
  self->request(room, caf::infinite, edit_atom::value,
                edit_request{who, std::move(id), std::move(checked.text)})
      .then(
          [self, x](write_outcome& out) {
            answer_outcome(self, x, out, 200, out.error ? "" : codec::encode_message(out.message));
          },
          on_fail(self, x));
}

void delete_message(self_ptr self, exchange_ptr x, const principal& who, caf::actor room,
                    std::string id) {
  self->request(room, caf::infinite, delete_atom::value, delete_request{who, std::move(id)})
      .then([self, x](write_outcome& out) { answer_outcome(self, x, out, 200, R"({"ok":true})"); },
            on_fail(self, x));
}

bool valid_slug(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

void create_channel(self_ptr self, exchange_ptr x, const principal& who, caf::actor room) {
  auto body = codec::decode_channel_body(x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return reply_error(x, *e), self->quit();
  auto b = std::get<codec::channel_body>(std::move(body));
  auto name = std::string{trim(b.name)};
  if (name.empty() || utf8_length(name) > 80 || !valid_utf8(name))
    return reply_error(x, errc::bad_request, "name must be 1..80 characters"), self->quit();
  if (!valid_slug(b.slug))
    return reply_error(x, errc::bad_request, "slug must be 1..64 of a-z 0-9 - _"), self->quit();
  if (b.visibility != "public")
    return reply_error(x, errc::bad_request,
                       "only public channels can be created yet (private, group and personal "
                       "channels arrive with membership)"),
           self->quit();
  storage::channel_row row;
  row.id = make_id("ch");
  row.slug = b.slug;
  row.name = name;
  row.visibility = b.visibility;
  row.created_by = who.user.id;
  row.created_at = now_ms();
  self->request(room, caf::infinite, create_atom::value, std::move(row))
      .then(
          [self, x](write_outcome& out) {
            answer_outcome(self, x, out, 201,
                           out.channel ? codec::encode_channel(*out.channel, 0) : "");
          },
          on_fail(self, x));
}

// Routes an authenticated request under /api/rooms/:slug.
void room_routes(self_ptr self, exchange_ptr x, principal who) {
  auto& path = x->req.path;
  auto slug = path[2];
  with_room(self, x, slug, [self, x, who](caf::actor room) {
    auto& path = x->req.path;
    auto& m = x->req.method;
    auto n = path.size();
    auto wrong_method = [&](const char* allow) {
      error_info e{errc::method_not_allowed, std::string("allowed: ") + allow};
      x->out->respond(405, codec::encode_error_body(e), {{"Allow", allow}});
      self->quit();
    };
    auto answer_info = [self, x, room](auto encode) {
      self->request(room, caf::infinite, info_atom::value)
          .then(
              [self, x, encode](room_info& info) {
                x->out->respond(200, encode(info));
                self->quit();
              },
              on_fail(self, x));
    };
    if (n == 3) {
      if (m != "GET") return wrong_method("GET");
      return answer_info([](room_info& i) { return codec::encode_room(i.room, i.owner); });
    }
    if (n == 4 && path[3] == "channels") {
      if (m == "GET")
        return answer_info([](room_info& i) { return codec::encode_channel_list(i.channels); });
      if (m == "POST") return create_channel(self, x, who, room);
      return wrong_method("GET, POST");
    }
    if (n == 4 && path[3] == "messages") {
      if (m == "GET") return list_messages(self, x, room);
      if (m == "POST") return post_message(self, x, who, room);
      return wrong_method("GET, POST");
    }
    if (n == 5 && path[3] == "messages") {
      if (m == "PATCH") return edit_message(self, x, who, room, path[4]);
      if (m == "DELETE") return delete_message(self, x, who, room, path[4]);
      return wrong_method("PATCH, DELETE");
    }
    if (n == 4 && path[3] == "stream") {
      if (m != "GET") return wrong_method("GET");
      std::map<std::string, std::int64_t> resume;
      std::string last = x->req.last_event_id;
      if (auto* q = x->req.param("lastEventId")) last = *q;
      if (!last.empty()) {
        auto parsed = codec::parse_resume(last);
        if (!parsed)
          return reply_error(x, errc::bad_request, "malformed Last-Event-ID"), self->quit();
        resume = std::move(*parsed);
      }
      x->out->stream(room, who, std::move(resume));
      return self->quit();
    }
    reply_error(x, errc::not_found, "no such endpoint");
    self->quit();
  });
}

// -- /api/tokens: a user's own API tokens ------------------------------------------

void create_token(self_ptr self, exchange_ptr x, const principal& who) {
  auto body = codec::decode_token_body(x->req.body.empty() ? "{}" : x->req.body);
  if (auto* e = std::get_if<error_info>(&body)) return reply_error(x, *e), self->quit();
  auto name = std::string{trim(std::get<codec::token_body>(body).name)};
  if (name.empty()) name = "api";
  if (utf8_length(name) > 80)
    return reply_error(x, errc::bad_request, "name must be at most 80 characters"), self->quit();
  // The secret is shown once, in this response; only its hash is stored.
  auto secret = "rlt_" + random_hex(32);
  self->request(x->ctx.writer, caf::infinite, token_atom::value, create_atom::value, who.user.id,
                std::move(name), sha256_hex(secret))
      .then(
          [self, x, secret](token_outcome& out) {
            if (out.error) return reply_error(x, out.error), self->quit();
            x->out->respond(201, codec::encode_new_token(out.token, secret));
            self->quit();
          },
          on_fail(self, x));
}

void list_tokens(self_ptr self, exchange_ptr x, const principal& who) {
  self->request(x->ctx.readers, caf::infinite, tokens_atom::value, who.user.id)
      .then(
          [self, x](std::vector<storage::token_row>& ts) {
            x->out->respond(200, codec::encode_token_list(ts));
            self->quit();
          },
          on_fail(self, x));
}

void revoke_token(self_ptr self, exchange_ptr x, const principal& who, std::string id) {
  self->request(x->ctx.writer, caf::infinite, token_atom::value, revoke_atom::value, who.user.id,
                id)
      .then(
          [self, x, id](token_outcome& out) {
            if (out.error) return reply_error(x, out.error), self->quit();
            // Committed: end the sockets this token opened, not only its next request.
            self->send(x->ctx.registry, revoke_atom::value, id);
            x->out->respond(200, R"({"ok":true})");
            self->quit();
          },
          on_fail(self, x));
}

void authenticated(self_ptr self, exchange_ptr x, principal who) {
  auto& path = x->req.path;
  auto& m = x->req.method;
  if (path.size() == 2 && path[1] == "tokens") {
    if (m == "GET") return list_tokens(self, x, who);
    if (m == "POST") return create_token(self, x, who);
    return reply_error(x, errc::method_not_allowed, "allowed: GET, POST"), self->quit();
  }
  if (path.size() == 3 && path[1] == "tokens") {
    if (m == "DELETE") return revoke_token(self, x, who, path[2]);
    return reply_error(x, errc::method_not_allowed, "allowed: DELETE"), self->quit();
  }
  if (path.size() == 2 && path[1] == "me") {
    if (x->req.method != "GET")
      return reply_error(x, errc::method_not_allowed, "use GET"), self->quit();
    x->out->respond(200, codec::encode_user(who.user));
    return self->quit();
  }
  if (path.size() >= 3 && path[1] == "rooms") return room_routes(self, x, std::move(who));
  if (path.size() == 4 && path[1] == "ws" && path[2] == "rooms") {
    if (!x->req.websocket)
      return reply_error(x, errc::bad_request, "expected a WebSocket upgrade"), self->quit();
    std::map<std::string, std::int64_t> resume;
    if (auto* r = x->req.param("resume")) {
      auto parsed = codec::parse_resume(*r);
      if (!parsed) return reply_error(x, errc::bad_request, "malformed resume"), self->quit();
      resume = std::move(*parsed);
    }
    return with_room(self, x, path[3], [self, x, who, resume](caf::actor room) mutable {
      x->out->stream(room, std::move(who), std::move(resume));
      self->quit();
    });
  }
  reply_error(x, errc::not_found, "no such endpoint");
  self->quit();
}

void health(self_ptr self, exchange_ptr x) {
  self->request(x->ctx.readers, std::chrono::seconds(5), health_atom::value)
      .then(
          [self, x](bool ok) {
            x->out->respond(ok ? 200 : 503, codec::encode_health(ok, now_ms(), ok ? "ok" : "fail"));
            self->quit();
          },
          [self, x](caf::error&) {
            x->out->respond(503, codec::encode_health(false, now_ms(), "fail"));
            self->quit();
          });
}

void serve(self_ptr self, exchange_ptr x) {
  auto& path = x->req.path;
  if (path.empty() || path[0] != "api")
    return reply_error(x, errc::not_found, "no such endpoint"), self->quit();
  if (path.size() == 2 && path[1] == "health") return health(self, x);
  if (x->req.bearer.empty()) {
    if (path.size() == 2 && path[1] == "me") return x->out->respond(401, "null"), self->quit();
    return reply_error(x, errc::unauthorized, "missing Authorization: Bearer token"), self->quit();
  }
  self->request(x->ctx.readers, caf::infinite, auth_atom::value, sha256_hex(x->req.bearer))
      .then(
          [self, x](std::optional<storage::credential>& cred) {
            if (!cred) {
              auto& path = x->req.path;
              if (path.size() == 2 && path[1] == "me")
                return x->out->respond(401, "null"), self->quit();
              return reply_error(x, errc::unauthorized, "invalid or revoked token"), self->quit();
            }
            authenticated(self, x, principal{std::move(cred->user), std::move(cred->token_id)});
          },
          on_fail(self, x));
}

}  // namespace

void spawn_api_request(caf::actor_system& sys, const api_context& ctx, http_request req,
                       responder_ptr out) {
  auto x = std::make_shared<exchange>(exchange{ctx, std::move(req), std::move(out)});
  // Passed as an argument: CAF 0.17 binds a null reference (UB) for argument-less spawns.
  sys.spawn(serve, std::move(x));
}

}  // namespace relay
