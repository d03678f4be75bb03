#pragma once

// Where a resuming client is in the channels its resume does not name. A WebSocket
// resume lists the channels the client knew; an SSE Last-Event-ID names one. A channel
// left out is one the client never saw (created while it was away) or one whose place
// the id cannot tell; either way its missed messages must still come.

#include <string>
#include <vector>

#include "core/stream_cursors.hpp"
#include "storage/store.hpp"

namespace relay {

/// How far before the newest named message the other channels resume: longer than any
/// message takes from its creation to a socket, so nothing the client missed is older;
/// what it already had from those seconds comes again (same message ids).
inline constexpr std::int64_t resume_guess_window_ms = 5000;

/// For each of `others`: its last message created `resume_guess_window_ms` before the
/// newest message `named` points at (0: from its first). Empty when none of the named
/// messages is in the store (nothing to anchor on: those channels start live); the
/// store's error when a read fails.
storage::expected<cursor_map> guess_cursors(storage::store& db, const std::string& room_id,
                                            const cursor_map& named,
                                            const std::vector<std::string>& others);

}  // namespace relay
