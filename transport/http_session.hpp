#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "transport/session_env.hpp"

namespace relay {

/// Serves HTTP/1.1 on an accepted socket (keep-alive), handing each request to an
/// API actor; hands the socket to a WebSocket or SSE session when a room stream opens.
void start_http_session(boost::asio::ip::tcp::socket socket, session_env& env);

}  // namespace relay
