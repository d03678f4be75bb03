#include "transport/agent_protocols.hpp"

#include "actors/agents/messages.hpp"
#include "protocol/agent_codec.hpp"

namespace relay {

namespace {

std::string reject(errc code, std::string_view text) {
  return codec::agents::encode_app_error(
      "", "", std::string(text),
      code == errc::payload_too_large ? "PAYLOAD_TOO_LARGE" : "INVALID_EVENT");
}

}  // namespace

const ws_protocol& agent_ws_protocol() {
  static const ws_protocol proto{[](std::string_view text) {
                                   return caf::make_message(codec::agents::decode_agent_frame(text),
                                                            text.size());
                                 },
                                 // Agents get no JSON ping: the contract sends them only
                                 // event, cancel and pong (they ping; the WebSocket ping
                                 // still goes to a quiet one).
                                 reject, std::string{},
                                 // A reply carries the whole answer, which may be long.
                                 1 << 20, metrics::conn_class::agent};
  return proto;
}

const ws_protocol& app_ws_protocol() {
  static const ws_protocol proto{
      [](std::string_view text) {
        return caf::make_message(codec::agents::decode_app_frame(text), text.size());
      },
      reject, codec::agents::encode_ping(),
      // A 64 KB payload plus the frame around it; the codec enforces the 64 KB itself.
      codec::agents::default_max_payload_bytes + 4096, metrics::conn_class::app};
  return proto;
}

}  // namespace relay
