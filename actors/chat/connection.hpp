#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "actors/chat/fwd.hpp"
#include "actors/messages.hpp"
#include "core/rate_limit.hpp"
#include "protocol/json_codec.hpp"

namespace relay {

struct connection_params {
  sink_ptr sink;
  room_actor room;
  principal who;
  std::map<std::string, std::int64_t> resume;
  std::size_t max_content_chars = 4000;
  std::size_t sync_messages = 20;
  caf::actor registry;    // session registry; may be invalid (tests)
  double send_rate = 10;  // per-connection token bucket for `send`
  double send_burst = 20;
  std::shared_ptr<keyed_limiter> user_sends;   // per-user bucket; may be null (tests)
  resume_page page;                            // how a long resume is paged
  std::shared_ptr<byte_budget> resume_budget;  // process-wide; may be null (unlimited)
};

/// One live client (WebSocket or SSE) in one room. It joins the room, assembles the
/// `sync` frame from every channel's snapshot, and turns the client's frames into
/// room requests, answering with `ack`, `error` and `pong` frames. Live room traffic
/// bypasses it: channels push straight to the sink. A resume longer than a page
/// (`params.page`) is paged: the sync carries the first page of each channel, then the
/// connection asks the channel for the next one whenever the client's queue has room,
/// until the channel puts the client on its live fan-out.
///
///  * `(codec::client_frame, std::size_t bytes)` from the session (WebSocket only)
///  * `(snapshot_atom, channel_snapshot)` from the room's channels
///  * `(close_atom)` when the socket is gone: leaves the room and quits
///  * `(revoke_atom)` when its token was revoked: closes the client with 1008 and quits
///
/// Sends past the per-connection or per-user bucket get a RATE_LIMITED error frame; a
/// client that keeps sending into a closed bucket is closed with 1008. A room that
/// refuses the join (whitelist) or a registry that refuses one more connection for
/// the user closes it with 1008 too. Before any such close the connection takes no more
/// frames and waits for the sends already out: each stored message is acked first.
caf::actor spawn_connection(caf::actor_system& sys, connection_params params);

}  // namespace relay

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(relay::codec::client_frame)
