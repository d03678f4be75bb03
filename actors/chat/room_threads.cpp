// Threads in a room: creating the thread under a message, posting replies, and who may
// read a thread. Replies are not messages of the channel: they go to the store writer
// (in its batches, like every write) and are never broadcast as `message`; what the
// channel's readers get is `thread_updated` with the root and its new counts.

#include <algorithm>

#include "actors/chat/room_state.hpp"
#include "actors/store_call.hpp"
#include "actors/webhook_outbox.hpp"
#include "protocol/thread_codec.hpp"

namespace relay {

namespace {

thread_outcome refused(error_info e) {
  thread_outcome out;
  out.error = std::move(e);
  return out;
}

// Room entered and channel visible; otherwise the thread does not exist for this caller.
bool may_read(room_state& st, const std::string& channel_id, const storage::user_row& u) {
  return can_enter(st, u) && visible_channel(st, channel_id, u) != nullptr;
}

// The root reread inside the write's transaction: none when it was deleted.
storage::expected<std::optional<storage::message_row>> root_of(storage::store& db,
                                                               const std::string& root_id) {
  auto m = db.find_message(root_id);
  if (m) return std::optional<storage::message_row>{std::move(*m)};
  if (m.not_found()) return std::optional<storage::message_row>{};
  return m.error();
}

// A thread was created or took a reply, committed: the root's channel mirrors the root's
// counts in its ring and pages and sends its readers thread_updated (WebSocket and SSE
// alike); in cluster mode every other node's channel does the same. With the root deleted
// the event still goes out (`message` null), so open thread panels refresh.
void thread_changed(room_self self, const storage::thread_row& t,
                    const std::optional<storage::message_row>& root) {
  auto& st = self->state;
  auto text = codec::encode_thread_updated(t, root);
  if (auto it = st.channels.find(t.channel_id); it != st.channels.end()) {
    if (root)
      self->send(it->second.actor, thread_atom::value, *root, make_frame(text));
    else
      self->send(it->second.actor, broadcast_atom::value, make_frame(text));
  }
  if (st.p.cluster) {
    codec::cluster_event e;
    e.what = codec::cluster_event::kind::threaded;
    e.room_id = st.p.row.id;
    e.channel_id = t.channel_id;
    e.text = std::move(text);
    if (root) e.message = *root;
    st.p.cluster->publish(std::move(e));
  }
}

// The reply path's last step, on the node that took the reply, once it is committed (a
// retried client id does not come here): `reply` is the stored reply (id, author, room_id,
// channel_id, thread_id, content). What a new reply sets off starts here: the live update,
// the @mentions of people and of agent-bound bots (answered in the thread).
void reply_committed(room_self self, const thread_outcome& out) {
  thread_changed(self, out.thread, out.root);
  // A reply's mentions follow its thread's channel: who can see the channel can read it.
  auto reply = out.reply;
  reply.channel_id = out.thread.channel_id;
  reply.thread_id = out.thread.id;
  notify_mentions(self, reply);
  relay_bot_mentions(self, reply, out.thread);
}

}  // namespace

void thread_from_other_node(room_self self, const codec::cluster_event& e) {
  auto& st = self->state;
  auto it = st.channels.find(e.channel_id);
  if (it == st.channels.end()) return;
  if (!e.message.id.empty())
    self->send(it->second.actor, thread_atom::value, e.message, make_frame(e.text));
  else
    self->send(it->second.actor, broadcast_atom::value, make_frame(e.text));
}

room_threads_actor::behavior_type room_threads(room_self self) {
  return {
      [=](thread_atom, thread_request& req) {
        auto& st = self->state;
        for (auto& [id, ch] : st.channels)
          if (can_see(ch, req.from.user)) req.visible_channels.push_back(id);
        auto rp = self->make_response_promise<thread_outcome>();
        store_call(
            self, st.p.writer,
            [req = std::move(req),
             room_id = st.p.row.id](storage::store& db) -> storage::expected<thread_outcome> {
              // Hidden, unknown and another room's messages look the same.
              auto root = db.find_message(req.message_id);
              if (!root && !root.not_found()) return root.error();
              const auto& vis = req.visible_channels;
              if (!root || root->room_id != room_id ||
                  std::find(vis.begin(), vis.end(), root->channel_id) == vis.end())
                return make_error(errc::not_found, "no such message");
              thread_outcome out;
              auto t = db.create_thread(req.message_id, out.created);
              if (!t) return t.error();
              out.thread = std::move(*t);
              if (out.created) {
                auto now = root_of(db, req.message_id);
                if (!now) return now.error();
                out.root = std::move(*now);
              }
              return out;
            },
            [=](thread_outcome& out) mutable {
              if (out.created) thread_changed(self, out.thread, out.root);
              rp.deliver(std::move(out));
            },
            [=](const error_info& e) mutable { rp.deliver(refused(e)); });
        return rp;
      },
      [=](thread_atom, reply_request& req) -> caf::result<thread_outcome> {
        auto& st = self->state;
        if (req.thread.room_id != st.p.row.id ||
            (!req.from_room_bot && !may_read(st, req.thread.channel_id, req.from.user)))
          return refused(make_error(errc::not_found, "no such thread"));
        auto rp = self->make_response_promise<thread_outcome>();
        store_call(
            self, st.p.writer,
            [req = std::move(req)](storage::store& db) -> storage::expected<thread_outcome> {
              storage::new_reply r;
              r.thread_id = req.thread.id;
              r.author_id = req.from.user.id;
              r.content = req.content;
              r.client_msg_id = req.client_msg_id;
              auto stored = db.append_reply(r);
              if (!stored) return stored.error();
              thread_outcome out;
              out.reply = std::move(stored->message);
              out.duplicate = stored->duplicate;
              auto t = db.find_thread(req.thread.id);
              if (!t) return t.error();
              out.thread = std::move(*t);
              auto root = root_of(db, out.thread.root_id);
              if (!root) return root.error();
              out.root = std::move(*root);
              // The outbox row joins the reply's transaction: both commit or neither does.
              if (!out.duplicate)
                if (auto hooked = webhook_outbox::reply_created(db, out.thread, out.reply); !hooked)
                  return hooked.error();
              return out;
            },
            [=](thread_outcome& out) mutable {
              if (!out.duplicate) reply_committed(self, out);
              rp.deliver(std::move(out));
            },
            [=](const error_info& e) mutable { rp.deliver(refused(e)); });
        return rp;
      },
      [=](thread_atom, const principal& who, const std::string& channel_id) {
        return may_read(self->state, channel_id, who.user);
      },
  };
}

}  // namespace relay
