#pragma once

#include <cstdint>

#include <boost/asio/ip/tcp.hpp>

#include "actors/chat/connection.hpp"
#include "transport/session_env.hpp"

namespace relay {

/// Takes over a socket whose request asked for a room's SSE stream: writes the
/// `text/event-stream` response head, spawns the connection actor and streams
/// `event: room` frames plus a periodic `event: ping` until the client goes away.
/// What it writes is logged under `cursor_key` in env.api.sse_cursors (when set), so a
/// reconnect naming only its last event resumes every channel.
void start_sse_session(boost::asio::ip::tcp::socket socket, session_env& env, std::uint64_t id,
                       connection_params params, const std::string& cursor_key);

}  // namespace relay
