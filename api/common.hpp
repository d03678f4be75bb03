#pragma once

// What the REST handlers share: the exchange being served, error answers, and the
// room lookup. Each handler file serves one group of routes (api/routes.cpp).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "api/request.hpp"
#include "protocol/json_codec.hpp"

namespace relay::api {

using self_ptr = caf::event_based_actor*;

struct exchange {
  api_context ctx;
  http_request req;
  responder_ptr out;
  std::chrono::steady_clock::time_point deadline;  // arrival + ctx.request_timeout
};
using exchange_ptr = std::shared_ptr<exchange>;

/// The timeout for a request the handler sends on behalf of this exchange: what is left
/// of its deadline (at least 1 ms). An actor that is overloaded, stuck or gone without a
/// down message then costs the client a 503 at the deadline, never a hanging request.
inline caf::duration in_time(const exchange_ptr& x) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      x->deadline - std::chrono::steady_clock::now());
  return caf::duration{std::max(left, std::chrono::milliseconds(1))};
}

/// A query parameter that must be a whole number in [lo, hi]: nullopt when absent; when
/// present and not such a number, nullopt with `bad` set.
inline std::optional<std::int64_t> whole_param(const exchange_ptr& x, const std::string& key,
                                               std::int64_t lo, std::int64_t hi, bool& bad) {
  auto* v = x->req.param(key);
  if (!v) return std::nullopt;
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || p != v->data() + v->size() || n < lo || n > hi) {
    bad = true;
    return std::nullopt;
  }
  return n;
}

/// Answers `{error, code}` with the code's status, and ends the request actor.
inline void fail(self_ptr self, const exchange_ptr& x, const error_info& e, header_list h = {}) {
  if (e.code == errc::rate_limited && h.empty()) h.emplace_back("Retry-After", "1");
  x->out->respond(http_status(e.code), codec::encode_error_body(e), std::move(h));
  self->quit();
}

inline void fail(self_ptr self, const exchange_ptr& x, errc code, std::string msg) {
  fail(self, x, error_info{code, std::move(msg)});
}

/// Answers 200 (or `status`) with a JSON body and ends the request actor.
inline void ok(self_ptr self, const exchange_ptr& x, std::string body, int status = 200,
               header_list h = {}) {
  x->out->respond(status, std::move(body), std::move(h));
  self->quit();
}

/// Answers 405 with `Allow` (the path's methods, from the route table).
inline void wrong_method(self_ptr self, const exchange_ptr& x, const std::string& allow) {
  error_info e{errc::method_not_allowed, "allowed: " + allow};
  x->out->respond(405, codec::encode_error_body(e), {{"Allow", allow}});
  self->quit();
}

/// Every store/actor failure ends the exchange with 503 instead of leaving the client
/// hanging; a request past the exchange's deadline (`in_time`) says so.
inline auto on_fail(self_ptr self, exchange_ptr x) {
  return [self, x](caf::error& err) {
    spdlog::warn("request failed: {}", to_string(err));
    if (err == caf::sec::request_timeout)
      return fail(self, x, error_info{errc::unavailable, "no answer in time, try again"},
                  {{"Retry-After", "1"}});
    fail(self, x, errc::unavailable, "service unavailable");
  };
}

/// Answers a `storage::expected<T>` from an actor: the encoded value or its error.
template <class T, class Encode>
auto answer_result(self_ptr self, exchange_ptr x, Encode encode, int status = 200) {
  return [self, x, encode, status](storage::expected<T>& r) {
    if (!r) return fail(self, x, r.error());
    ok(self, x, encode(*r), status);
  };
}

/// Runs `next(room)` with the room actor for `slug`, or answers 404.
template <class F>
void with_room(self_ptr self, exchange_ptr x, const std::string& slug, F next) {
  self->request(x->ctx.directory, in_time(x), room_atom::value, slug)
      .then(
          [self, x, next](room_actor& room) mutable {
            if (!room) return fail(self, x, errc::not_found, "no such room");
            next(room);
          },
          on_fail(self, x));
}

// The handlers, one per route of the table, are in api/handlers.hpp.

/// Adds to `resume` where the client is in the visible channels it does not name (new
/// since it left, or an SSE id's other channels; actors/chat/resume_guess.hpp), read on a
/// store reader, then calls `then`. A store error leaves `resume` as named.
void complete_resume(self_ptr self, const exchange_ptr& x, const room_info& info, cursor_map resume,
                     std::function<void(cursor_map)> then);

/// Same-origin check for requests authenticated by cookie (CSRF and cross-site
/// WebSocket hijacking): true when there is no Origin or it is allowed.
bool origin_allowed(const api_context& ctx, const std::string& origin);

/// Sets a fresh session cookie for `user_id` and answers with a 302 to `next`.
void start_session(self_ptr self, exchange_ptr x, const std::string& user_id,
                   const std::string& next);

}  // namespace relay::api
