#include "actors/store_writer.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/webhook_outbox.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "storage/store.hpp"

namespace relay {

namespace {

// A write runs inside the batch's transaction; `finish` answers once the batch has
// committed (`ok`) or failed.
struct pending_write {
  std::function<void(storage::store&)> run;
  std::function<void(bool ok)> finish;
  std::string channel;  // "room\nchannel" of an append: its seq lock (lock_channels)
};

struct writer_state {
  std::shared_ptr<storage::store> db;
  // Runs COMMIT (the fsync) on its own thread so the writer's inserts, and the live
  // fan-out they trigger, stay on the actor workers without waking a thread per post.
  // Null: commit inline (deterministic tests).
  caf::actor committer;
  std::vector<pending_write> batch;
  // The batch being committed; while it is not empty the connection belongs to the
  // committer.
  std::vector<pending_write> in_commit;
  bool flush_scheduled = false;
  // Per channel ("room\nchannel"): seqs reserved by committed transactions (messages
  // up to there may be shown before their commit), and seqs shown early in a batch
  // that rolled back (never to be given out again).
  std::unordered_map<std::string, std::int64_t> reserved;
  std::unordered_map<std::string, std::int64_t> floor;
  // The running batch's reservations and early seqs, settled by its commit or rollback.
  std::unordered_map<std::string, std::int64_t> batch_reserved;
  std::unordered_map<std::string, std::int64_t> batch_shown;
  bool lost_shown = false;  // some early seq was rolled back: keep the reservations
  std::chrono::steady_clock::time_point started;
  int attempts = 0;  // of the batch in commit: a retryable failure runs it again

  ~writer_state() {
    // A clean stop: every seq handed out is committed, so the next start need not skip.
    // Mid-commit the connection is not ours; the next start skips the reservation.
    if (db && !lost_shown && in_commit.empty()) db->release_reserved_seqs();
  }
  static inline const char* name = "store_writer";
};

using writer_self = store_writer_actor::stateful_pointer<writer_state>;

// Queues `run` for the next commit and answers its result (or `failed`) afterwards.
template <class T, class F>
caf::typed_response_promise<T> enqueue(writer_self self, F run, T failed,
                                       std::string channel = {}) {
  auto rp = self->make_response_promise<T>();
  auto result = std::make_shared<T>();
  self->state.batch.push_back(
      {[result, run = std::move(run)](storage::store& db) mutable { *result = run(db); },
       [rp, result, failed = std::move(failed)](bool ok) mutable {
         rp.deliver(ok ? std::move(*result) : std::move(failed));
       },
       std::move(channel)});
  if (!self->state.flush_scheduled) {
    // The flush goes behind everything already queued: all of it lands in one commit.
    self->state.flush_scheduled = true;
    self->send(self, flush_atom::value);
  }
  return rp;
}

caf::typed_response_promise<write_outcome> enqueue(
    writer_self self, std::function<write_outcome(storage::store&)> run, std::string channel = {}) {
  write_outcome failed;
  failed.error = make_error(errc::unavailable, "storage unavailable");
  return enqueue<write_outcome>(self, std::move(run), std::move(failed), std::move(channel));
}

void run_batch(writer_self self);

// A batch the database rolled back to break a deadlock runs again, whole, a few times:
// nothing of it happened, and its writes were never answered. Appends take their seq
// locks in one order (run_batch), so what remains are rarer cycles through other rows.
constexpr int max_attempts = 8;

// The second half of a flush, once COMMIT has run (or the batch failed before it).
void settle(writer_self self, const error_info& failed) {
  auto& st = self->state;
  if (failed.retry && ++st.attempts < max_attempts && st.batch_shown.empty()) {
    spdlog::warn("store commit rolled back ({}), running the batch of {} again", failed.message,
                 st.in_commit.size());
    st.batch_reserved.clear();
    return run_batch(self);
  }
  std::string failure = failed ? failed.message : std::string{};
  auto batch = std::move(st.in_commit);
  st.in_commit.clear();
  // A committed batch's reservations hold; a failed batch burns the seqs it showed.
  if (failure.empty()) {
    for (auto& [key, seq] : st.batch_reserved) st.reserved[key] = std::max(st.reserved[key], seq);
  } else {
    for (auto& [key, seq] : st.batch_shown) {
      st.floor[key] = std::max(st.floor[key], seq);
      st.lost_shown = true;
    }
    st.reserved.clear();  // the rollback undid reservations made with it; start over
  }
  st.batch_reserved.clear();
  st.batch_shown.clear();
  auto& m = metrics::get();
  m.store_batch.observe(static_cast<double>(batch.size()));
  m.store_commit_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count());
  if (!failure.empty()) {
    // Nothing of this batch is durable: no client may get an ack for it.
    spdlog::error("store commit failed, {} writes rejected: {}", batch.size(), failure);
  }
  for (auto& w : batch) w.finish(failure.empty());
}

void flush(writer_self self);

void commit(writer_self self) {
  auto& st = self->state;
  if (!st.committer) {
    auto done = st.db->commit();
    return settle(self, done ? error_info{} : done.error());
  }
  self->request(st.committer, caf::infinite, flush_atom::value)
      .then(
          [self](error_info& failure) {
            settle(self, failure);
            if (self->state.in_commit.empty() && !self->state.batch.empty()) flush(self);
          },
          [self](caf::error& err) {
            // The committer is gone (shutting down): the connection's state is unknown.
            settle(self, make_error(errc::unavailable, to_string(err)));
          });
}

void flush(writer_self self) {
  auto& st = self->state;
  st.flush_scheduled = false;
  // What arrives during a commit waits for it and then goes in the next batch.
  if (!st.in_commit.empty() || st.batch.empty()) return;
  st.in_commit = std::move(st.batch);
  st.batch.clear();
  st.attempts = 0;
  run_batch(self);
}

void run_batch(writer_self self) {
  auto& st = self->state;
  // A store call that fails (storage/expected.hpp: failed, not a refusal like conflict)
  // aborts the transaction, whether or not the write that made it looks at its result:
  // the calls after it fail at once and the commit rolls the whole batch back and
  // returns the failure, so no write of the batch is acknowledged.
  st.started = std::chrono::steady_clock::now();
  if (auto began = st.db->begin(); !began) {
    st.db->rollback();
    return settle(self, began.error());
  }
  std::vector<std::string> channels;
  for (const auto& w : st.in_commit)
    if (!w.channel.empty()) channels.push_back(w.channel);
  std::sort(channels.begin(), channels.end());
  channels.erase(std::unique(channels.begin(), channels.end()), channels.end());
  // A failure here aborts the transaction: the writes below fail with it and the commit
  // returns it (retried when it was a deadlock).
  if (!channels.empty()) (void)st.db->lock_channels(channels);
  for (auto& w : st.in_commit) w.run(*st.db);
  commit(self);
}

// Owns COMMIT for the writer: the only blocking call (fsync) is made here.
caf::behavior committer(caf::event_based_actor*, std::shared_ptr<storage::store> db) {
  return {
      [db](flush_atom) {
        auto done = db->commit();
        return done ? error_info{} : done.error();
      },
  };
}

// Loads the message and checks it belongs to the room and to a channel the caller can
// see; the edit/delete rules use it. Hidden and unknown look the same.
std::optional<storage::message_row> message_in_room(storage::store& db, const std::string& room_id,
                                                    const std::string& id,
                                                    const std::vector<std::string>& visible) {
  auto m = db.find_message(id);
  if (!m || m->room_id != room_id) return std::nullopt;
  if (std::find(visible.begin(), visible.end(), m->channel_id) == visible.end())
    return std::nullopt;
  return std::move(m).to_optional();
}

// Appends `msg`; when its seq was reserved by an earlier commit, shows it to `notify`
// (the channel) right away.
write_outcome append(writer_self self, storage::store& db, storage::new_message& msg,
                     const caf::actor& notify) {
  auto& st = self->state;
  auto key = msg.room_id + '\n' + msg.channel_id;
  if (auto f = st.floor.find(key); f != st.floor.end()) msg.seq_floor = f->second;
  auto r = db.append_message(msg);
  if (!r) {
    // A clientMsgId its author used elsewhere is refused before anything is written:
    // the batch goes on, and this send alone gets the error.
    if (r.error().code == errc::conflict && !msg.client_msg_id.empty()) {
      write_outcome refused;
      refused.error = r.error();
      return refused;
    }
    // Any other failed append is answered by its batch failing (the failure aborted it).
    return write_outcome{};
  }
  write_outcome out{{}, std::move(r->message), r->duplicate, std::nullopt};
  if (r->duplicate) return out;
  // The outbox row joins the message's transaction: both commit or neither does.
  webhook_outbox::message_created(db, out.message);
  auto& pending = st.batch_reserved[key];
  pending = std::max(pending, r->reserved);
  auto committed = st.reserved.find(key);
  if (notify && committed != st.reserved.end() && out.message.seq <= committed->second) {
    // The requester's handle is untyped, which a typed actor may not send() to.
    caf::unsafe_send_as(self, notify, applied_atom::value, out.message);
    st.batch_shown[key] = out.message.seq;
  }
  return out;
}

store_writer_actor::behavior_type writer(writer_self self, store_factory open, bool commit_thread) {
  self->state.db = open();
  if (commit_thread)
    self->state.committer = self->spawn<caf::detached + caf::linked>(committer, self->state.db);
  // Seqs reserved before a crash may have been seen by clients: continue above them.
  if (auto skipped = self->state.db->skip_reserved_seqs(); !skipped)
    spdlog::error("store: cannot skip reserved seqs: {}", skipped.error().message);
  return {
      [=](append_atom, storage::new_message& msg) {
        auto notify = caf::actor_cast<caf::actor>(self->current_sender());
        auto channel = msg.room_id + '\n' + msg.channel_id;
        std::function<write_outcome(storage::store&)> run =
            [self, notify, msg = std::move(msg)](storage::store& db) mutable {
              return append(self, db, msg, notify);
            };
        return enqueue(self, std::move(run), std::move(channel));
      },
      [=](edit_atom, std::string& room_id, edit_request& req) {
        return enqueue(
            self, [room_id = std::move(room_id), req = std::move(req)](storage::store& db) {
              write_outcome out;
              auto m = message_in_room(db, room_id, req.message_id, req.visible_channels);
              if (!m) {
                out.error = make_error(errc::not_found, "no such message");
              } else if (m->author.id != req.from.user.id) {
                out.error = make_error(errc::forbidden, "only the author can edit a message");
              } else if (auto edited = db.edit_message(req.message_id, req.content, now_ms())) {
                out.message = std::move(*edited);
                webhook_outbox::message_updated(db, out.message);
              } else {
                out.error = make_error(errc::not_found, "no such message");
              }
              return out;
            });
      },
      [=](delete_atom, std::string& room_id, std::string& owner_id, delete_request& req) {
        return enqueue(self, [room_id = std::move(room_id), owner_id = std::move(owner_id),
                              req = std::move(req)](storage::store& db) {
          write_outcome out;
          auto m = message_in_room(db, room_id, req.message_id, req.visible_channels);
          if (!m) {
            out.error = make_error(errc::not_found, "no such message");
          } else if (m->author.id != req.from.user.id &&
                     (owner_id.empty() || owner_id != req.from.user.id)) {
            out.error = make_error(errc::forbidden, "only the author or the room owner can delete");
          } else if (auto gone = db.delete_message(req.message_id)) {
            out.message = std::move(*gone);
            webhook_outbox::message_deleted(db, out.message);
          } else {
            out.error = make_error(errc::not_found, "no such message");
          }
          return out;
        });
      },
      [=](react_atom, std::string& room_id, react_request& req) {
        return enqueue(self, [room_id = std::move(room_id),
                              req = std::move(req)](storage::store& db) {
          write_outcome out;
          if (!message_in_room(db, room_id, req.message_id, req.visible_channels)) {
            out.error = make_error(errc::not_found, "no such message");
            return out;
          }
          auto changed = req.add ? db.add_reaction(req.message_id, req.emoji, req.from.user.id,
                                                   max_distinct_reactions)
                                 : db.remove_reaction(req.message_id, req.emoji, req.from.user.id);
          if (!changed) {
            out.error = changed.error();
            return out;
          }
          out.duplicate = !*changed;
          if (auto m = db.find_message(req.message_id))
            out.message = std::move(*m);
          else
            out.error = m.error();
          if (!out.error && !out.duplicate)
            webhook_outbox::reaction_changed(db, req.add, out.message, req.emoji, req.from.user);
          return out;
        });
      },
      [=](create_atom, storage::channel_row& row) {
        return enqueue(self, [row = std::move(row)](storage::store& db) {
          write_outcome out;
          auto r = db.create_channel(row);
          if (!r)
            out.error = r.error();
          else
            out.channel = std::move(*r);
          return out;
        });
      },
      [=](token_atom, create_atom, std::string& user_id, std::string& name, std::string& hash) {
        token_outcome failed{make_error(errc::unavailable, "storage unavailable"), {}};
        return enqueue<token_outcome>(
            self,
            [user_id = std::move(user_id), name = std::move(name),
             hash = std::move(hash)](storage::store& db) {
              auto token = db.create_token(user_id, name, hash);
              if (!token) return token_outcome{token.error(), {}};
              return token_outcome{{}, std::move(*token)};
            },
            failed);
      },
      [=](token_atom, revoke_atom, std::string& user_id, std::string& token_id) {
        token_outcome failed{make_error(errc::unavailable, "storage unavailable"), {}};
        return enqueue<token_outcome>(
            self,
            [user_id = std::move(user_id), token_id = std::move(token_id)](storage::store& db) {
              token_outcome out;
              out.token.id = token_id;
              if (!db.revoke_token(user_id, token_id))
                out.error = make_error(errc::not_found, "no such token");
              return out;
            },
            failed);
      },
      [=](job_atom, store_job& job) {
        return enqueue<bool>(
            self,
            [job = std::move(job)](storage::store& db) {
              job(db);
              return true;
            },
            false);
      },
      [=](flush_atom) { flush(self); },
  };
}

}  // namespace

store_writer_actor spawn_store_writer(caf::actor_system& sys, store_factory open,
                                      bool commit_thread) {
  return sys.spawn(writer, std::move(open), commit_thread);
}

}  // namespace relay
