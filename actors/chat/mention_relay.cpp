#include "actors/chat/mention_relay.hpp"
#include "actors/quit_unwatching.hpp"

#include <atomic>

#include <caf/all.hpp>

#include "core/clock.hpp"
#include "core/ids.hpp"
#include "protocol/incoming_hook_codec.hpp"
#include "protocol/json_codec.hpp"
#include "protocol/mention_codec.hpp"

namespace relay {

namespace {

namespace cm = codec::mentions;

/// The relay writes to an app through a sink; for a room the "app" is this actor.
class actor_sink final : public client_sink {
 public:
  explicit actor_sink(caf::actor target) : target_(std::move(target)) {}
  std::uint64_t id() const noexcept override { return id_; }
  void push(frame_ptr f) override { caf::anon_send(target_, std::move(f)); }
  void push_sync(frame_ptr f, std::map<std::string, std::int64_t>) override { push(std::move(f)); }
  void close(std::uint16_t, std::string) override {}

 private:
  static inline std::atomic<std::uint64_t> next_{1ull << 62};
  caf::actor target_;
  std::uint64_t id_ = next_++;
};

struct mention_state {
  mention_params p;
  std::string event_id;
  static inline const char* name = "mention_relay";
};

using mention_actor = caf::stateful_actor<mention_state>;

void stop(mention_actor* self) {
  quit_unwatching(self, self->state.p.hub, self->state.p.channel);
}

void show(mention_actor* self, std::string json, bool ephemeral) {
  auto& p = self->state.p;
  if (p.cluster) {
    codec::cluster_event e;
    e.what = codec::cluster_event::kind::frame;
    e.room_id = p.room.id;
    e.channel_id = p.message.channel_id;
    e.text = json;
    e.ephemeral = ephemeral;
    p.cluster->publish(std::move(e));
  }
  self->send(p.channel, broadcast_atom::value, make_frame(std::move(json), {}, ephemeral));
}

void done(mention_actor* self, const std::string& message_id, const std::string& error,
          const std::string& code) {
  auto& p = self->state.p;
  show(self,
       cm::encode_ai_reply(p.message.channel_id, self->state.event_id, p.bot, message_id, error,
                           code, p.thread.id),
       false);
  stop(self);
}

void post_reply(mention_actor* self, const std::string& text) {
  auto& p = self->state.p;
  principal bot{p.bot, {}, false};
  // A message is 1..max_content_chars code points, the bot's too: one message per answer
  // (ai_reply names it, and it is idempotent on the event id), so a longer answer is cut,
  // ending in "…" within the limit; an empty one shows as "…".
  auto content = text.empty() ? std::string{"…"} : codec::clip_chars(text, p.max_content_chars);
  // No timeout: a post is answered once its batch commits or rolls back (a timeout would
  // report a failure for a reply that still commits); a channel that goes away stops us.
  if (!p.thread.id.empty()) {
    reply_request req{bot, p.thread, std::move(content), self->state.event_id, true};
    self->request(p.thread_room, caf::infinite, thread_atom::value, std::move(req))
        .then(
            [self](thread_outcome& out) {
              if (out.error) return done(self, {}, out.error.message, "RELAY_INTERNAL_ERROR");
              done(self, out.reply.id, {}, {});
            },
            [self](caf::error& err) { done(self, {}, to_string(err), "RELAY_INTERNAL_ERROR"); });
    return;
  }
  post_request req{bot, p.message.channel_id, self->state.event_id, std::move(content), {}};
  self->request(p.channel, caf::infinite, post_atom::value, std::move(req))
      .then(
          [self](write_outcome& out) {
            if (out.error) return done(self, {}, out.error.message, "RELAY_INTERNAL_ERROR");
            done(self, out.message.id, {}, {});
          },
          [self](caf::error& err) { done(self, {}, to_string(err), "RELAY_INTERNAL_ERROR"); });
}

caf::behavior mention(mention_actor* self, mention_params params) {
  auto& st = self->state;
  st.p = std::move(params);
  agents::relay_event ev;
  ev.accepted_at = now_ms();
  ev.event_id = make_id("evt", ev.accepted_at);
  ev.app_id = "room:" + st.p.room.slug;
  ev.agent_id = st.p.agent_id;
  // One session per channel, and one per thread for mentions in a thread.
  ev.thread_id =
      st.p.thread.id.empty() ? codec::wire_channel_key(st.p.message.channel_id) : st.p.thread.id;
  ev.session_key = agents::session_key(ev.agent_id, ev.app_id, ev.thread_id);
  ev.payload = cm::encode_mention_payload(st.p.message, st.p.room);
  ev.app = std::make_shared<actor_sink>(caf::actor_cast<caf::actor>(self));
  ev.app_conn = caf::actor_cast<caf::actor>(self);
  ev.internal = true;
  st.event_id = ev.event_id;
  // At shutdown neither will answer: nothing to wait for then.
  self->monitor(st.p.hub);
  self->monitor(st.p.channel);
  self->set_down_handler([self](caf::down_msg&) { stop(self); });
  // The bot "is typing" while the agent thinks.
  self->send(st.p.channel, typing_atom::value, principal{st.p.bot, {}, false});
  if (st.p.cluster) {
    codec::cluster_event e;
    e.what = codec::cluster_event::kind::typing;
    e.room_id = st.p.room.id;
    e.channel_id = st.p.message.channel_id;
    e.user = {st.p.bot.id, st.p.bot.login, st.p.bot.name, st.p.bot.avatar_url};
    st.p.cluster->publish(std::move(e));
  }
  // No timeout: the hub answers the route from memory at once; the event's own deadline
  // (event_limits) bounds the agent.
  self->request(st.p.hub, caf::infinite, agents::event_atom::value, std::move(ev))
      .then(
          [self](agents::route& r) {
            if (!r.code.empty()) done(self, {}, r.message, r.code);
          },
          [self](caf::error& err) { done(self, {}, to_string(err), "RELAY_INTERNAL_ERROR"); });
  return {
      [=](frame_ptr& f) {
        auto rf = cm::decode_relay_frame(f->json);
        auto& p = self->state.p;
        if (rf.type == "token")
          show(self,
               cm::encode_ai_token(p.message.channel_id, rf.event_id, p.bot, rf.text, rf.seq,
                                   p.thread.id),
               true);
        else if (rf.type == "reply")
          post_reply(self, rf.text);
        else if (rf.type == "error")
          done(self, {}, rf.text, rf.code);
      },
      [=](agents::done_atom, const std::string&) {},
  };
}

}  // namespace

caf::actor spawn_mention_relay(caf::local_actor* parent, mention_params params) {
  return parent->spawn(mention, std::move(params));
}

}  // namespace relay
