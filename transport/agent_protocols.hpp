#pragma once

#include "transport/ws_session.hpp"

namespace relay {

/// `/v1/ws/agent`: frames become `codec::agents::agent_frame` messages; frames the
/// session rejects get `{"type":"error","event_id":null,…}` with INVALID_EVENT or
/// PAYLOAD_TOO_LARGE; idle peers get a JSON `ping` besides the WebSocket one.
const ws_protocol& agent_ws_protocol();

/// `/v1/ws/app`: the same for `codec::agents::app_frame`.
const ws_protocol& app_ws_protocol();

}  // namespace relay
