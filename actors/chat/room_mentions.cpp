// @mentions of people: a message (or an edit, or a thread reply) that names a room member
// who can see its channel leaves that member a `mention` notification, shown live on
// every socket they have open, on any node.

#include <spdlog/spdlog.h>

#include "actors/chat/room_state.hpp"
#include "actors/store_call.hpp"
#include "core/login.hpp"
#include "protocol/notification_codec.hpp"

namespace relay {

namespace {

// Enough of the message to recognise it in a list: the first 140 code points.
std::string excerpt(const std::string& text) {
  constexpr std::size_t max_points = 140;
  std::size_t points = 0, i = 0;
  while (i < text.size() && points < max_points) {
    ++i;
    // Continuation bytes belong to the code point before them.
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    ++points;
  }
  return i < text.size() ? text.substr(0, i) + "…" : text;
}

// The room decides who may hear of the message, with the same rules its sockets and
// REST paths follow: in the room, and able to see the channel.
std::vector<storage::notification_row> who_to_notify(room_state& st, const storage::message_row& m,
                                                     const std::vector<storage::user_row>& users) {
  std::vector<storage::notification_row> out;
  auto ch = st.channels.find(m.channel_id);
  if (ch == st.channels.end()) return out;
  auto body = codec::encode_mention_body(st.p.row.slug, ch->second.row.slug, m, excerpt(m.content));
  for (auto& u : users) {
    if (u.id == m.author.id || !can_enter(st, u) || !can_see(ch->second, u)) continue;
    storage::notification_row n;
    n.user_id = u.id;
    n.room_id = st.p.row.id;
    n.ref_id = m.id;
    n.body = body;
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

void push_notification(room_self self, const storage::notification_row& n) {
  auto frame = codec::encode_notification_frame(n);
  if (self->state.p.sessions)
    caf::anon_send(self->state.p.sessions, notify_atom::value, n.user_id, frame);
  if (self->state.p.cluster) self->state.p.cluster->notify(n.user_id, frame);
}

void notify_mentions(room_self self, const storage::message_row& m) {
  auto logins = mentioned_logins(m.content);
  if (logins.empty()) return;
  auto& st = self->state;
  store_call(
      self, st.p.readers, [logins](storage::store& db) { return db.find_users_by_logins(logins); },
      [self, m](std::vector<storage::user_row>& users) {
        auto rows = who_to_notify(self->state, m, users);
        if (rows.empty()) return;
        // The one-mention index makes this idempotent: an edit notifies only the logins
        // its message had not notified yet, whichever node wrote the earlier ones.
        store_call(
            self, self->state.p.writer,
            [rows](
                storage::store& db) -> storage::expected<std::vector<storage::notification_row>> {
              std::vector<storage::notification_row> made;
              for (auto& r : rows) {
                auto n = db.create_mention(r);
                if (!n) return n.error();
                if (*n) made.push_back(std::move(**n));
              }
              return made;
            },
            [self](std::vector<storage::notification_row>& made) {
              for (auto& n : made) push_notification(self, n);
            },
            [id = m.id](const error_info& e) {
              spdlog::warn("mentions in {} notified no one: {}", id, e.message);
            });
      },
      [id = m.id](const error_info& e) {
        spdlog::warn("mentions in {} notified no one: {}", id, e.message);
      });
}

}  // namespace relay
