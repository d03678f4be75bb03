#include "actors/halls/state.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "core/billing.hpp"
#include "core/ids.hpp"

namespace relay {

namespace {

using storage::hall_session_row;

void finish(hall_session_row& s, std::int64_t joined_at, std::int64_t left_at) {
  // A leave stamped before its join (skew between LiveKit nodes) is a zero-length stay.
  s.joined_at = joined_at;
  s.left_at = std::max(left_at, joined_at);
  s.minutes = billing::session_minutes(*s.joined_at, *s.left_at);
}

hall_session_row new_session(const hall_state& st, const livekit_event& e) {
  hall_session_row s;
  s.id = make_id("hs");
  s.hall_id = st.hall.id;
  s.participant_id = e.identity;
  if (auto g = st.grants.find(e.identity); g != st.grants.end()) {
    s.display_name = g->second.display_name;
    s.role = g->second.role;
  } else {
    // Joined with a token Relay did not mint (same LiveKit project): still billed, in
    // the role its LiveKit permissions give it (the contract knows only these two).
    s.display_name = e.name.empty() ? e.identity : e.name;
    s.role = e.can_publish ? storage::hall_role::publisher : storage::hall_role::subscriber;
  }
  return s;
}

// The stay, ended at `left_at` instead (LiveKit's time for its end).
hall_session_row ended_at(hall_session_row s, std::int64_t left_at) {
  finish(s, *s.joined_at, left_at);
  return s;
}

// A stay the hall's close ended (rather than a leave of its own).
bool ended_by_close(const hall_session_row& s, std::int64_t closed) {
  return s.joined_at && s.left_at == closed;
}

bool covers(const hall_session_row& s, std::int64_t t) {
  return s.joined_at && s.left_at && *s.joined_at <= t && t <= *s.left_at;
}

// When the hall was closed, or never (open).
std::optional<std::int64_t> closed_at(const hall_state& st) {
  if (!st.closed()) return std::nullopt;
  return st.hall.closed_at.value_or(std::numeric_limits<std::int64_t>::min());
}

std::vector<hall_session_row> on_join(const hall_state& st, const livekit_event& e) {
  const std::int64_t t = e.joined_at.value_or(e.created_at);
  const auto closed = closed_at(st);
  if (closed && t >= *closed) return {};  // joined after the close: not Relay's hall
  if (st.open_session(e.identity)) return {};
  const hall_session_row* waiting = nullptr;
  for (auto& s : st.sessions) {
    if (s.participant_id != e.identity) continue;
    if (covers(s, t)) return {};
    if (!s.joined_at && s.left_at && *s.left_at >= t &&
        (!waiting || *s.left_at < *waiting->left_at))
      waiting = &s;
  }
  if (waiting) {
    auto done = *waiting;
    finish(done, t, *done.left_at);
    return {done};
  }
  auto s = new_session(st, e);
  s.joined_at = t;
  // A join that arrives after the close: connected since t, ended by the close.
  if (closed) finish(s, t, *closed);
  return {s};
}

std::vector<hall_session_row> on_leave(const hall_state& st, const livekit_event& e) {
  const std::int64_t t = e.created_at;
  if (auto* open = st.open_session(e.identity); open && *open->joined_at <= t)
    return {ended_at(*open, t)};
  if (auto closed = closed_at(st)) {
    if (t >= *closed) return {};  // the close ended that stay first
    // A leave that arrives after the close but happened before it: the stay the close
    // ended ends where LiveKit says.
    for (auto& s : st.sessions)
      if (s.participant_id == e.identity && ended_by_close(s, *closed) && *s.joined_at <= t)
        return {ended_at(s, t)};
  }
  // No open session this leave can end: its join is late, was missed, or the leave
  // belongs to an earlier stay than the one open now.
  for (auto& s : st.sessions) {
    if (s.participant_id != e.identity) continue;
    if (e.joined_at && s.joined_at == e.joined_at) return {};  // that stay is known
    if (s.left_at == t) return {};                             // a second leave for it
  }
  auto s = new_session(st, e);
  if (e.joined_at)
    finish(s, *e.joined_at, t);
  else
    s.left_at = t;
  return {s};
}

}  // namespace

hall_state hall_state::from(storage::hall_snapshot snap) {
  hall_state s;
  s.hall = std::move(snap.hall);
  for (auto& g : snap.grants) s.grants[g.participant_id] = std::move(g);
  s.sessions = std::move(snap.sessions);
  return s;
}

const storage::hall_session_row* hall_state::open_session(const std::string& pid) const {
  for (auto& s : sessions)
    if (s.participant_id == pid && s.joined_at && !s.left_at) return &s;
  return nullptr;
}

std::size_t hall_state::open_count() const {
  return static_cast<std::size_t>(std::count_if(sessions.begin(), sessions.end(),
                                                [](auto& s) { return s.joined_at && !s.left_at; }));
}

void hall_state::apply(const std::vector<storage::hall_session_row>& written) {
  for (auto& w : written) {
    auto it = std::find_if(sessions.begin(), sessions.end(), [&](auto& s) { return s.id == w.id; });
    if (it != sessions.end())
      *it = w;
    else
      sessions.push_back(w);
  }
}

std::vector<storage::hall_session_row> sessions_for_event(const hall_state& s,
                                                          const livekit_event& e) {
  if (e.event == "room_finished") {
    auto closed = closed_at(s);
    if (!closed) return close_open_sessions(s, e.created_at);
    // Finished before the close, reported after it: the stays the close ended end then.
    std::vector<storage::hall_session_row> out;
    if (e.created_at >= *closed) return out;
    for (auto& x : s.sessions)
      if (ended_by_close(x, *closed)) out.push_back(ended_at(x, e.created_at));
    return out;
  }
  if (e.identity.empty()) return {};
  if (e.event == "participant_joined") return on_join(s, e);
  if (e.event == "participant_left" || e.event == "participant_connection_aborted")
    return on_leave(s, e);
  return {};
}

std::vector<storage::hall_session_row> close_open_sessions(const hall_state& s,
                                                           std::int64_t at_ms) {
  std::vector<storage::hall_session_row> out;
  for (auto& x : s.sessions)
    if (x.joined_at && !x.left_at) out.push_back(ended_at(x, at_ms));
  return out;
}

}  // namespace relay
