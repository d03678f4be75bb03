// The room's bots: registering them (owner only) and turning @mentions of
// agent-bound bots into agent relay events.

#include "actors/chat/mention_relay.hpp"
#include "actors/chat/room_state.hpp"
#include "actors/store_call.hpp"
#include "core/login.hpp"

namespace relay {

void relay_bot_mentions(room_self self, const storage::message_row& m,
                        const storage::thread_row& thread) {
  auto& st = self->state;
  if (!st.p.agent_hub) return;
  auto ch = st.channels.find(m.channel_id);
  if (ch == st.channels.end()) return;
  for (auto& b : st.bots) {
    // A bot never answers itself, so two bots cannot loop on each other's replies
    // through their own messages.
    if (b.agent_id.empty() || m.author.id == b.user.id || !mentions_login(m.content, b.user.login))
      continue;
    spawn_mention_relay(
        self, {st.p.agent_hub, ch->second.actor, st.p.row, b.user, b.agent_id, m, st.p.cluster,
               st.p.max_content_chars, thread, caf::actor_cast<room_actor>(self)});
  }
}

room_bots_actor::behavior_type room_bots(room_self self) {
  using R = storage::expected<storage::bot_row>;
  return {
      [=](bot_atom, const principal& who, storage::bot_row& req) {
        auto rp = self->make_response_promise<R>();
        auto& st = self->state;
        if (!access::is_owner(st.p.row, who.user)) {
          rp.deliver(R{make_error(errc::forbidden, "only the room owner can add bots")});
          return rp;
        }
        store_call(
            self, st.p.writer,
            [room = st.p.row.id, req](storage::store& db) {
              return db.create_bot(room, req.user.login, req.user.name, req.agent_id, req.prefix);
            },
            [self, rp](storage::bot_row& bot) mutable {
              self->state.bots.push_back(bot);
              tell_other_nodes(self);
              rp.deliver(R{std::move(bot)});
            },
            [rp](const error_info& e) mutable { rp.deliver(R{e}); });
        return rp;
      },
      [=](hook_atom, post_request& req) -> caf::result<write_outcome> {
        auto& st = self->state;
        auto ch = st.channels.find(req.channel_id);
        // The hook's bot user is no member and may be no whitelisted entrant: the owner
        // who made the hook let it in, so only the channel's existence is checked here.
        if (ch == st.channels.end())
          return write_outcome{make_error(errc::not_found, "the webhook's channel is gone"),
                               {},
                               false,
                               std::nullopt};
        if (ch->second.row.visibility == storage::channel_visibility::dm)
          return write_outcome{make_error(errc::bad_request, "a webhook cannot post into a DM"),
                               {},
                               false,
                               std::nullopt};
        self->delegate(ch->second.actor, post_atom::value, std::move(req));
        return caf::delegated<write_outcome>{};
      },
      [=](bot_atom, list_atom, const principal& who) {
        if (!can_enter(self->state, who.user)) return std::vector<storage::bot_row>{};
        return self->state.bots;
      },
      [=](mention_atom, const storage::message_row& m) {
        notify_mentions(self, m);
        relay_bot_mentions(self, m, {});
      },
  };
}

}  // namespace relay
