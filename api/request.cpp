#include "api/request.hpp"

#include "core/metrics.hpp"

#include "api/common.hpp"
#include "auth/signing.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"

namespace relay {

namespace api {

bool origin_allowed(const api_context& ctx, const std::string& origin) {
  if (origin.empty()) return true;
  for (auto& o : ctx.allowed_origins)
    if (o == origin) return true;
  return false;
}

namespace {

bool is_me(const exchange_ptr& x) {
  return x->req.path.size() == 2 && x->req.path[1] == "me";
}

// The store key of a presented secret: session tokens must carry a valid signature
// before the store is asked (forgeries cost no read); API tokens are looked up as is.
std::optional<std::string> token_hash(const api_context& ctx, const std::string& token) {
  if (token.rfind("rls_", 0) == 0) {
    auto raw = auth::verify(ctx.secret, token);
    if (!raw) return std::nullopt;
    return sha256_hex(*raw);
  }
  return sha256_hex(token);
}

// Opens the room's socket once every visible channel has a place to resume from: the
// channels `resume` leaves out (new since the client left) resume from shortly before
// the newest message it names (resume_guess.hpp), not live.
void open_socket(self_ptr self, exchange_ptr x, principal who, const std::string& slug) {
  cursor_map resume;
  if (auto* r = x->req.param("resume")) {
    auto parsed = codec::parse_resume(*r);
    if (!parsed) return fail(self, x, errc::bad_request, "malformed resume");
    resume = std::move(*parsed);
  }
  auto open = [self, x, who](room_actor room, cursor_map resume) mutable {
    self->request(x->ctx.registry, in_time(x), count_atom::value, who.user.id)
        .then(
            [self, x, who, resume, room](int open) mutable {
              if (open >= x->ctx.max_connections_per_user)
                return fail(self, x, errc::rate_limited, "too many open connections for this user");
              x->out->stream(room, std::move(who), std::move(resume), {});
              self->quit();
            },
            on_fail(self, x));
  };
  with_room(self, x, slug, [self, x, who, resume, open](room_actor room) mutable {
    self->request(room, in_time(x), info_atom::value, who)
        .then(
            [self, x, resume, room, open](room_info& info) mutable {
              if (!info.may_enter)
                return fail(self, x, errc::forbidden, "this room is whitelist-only");
              if (resume.empty()) return open(room, {});
              complete_resume(self, x, info, std::move(resume),
                              [=](cursor_map resume) mutable { open(room, std::move(resume)); });
            },
            on_fail(self, x));
  });
}

void authenticated(self_ptr self, exchange_ptr x, principal who) {
  auto& path = x->req.path;
  auto& m = x->req.method;
  if (path[0] == "v1") return serve_admin(self, x, who);
  if (path.size() >= 2 && path[1] == "tokens") return serve_tokens(self, x, who);
  if (path.size() == 2 && path[1] == "notifications") return serve_notifications(self, x, who);
  if (is_me(x)) {
    if (m != "GET") return wrong_method(self, x, "GET");
    return ok(self, x, codec::encode_user(who.user));
  }
  if (path.size() >= 2 && path[1] == "rooms") {
    // The SSE stream is a room route but opens like a socket (Last-Event-ID resume).
    return serve_rooms(self, x, who);
  }
  if (path.size() == 4 && path[1] == "ws" && path[2] == "rooms") {
    if (!x->req.websocket) return fail(self, x, errc::bad_request, "expected a WebSocket upgrade");
    return open_socket(self, x, std::move(who), path[3]);
  }
  fail(self, x, errc::not_found, "no such endpoint");
}

void health(self_ptr self, exchange_ptr x) {
  self->request(x->ctx.readers, std::chrono::seconds(5), health_atom::value)
      .then(
          [self, x](bool up) {
            ok(self, x, codec::encode_health(up, now_ms(), up ? "ok" : "fail"), up ? 200 : 503);
          },
          [self, x](caf::error&) {
            ok(self, x, codec::encode_health(false, now_ms(), "fail"), 503);
          });
}

void unauthorized(self_ptr self, const exchange_ptr& x, const char* why) {
  if (is_me(x)) return ok(self, x, "null", 401);
  fail(self, x, errc::unauthorized, why);
}

// Prometheus scrapes this (docs/metrics.md). It reveals counts, never content or ids.
void serve_metrics(self_ptr self, const exchange_ptr& x) {
  if (x->req.method != "GET" && x->req.method != "HEAD") return wrong_method(self, x, "GET");
  ok(self, x, metrics::render(metrics::get()), 200,
     {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"}});
}

void serve(self_ptr self, exchange_ptr x) {
  auto& path = x->req.path;
  if (!path.empty() && path[0] == "auth") return serve_auth(self, x);
  if (path.size() >= 2 && path[0] == "v1" && path[1] == "ws") return serve_relay_socket(self, x);
  if (path.size() == 1 && path[0] == "metrics") return serve_metrics(self, x);
  if (path.size() >= 2 && path[0] == "v1" && is_hall_route(path[1])) return serve_halls(self, x);
  if (path.empty() || (path[0] != "api" && path[0] != "v1"))
    return fail(self, x, errc::not_found, "no such endpoint");
  if (path.size() == 2 && path[1] == "health") {
    if (x->req.method != "GET" && x->req.method != "HEAD") return wrong_method(self, x, "GET");
    return health(self, x);
  }
  // A bearer token wins over the cookie: scripts may run in a signed-in browser.
  bool via_cookie = x->req.bearer.empty();
  const auto& token = via_cookie ? x->req.session : x->req.bearer;
  if (token.empty()) return unauthorized(self, x, "missing Authorization: Bearer token or session");
  // Browsers attach cookies to cross-site requests; only same-origin pages may use
  // them to change things or to open a socket.
  if (via_cookie && (x->req.method != "GET" || x->req.websocket) &&
      !origin_allowed(x->ctx, x->req.origin))
    return fail(self, x, errc::forbidden, "cross-site request refused (Origin not allowed)");
  // Every browser sends Origin with a WebSocket upgrade: a cookie upgrade without one
  // did not come from a page, and the socket is only for pages of this origin.
  if (via_cookie && x->req.websocket && x->req.origin.empty())
    return fail(self, x, errc::forbidden, "a cookie WebSocket upgrade needs an allowed Origin");
  auto hash = token_hash(x->ctx, token);
  if (!hash) return unauthorized(self, x, "invalid or expired session");
  self->request(x->ctx.readers, in_time(x), auth_atom::value, *hash)
      .then(
          [self, x, via_cookie](std::optional<storage::credential>& cred) {
            if (!cred) return unauthorized(self, x, "invalid, expired or revoked token");
            authenticated(self, x,
                          principal{std::move(cred->user), std::move(cred->token_id), via_cookie});
          },
          on_fail(self, x));
}

}  // namespace

}  // namespace api

void spawn_api_request(caf::actor_system& sys, const api_context& ctx, http_request req,
                       responder_ptr out) {
  auto x = std::make_shared<api::exchange>(api::exchange{
      ctx, std::move(req), std::move(out), std::chrono::steady_clock::now() + ctx.request_timeout});
  // Passed as an argument: CAF 0.17 binds a null reference (UB) for argument-less spawns.
  sys.spawn(api::serve, std::move(x));
}

}  // namespace relay
