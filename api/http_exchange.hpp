#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>

#include "actors/chat/fwd.hpp"
#include "actors/messages.hpp"

namespace relay {

/// An HTTP request as the edge hands it to the API actors: already parsed and
/// percent-decoded, with only the headers the API cares about.
struct http_request {
  std::string method;
  std::vector<std::string> path;  // "/api/rooms/lobby" -> {"api","rooms","lobby"}
  std::multimap<std::string, std::string> query;
  std::string body;
  std::string bearer;         // token from `Authorization: Bearer …`, if any
  std::string authorization;  // the whole `Authorization` header (LiveKit sends a bare JWT)
  std::string session;        // the `relay_session` cookie, if any
  std::string oauth_state;    // the `relay_oauth` cookie, if any
  std::string origin;         // `Origin`, if any
  std::string content_type;   // `Content-Type`, if any (multipart uploads read its boundary)
  bool proxied = false;       // carries Forwarded / X-Forwarded-* / X-Real-IP headers
  std::string last_event_id;  // SSE `Last-Event-ID`
  std::string host;           // `Host`, for the URLs of incoming webhooks
  // GitHub's webhook headers, read by `POST /hooks/<secret>/github` only.
  std::string github_event;     // `X-GitHub-Event`
  std::string github_delivery;  // `X-GitHub-Delivery`
  std::string hub_signature;    // `X-Hub-Signature-256`
  bool websocket = false;       // a valid WebSocket upgrade request

  const std::string* param(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? nullptr : &it->second;
  }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// The agent relay's two WebSocket protocols (docs/agents.md).
enum class relay_socket { agent, app };

/// How an API actor answers. Implemented by the HTTP session; thread-safe (posts
/// onto the session's I/O thread) and answered exactly once.
class http_responder {
 public:
  virtual ~http_responder() = default;

  /// A plain response with a JSON (or empty) body.
  virtual void respond(int status, std::string body, header_list headers = {}) = 0;

  /// Turns the connection into a live room stream (WebSocket when the request was an
  /// upgrade, else SSE) and spawns its connection actor. An SSE stream logs what it
  /// writes under `cursor_key` (api_context::sse_cursors) for its reconnect.
  virtual void stream(room_actor room, principal who, std::map<std::string, std::int64_t> resume,
                      std::string cursor_key) = 0;

  /// Upgrades to an agent relay WebSocket (the request must be an upgrade); `spawn`
  /// creates the actor that owns it, given the session's sink.
  virtual void upgrade(relay_socket kind, std::function<caf::actor(sink_ptr)> spawn) = 0;
};

using responder_ptr = std::shared_ptr<http_responder>;

}  // namespace relay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::http_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::responder_ptr)
