#pragma once

// What a hall knows and the rules that turn LiveKit's webhooks into participant
// sessions. Pure: the hall actor applies the result only after the store commits it.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "actors/halls/messages.hpp"
#include "storage/hall_rows.hpp"

namespace relay {

struct hall_state {
  storage::hall_row hall;
  std::map<std::string, storage::hall_grant_row> grants;  // by participant id
  std::vector<storage::hall_session_row> sessions;        // every session, oldest first

  static hall_state from(storage::hall_snapshot snap);

  /// The participant's open session, or null.
  const storage::hall_session_row* open_session(const std::string& participant_id) const;
  /// Participants with an open session.
  std::size_t open_count() const;
  bool closed() const { return hall.status != "open"; }

  /// Replaces sessions with the same id, appends new ones.
  void apply(const std::vector<storage::hall_session_row>& written);
};

/// The sessions a webhook writes (new or changed rows; empty: nothing changes):
///  * `participant_joined` opens a session at `joined_at` (else `created_at`) unless one
///    is open (a duplicate join), the time is inside a session already known (a join
///    that arrived after its leave), or a leave is waiting for it (then that session
///    is completed);
///  * `participant_left` / `participant_connection_aborted` close the open session at
///    `created_at`; with none open, a leave that names `joined_at` becomes a complete
///    session, and one that does not waits for its join;
///  * `room_finished` closes every open session at `created_at`.
/// After the hall is closed, LiveKit's times still decide what happened before the close:
/// a late join opens a session that the close ended, a late leave or `room_finished`
/// ends a stay the close ended earlier. Anything at or after the close, and other
/// events, change nothing.
std::vector<storage::hall_session_row> sessions_for_event(const hall_state& s,
                                                          const livekit_event& e);

/// Closes every open session at `at_ms` (closing the hall, `room_finished`).
std::vector<storage::hall_session_row> close_open_sessions(const hall_state& s, std::int64_t at_ms);

}  // namespace relay
