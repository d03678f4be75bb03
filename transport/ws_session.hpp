#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "actors/connection.hpp"
#include "transport/session_env.hpp"

namespace relay {

/// Takes over an upgraded socket: writes the 101 `handshake`, feeds `leftover` bytes
/// to the frame decoder, spawns the connection actor and runs the WebSocket.
void start_ws_session(boost::asio::ip::tcp::socket socket, session_env& env, std::uint64_t id,
                      std::string handshake, std::string leftover, connection_params params);

}  // namespace relay
