#include "actors/chat/connection.hpp"
#include "actors/quit_unwatching.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/chat/channel.hpp"
#include "actors/chat/content_rules.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"

namespace relay {

namespace {

// Frames refused in a row before the client counts as abusive and is closed.
constexpr int max_refused_in_a_row = 50;

struct connection_state {
  connection_params p;
  std::optional<token_bucket> sends;
  int refused_in_a_row = 0;
  int snapshots_expected = -1;  // unknown until the room answers the join
  std::vector<std::pair<channel_snapshot, channel_actor>> snapshots;
  bool synced = false;
  // Channels whose resume is still being paged: the channel and the last seq sent.
  std::map<std::string, std::pair<channel_actor, std::int64_t>> catching;
  bool paging = false;            // a page request is out
  std::size_t sync_reserved = 0;  // resume budget taken for the sync's first pages
  int posting = 0;                // sends handed to the room, not answered yet
  // Set once the connection has decided to close the client: the close code and reason.
  std::optional<std::pair<int, const char*>> leaving;
  static inline const char* name = "connection";
};

using connection_actor = caf::stateful_actor<connection_state>;

void stop(connection_actor* self) {
  quit_unwatching(self, self->state.p.room);
}

void push_error(connection_actor* self, const error_info& e, std::string_view client_msg_id) {
  self->state.p.sink->push(make_frame(codec::encode_error_frame(e, client_msg_id)));
}

// How often a paged resume looks again at a client whose queue is full.
constexpr auto page_poll = std::chrono::milliseconds(20);

// Sends the next page of a resume once the client's queue has room for it, channel by
// channel. The client's reading paces it: a slow one holds one page, not its backlog.
void page_resume(connection_actor* self) {
  auto& st = self->state;
  if (st.paging || st.catching.empty()) return;
  if (st.p.sink->headroom() == 0) {
    self->delayed_send(self, page_poll, catchup_atom::value);
    return;
  }
  // Every resume in the process shares one rate: the page waits its turn.
  auto reserved = st.p.page.bytes;
  if (auto& budget = st.p.resume_budget) {
    if (auto wait = budget->reserve(reserved, now_ms()); wait > 0) {
      self->delayed_send(self, std::chrono::milliseconds(wait), catchup_atom::value);
      return;
    }
  }
  auto refund = [self, reserved](std::size_t used) {
    if (auto& budget = self->state.p.resume_budget) budget->refund(reserved, used);
  };
  st.paging = true;
  auto& [channel_id, cursor] = *st.catching.begin();
  // No timeout: the channel answers from memory or after a read it bounds itself
  // (store_read_timeout); it dies with the room, which this connection watches.
  self->request(cursor.first, caf::infinite, catchup_atom::value, st.p.sink->id(), cursor.second,
                st.p.page)
      .then(
          [self, id = channel_id, refund](catchup_page& page) {
            auto& st = self->state;
            st.paging = false;
            for (auto& m : page.messages) st.p.sink->push(message_frame(m));
            refund(page_bytes(page.messages));
            if (page.live) {
              st.catching.erase(id);
            } else if (page.after == st.catching[id].second) {
              // Nothing moved: the next messages are not committed yet; look again soon.
              self->delayed_send(self, page_poll, catchup_atom::value);
              return;
            } else {
              st.catching[id].second = page.after;
            }
            page_resume(self);
          },
          [self, refund](caf::error& err) {
            refund(0);
            spdlog::warn("resume paging failed: {}", to_string(err));
            self->state.p.sink->close(1011, "resume failed; reconnect");
            self->send(self->state.p.room, leave_atom::value, self->state.p.sink->id());
            stop(self);
          });
}

void maybe_sync(connection_actor* self) {
  auto& st = self->state;
  if (st.synced || st.snapshots_expected < 0 ||
      st.snapshots.size() < static_cast<std::size_t>(st.snapshots_expected))
    return;
  st.synced = true;
  std::vector<storage::message_row> all;
  std::map<std::string, std::int64_t> seqs;
  // Where the sync leaves the client: a resumed channel at its last message in the sync
  // (later pages follow as message frames), any other at its last seq.
  std::map<std::string, std::int64_t> have;
  for (auto& [s, channel] : st.snapshots) {
    seqs[s.channel_id] = s.last_seq;
    auto& h = have[codec::wire_channel_key(s.channel_id)];
    if (auto r = st.p.resume.find(s.channel_id); r != st.p.resume.end())
      h = s.messages.empty() ? r->second : std::max(r->second, s.messages.back().seq);
    else
      h = s.last_seq;
    if (s.more) {
      auto after = s.messages.empty() ? st.p.resume[s.channel_id] : s.messages.back().seq;
      st.catching[s.channel_id] = {channel, after};
    }
    for (auto& m : s.messages) all.push_back(std::move(m));
  }
  st.snapshots.clear();
  if (st.p.resume.empty()) {
    // The room's last N across channels, oldest first.
    std::sort(all.begin(), all.end(), [](auto& a, auto& b) {
      return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
    });
    if (all.size() > st.p.sync_messages)
      all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(st.p.sync_messages));
  } else {
    // Resumed: per channel in seq order, channels in a stable order.
    std::stable_sort(all.begin(), all.end(), [](auto& a, auto& b) {
      return std::tie(a.channel_id, a.seq) < std::tie(b.channel_id, b.seq);
    });
  }
  if (st.sync_reserved > 0) {
    st.p.resume_budget->refund(std::exchange(st.sync_reserved, 0), page_bytes(all));
  }
  // Over SSE the sync carries its last message's id, so EventSource's Last-Event-ID
  // moves past what the sync brought (stream_cursors finds it as the stream's start).
  auto id = all.empty() ? std::string{} : codec::event_id(all.back().channel_id, all.back().seq);
  st.p.sink->push_sync(make_frame(codec::encode_sync(all, seqs), std::move(id)), std::move(have));
  page_resume(self);
}

void close_now(connection_actor* self) {
  auto& [code, reason] = *self->state.leaving;
  self->state.p.sink->close(static_cast<std::uint16_t>(code), reason);
  self->send(self->state.p.room, leave_atom::value, self->state.p.sink->id());
  stop(self);
}

// Closes the client (abuse, revocation, refusal). Whatever Relay stored before the close
// is acked first (docs/api.md), or the client would resend kept messages or count them
// lost: so no frame is taken from now on, and the close waits for the sends still out.
void leave(connection_actor* self, int code, const char* reason) {
  auto& st = self->state;
  if (st.leaving) return;
  st.leaving.emplace(code, reason);
  if (st.posting == 0) close_now(self);
}

// A send came back from the room: the last one out lets a pending close go.
void posted(connection_actor* self) {
  auto& st = self->state;
  --st.posting;
  if (st.leaving && st.posting == 0) close_now(self);
}

// Per connection first (cheap, no lock), then the user's shared bucket.
bool admit_send(connection_actor* self, const std::string& client_msg_id) {
  auto& st = self->state;
  auto now = now_ms();
  bool ok = st.sends->take(now) == 0 &&
            (!st.p.user_sends || st.p.user_sends->take(st.p.who.user.id, now) == 0);
  if (ok) {
    st.refused_in_a_row = 0;
    return true;
  }
  if (++st.refused_in_a_row > max_refused_in_a_row) {
    leave(self, 1008, "rate limit exceeded");
    return false;
  }
  push_error(self, make_error(errc::rate_limited, "sending too fast; slow down"), client_msg_id);
  return false;
}

void handle_send(connection_actor* self, codec::client_send& s) {
  auto checked = check_content(s.content, self->state.p.max_content_chars);
  if (checked.error) return push_error(self, checked.error, s.client_msg_id);
  if (!admit_send(self, s.client_msg_id)) return;
  post_request req{
      self->state.p.who, std::move(s.channel_id), s.client_msg_id, std::move(checked.text), {}};
  ++self->state.posting;
  // No timeout: the ack means "committed", so the answer waits for the writer's commit,
  // which always answers (committed or rolled back); a room that dies answers with an
  // error. A timeout would tell the client "failed" for a message that then commits.
  self->request(self->state.p.room, caf::infinite, post_atom::value, std::move(req))
      .then(
          [self, id = s.client_msg_id,
           arrived = std::chrono::steady_clock::now()](write_outcome& out) {
            if (out.error) {
              push_error(self, out.error, id);
            } else {
              self->state.p.sink->push(make_frame(codec::encode_ack(out.message)));
              metrics::get().ack_seconds.observe(
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - arrived)
                      .count());
            }
            posted(self);
          },
          [self, id = s.client_msg_id](caf::error& err) {
            push_error(self, make_error(errc::unavailable, to_string(err)), id);
            posted(self);
          });
}

// Joins the room. A resume first reserves its first pages (they go out in the sync)
// from the budget all resumes share, so a crowd reconnecting at once is spread out.
void join(connection_actor* self) {
  auto& st = self->state;
  if (!st.p.resume.empty() && st.p.resume_budget) {
    auto bytes = st.p.page.bytes * st.p.resume.size();
    if (auto wait = st.p.resume_budget->reserve(bytes, now_ms()); wait > 0) {
      self->delayed_send(self, std::chrono::milliseconds(wait), join_atom::value);
      return;
    }
    st.sync_reserved = bytes;
  }
  subscription sub{st.p.sink, st.p.who, st.p.resume, st.p.page};
  // No timeout: the room answers from memory once loaded, and its load is bounded.
  self->request(st.p.room, caf::infinite, join_atom::value, std::move(sub),
                caf::actor_cast<caf::actor>(self))
      .then(
          [self](int n) {
            if (n < 0) return leave(self, 1008, "not allowed in this room");
            self->state.snapshots_expected = n;
            maybe_sync(self);
          },
          [self](caf::error& err) {
            spdlog::warn("join failed: {}", to_string(err));
            self->state.p.sink->close(1011, "room unavailable");
            stop(self);
          });
}

caf::behavior connection(connection_actor* self, connection_params params) {
  self->state.p = std::move(params);
  auto& st = self->state;
  st.sends.emplace(st.p.send_rate, st.p.send_burst);
  join(self);
  // No timeout: the registry answers from memory at once, or in cluster mode within the
  // second it gives Redis.
  if (st.p.registry)
    self->request(st.p.registry, caf::infinite, register_atom::value, st.p.who.token_id,
                  st.p.who.user.id, caf::actor_cast<caf::actor>(self))
        .then([self](bool admitted) {
          if (!admitted) leave(self, 1008, "too many connections for this user");
        });
  // The room is gone: nothing more will arrive, so the client should reconnect.
  self->monitor(st.p.room);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.reason == caf::exit_reason::user_shutdown)
      self->state.p.sink->close(1001, "server shutting down");
    else
      self->state.p.sink->close(1012, "room restarting");
    stop(self);
  });
  return {
      [=](snapshot_atom, channel_snapshot& snap) {
        self->state.snapshots.emplace_back(std::move(snap),
                                           caf::actor_cast<channel_actor>(self->current_sender()));
        maybe_sync(self);
      },
      [=](catchup_atom) { page_resume(self); },
      [=](join_atom) { join(self); },
      [=](codec::client_frame& f, std::size_t bytes) {
        // Handed on (a send becomes a room request): the socket may read more.
        self->state.p.sink->consumed(bytes);
        // Closing: frames that came after the decision are dropped, never stored.
        if (self->state.leaving) return;
        std::visit(
            [&](auto& frame) {
              using T = std::decay_t<decltype(frame)>;
              if constexpr (std::is_same_v<T, codec::client_send>) {
                handle_send(self, frame);
              } else if constexpr (std::is_same_v<T, codec::client_typing>) {
                // No timeout: the room answers from memory at once.
                self->request(self->state.p.room, caf::infinite, typing_atom::value,
                              frame.channel_id, self->state.p.who)
                    .then(
                        [self](bool known) {
                          if (!known)
                            push_error(self,
                                       make_error(errc::not_found, "no such channel in this room"),
                                       "");
                        },
                        [](caf::error&) {});  // the room is going away; so is this client
              } else if constexpr (std::is_same_v<T, codec::client_ping>) {
                self->state.p.sink->push(make_frame(codec::encode_pong()));
              } else {
                push_error(self, frame.error, frame.client_msg_id);
              }
            },
            f);
      },
      [=](close_atom) {
        self->send(self->state.p.room, leave_atom::value, self->state.p.sink->id());
        stop(self);
      },
      [=](revoke_atom) { leave(self, 1008, "token revoked"); },
      // A notification for this socket's user, about any room: it is stored already, so
      // a client that misses it under backpressure finds it in GET /api/notifications.
      [=](notify_atom, const std::string& frame) {
        self->state.p.sink->push(make_frame(frame, {}, true));
      },
  };
}

}  // namespace

caf::actor spawn_connection(caf::actor_system& sys, connection_params params) {
  return sys.spawn(connection, std::move(params));
}

}  // namespace relay
