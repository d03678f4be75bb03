#include "actors/webhook_outbox.hpp"

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/webhook_codec.hpp"

namespace relay::webhook_outbox {

namespace {

// The frame's object without its leading `"type":"…",` (the codecs write `type` first),
// so `data` is exactly what the WebSocket frame says about the event.
std::string without_type(const std::string& frame) {
  constexpr std::string_view lead = R"({"type":")";
  if (frame.rfind(lead, 0) != 0) return frame;
  auto end = frame.find("\",", lead.size());
  if (end == std::string::npos) return "{}";
  return "{" + frame.substr(end + 2);
}

// Process-wide, because the outbox is written from inside store jobs, which know their
// store but not the dispatcher; one per running dispatcher (tests may run several).
std::mutex bells_mutex;
std::uint64_t bells_next = 0;
std::vector<std::pair<std::uint64_t, std::function<void()>>> bells;

storage::expected<int> rang(storage::expected<int> enqueued) {
  if (enqueued && *enqueued > 0) {
    std::lock_guard lock{bells_mutex};
    for (auto& [id, ring] : bells) ring();
  }
  return enqueued;
}

}  // namespace

std::uint64_t add_doorbell(std::function<void()> ring) {
  std::lock_guard lock{bells_mutex};
  bells.emplace_back(++bells_next, std::move(ring));
  return bells_next;
}

void remove_doorbell(std::uint64_t id) {
  std::lock_guard lock{bells_mutex};
  std::erase_if(bells, [id](const auto& b) { return b.first == id; });
}

storage::expected<int> message_created(storage::store& db, const storage::message_row& m) {
  return rang(db.enqueue_webhook_event(
      m.room_id, m.channel_id, "message.created",
      [&] { return without_type(codec::encode_message_frame(m)); }, now_ms()));
}

storage::expected<int> message_updated(storage::store& db, const storage::message_row& m) {
  return rang(db.enqueue_webhook_event(
      m.room_id, m.channel_id, "message.updated",
      [&] { return without_type(codec::encode_message_updated(m)); }, now_ms()));
}

storage::expected<int> message_deleted(storage::store& db, const storage::message_row& m) {
  return rang(db.enqueue_webhook_event(
      m.room_id, m.channel_id, "message.deleted",
      [&] { return without_type(codec::encode_message_deleted(m.id, m.channel_id)); }, now_ms()));
}

storage::expected<int> reaction_changed(storage::store& db, bool added,
                                        const storage::message_row& m, const std::string& emoji,
                                        const storage::user_row& by) {
  return rang(db.enqueue_webhook_event(
      m.room_id, m.channel_id, added ? "reaction.added" : "reaction.removed",
      [&] { return without_type(codec::encode_reaction(added, m, emoji, by)); }, now_ms()));
}

storage::expected<int> channel_created(storage::store& db, const storage::channel_row& c) {
  // The channel itself decides who sees its creation: a private channel only its members.
  return rang(db.enqueue_webhook_event(
      c.room_id, c.id, "channel.created",
      [&] { return without_type(codec::encode_channel_created(c)); }, now_ms()));
}

storage::expected<int> reply_created(storage::store& db, const storage::thread_row& t,
                                     storage::message_row reply) {
  // The thread's channel decides who sees a reply, as it does for reading the thread.
  reply.room_id = t.room_id;
  reply.channel_id = t.channel_id;
  reply.thread_id = t.id;
  return db.enqueue_webhook_event(
      t.room_id, t.channel_id, "thread.reply_created",
      [&] { return codec::encode_reply_event(t, reply); }, now_ms());
}

storage::expected<int> member_joined(storage::store& db, const std::string& room_id,
                                     const std::string& channel_id, const storage::user_row& u) {
  return db.enqueue_webhook_event(
      room_id, channel_id, "member.joined",
      [&] { return codec::encode_member_joined(channel_id, u); }, now_ms());
}

}  // namespace relay::webhook_outbox
