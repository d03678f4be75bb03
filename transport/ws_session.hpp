#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <caf/message.hpp>

#include <boost/asio/ip/tcp.hpp>

#include "actors/chat/connection.hpp"
#include "core/metrics.hpp"
#include "transport/session_env.hpp"

namespace relay {

/// What differs between WebSocket protocols (the chat socket, the agent relay's app
/// and agent sockets): how a text frame becomes a message for the session's actor,
/// what the session answers for frames it rejects itself, and its heartbeat.
struct ws_protocol {
  /// The message carries the decoded frame and its size in bytes (`std::size_t`), which
  /// the actor hands back to `client_sink::consumed` once it is done with the frame.
  std::function<caf::message(std::string_view text)> decode;
  std::function<std::string(errc code, std::string_view text)> error_frame;
  std::string ping_json;            // also sent at idle time when not empty (JSON heartbeats)
  std::size_t min_frame_bytes = 0;  // raises max_frame_bytes for this protocol
  metrics::conn_class cls = metrics::conn_class::ws;  // queue limits, policy and metrics
};

/// The chat protocol of docs/api.md.
const ws_protocol& chat_protocol();

/// Takes over an upgraded socket: writes the 101 `handshake`, feeds `leftover` bytes
/// to the frame decoder, spawns the connection actor and runs the WebSocket.
void start_ws_session(boost::asio::ip::tcp::socket socket, session_env& env, std::uint64_t id,
                      std::string handshake, std::string leftover, connection_params params);

/// The same for another protocol whose actor `spawn` creates with the session's sink.
void start_ws_session(boost::asio::ip::tcp::socket socket, session_env& env, std::uint64_t id,
                      std::string handshake, std::string leftover, const ws_protocol& proto,
                      const std::function<caf::actor(sink_ptr)>& spawn);

}  // namespace relay
