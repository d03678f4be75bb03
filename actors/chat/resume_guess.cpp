#include "actors/chat/resume_guess.hpp"

#include <optional>

namespace relay {

storage::expected<cursor_map> guess_cursors(storage::store& db, const std::string& room_id,
                                            const cursor_map& named,
                                            const std::vector<std::string>& others) {
  std::optional<std::int64_t> anchor;
  for (auto& [channel, seq] : named) {
    if (seq <= 0) continue;
    storage::message_query q;
    q.room_id = room_id;
    q.channel_id = channel;
    q.after_seq = seq - 1;
    q.limit = 1;
    auto at = db.list_messages(q);
    if (!at) return at.error();
    if (at->empty() || at->front().seq != seq) continue;
    anchor = std::max(anchor.value_or(at->front().created_at), at->front().created_at);
  }
  cursor_map out;
  if (!anchor) return out;
  for (auto& c : others) {
    storage::message_query before;
    before.room_id = room_id;
    before.channel_id = c;
    before.before_created_at = *anchor - resume_guess_window_ms;
    before.limit = 1;
    auto rows = db.list_messages(before);
    if (!rows) return rows.error();
    out[c] = rows->empty() ? 0 : rows->front().seq;
  }
  return out;
}

}  // namespace relay
