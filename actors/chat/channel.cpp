#include "actors/chat/channel.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/chat/content_rules.hpp"
#include "actors/chat/fanout_lanes.hpp"
#include "actors/chat/page_cache.hpp"
#include "actors/messages.hpp"
#include "actors/store_reader.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/metrics.hpp"
#include "protocol/json_codec.hpp"

namespace relay {

namespace {

struct subscriber {
  sink_ptr sink;
  std::string user_id;
};

// A resume waiting for a page of the store (its own read, or one already on its way).
struct page_waiter {
  std::size_t messages;
  std::size_t bytes;
  std::function<void(caf::expected<page_cache::page>)> done;
};

// Pages read for resumes stay this long after their last use.
constexpr std::int64_t page_cache_idle_ms = 30'000;

struct channel_state {
  channel_params p;
  std::deque<storage::message_row> ring;
  // True while the ring holds every message the channel has, so any resume is served
  // from memory.
  bool ring_complete = false;
  std::int64_t last_seq = 0;
  // Every seq up to here is committed (or gone for good): what store reads may cover.
  // Above it, messages the writer showed before their commit live only in the ring.
  std::int64_t durable_seq = 0;
  std::unordered_map<std::uint64_t, subscriber> subs;
  fanout_lanes lanes;  // subs by I/O thread; invalidate() on every change to subs
  // Resuming far behind: they get edits, deletes and typing, but new messages only
  // once the connection has paged up to them (catchup_atom) and they move to `subs`.
  std::unordered_map<std::uint64_t, subscriber> catching;
  // Store pages of resumes, shared by everyone resuming through the same range.
  page_cache pages{0};
  // Edits and deletes seen: a read they may have overtaken is not cached.
  std::uint64_t edits = 0;
  // Store reads in flight, by the seq they read after, and who waits for each.
  std::map<std::int64_t, std::vector<page_waiter>> reading;
  bool sweep_due = false;
  // Cluster mode: messages that arrived ahead of a seq still missing, by seq, and the
  // store read filling the gap (one at a time; a resync asked for meanwhile waits).
  std::map<std::int64_t, storage::message_row> held;
  bool filling = false;
  bool resync_due = false;
  static inline const char* name = "channel";
};

using channel_self = channel_actor::stateful_pointer<channel_state>;

void remember(channel_state& st, storage::message_row m) {
  st.ring.push_back(std::move(m));
  if (st.ring.size() > static_cast<std::size_t>(st.p.ring_messages)) {
    st.ring.pop_front();
    st.ring_complete = false;
  }
}

// A new message, in seq order: into the ring and out to the live subscribers (those
// catching up will page up to it).
void fan_out(channel_self self, const storage::message_row& m) {
  auto& st = self->state;
  st.last_seq = m.seq;
  auto f = message_frame(m);
  remember(st, m);
  st.lanes.send(f, st.subs);
}

// -- cluster mode: one order for every node ------------------------------------------

// A gap-filling read asks for this many messages at a time.
constexpr std::size_t gap_page = 256;
// "Up to the newest": a resync reads whatever is committed.
constexpr std::int64_t no_limit = std::numeric_limits<std::int64_t>::max();

void fill_gap(channel_self self, std::int64_t upto);

// Shows every held message that is next in line; a message still held after that waits
// for a missing seq, which a store read fills.
void release(channel_self self) {
  auto& st = self->state;
  while (!st.held.empty() && st.held.begin()->first <= st.last_seq + 1) {
    auto next = st.held.extract(st.held.begin());
    if (next.key() > st.last_seq) fan_out(self, next.mapped());
  }
  if (!st.held.empty()) fill_gap(self, st.held.begin()->first - 1);
}

// A committed message, from this node's writer or another node's, in whatever order they
// arrive. In cluster mode Postgres assigns a channel's seqs without gaps, and a channel's
// transactions commit in seq order (the seq row is locked until commit). So a message
// past last_seq + 1 means those between are committed: on their way from another node,
// lost by pub/sub, or deleted since. It waits while one store read fills the gap.
void deliver(channel_self self, storage::message_row m) {
  auto& st = self->state;
  if (m.seq <= st.last_seq) return;  // shown already, from a gap fill
  st.durable_seq = std::max(st.durable_seq, m.seq);
  st.held.emplace(m.seq, std::move(m));
  release(self);
}

// Shows what the store has after last_seq up to `upto`. Seqs of (last_seq, upto] the read
// does not find were deleted meanwhile: the channel moves past them.
void fill_gap(channel_self self, std::int64_t upto) {
  auto& st = self->state;
  if (st.filling) return;
  st.filling = true;
  metrics::get().cluster_gap_fills.inc();
  self->request(st.p.readers, store_read_timeout, load_atom::value, st.p.room_id, st.p.row.id,
                st.last_seq, upto, gap_page, std::numeric_limits<std::size_t>::max() / 2)
      .then(
          [=](std::vector<storage::message_row>& ms) {
            auto& st = self->state;
            st.filling = false;
            for (auto& m : ms)
              if (m.seq > st.last_seq) fan_out(self, m);
            const bool complete = ms.size() < gap_page;
            if (complete && upto != no_limit) st.last_seq = std::max(st.last_seq, upto);
            st.durable_seq = std::max(st.durable_seq, st.last_seq);
            if (!complete || st.resync_due) {
              st.resync_due = false;
              fill_gap(self, no_limit);
            }
            release(self);
          },
          [=](caf::error& err) {
            auto& st = self->state;
            st.filling = false;
            spdlog::warn("channel '{}': cannot fill a seq gap from the store: {}", st.p.row.id,
                         to_string(err));
            // The held messages wait; try again shortly.
            self->delayed_send(self, std::chrono::milliseconds(500), cluster_atom::value,
                               resync_atom::value);
          });
}

// Every subscriber, catching up or not: for what is not a new message.
void broadcast(channel_state& st, const frame_ptr& f) {
  st.lanes.send(f, st.subs);
  for (auto& [id, s] : st.catching) s.sink->push(f);
}

// A committed change to a message that is not an edit of its text (reactions, thread
// counts): the ring and the pages get the message as it is now, subscribers `f`.
void mirror_and_broadcast(channel_state& st, const storage::message_row& m, const frame_ptr& f) {
  ++st.edits;
  st.pages.edit(m);
  for (auto& r : st.ring)
    if (r.id == m.id) r = m;
  broadcast(st, f);
}

// A message shown before its commit whose batch then rolled back: clients drop it.
void retract(channel_self self, const std::string& id) {
  auto& st = self->state;
  auto it = std::find_if(st.ring.begin(), st.ring.end(), [&](auto& r) { return r.id == id; });
  if (it == st.ring.end()) return;
  st.ring.erase(it);
  broadcast(st, make_frame(codec::encode_message_deleted(id, st.p.row.id)));
}

// The messages a subscriber missed after `after`, if the ring can tell.
std::optional<std::vector<storage::message_row>> from_ring(const channel_state& st,
                                                           std::int64_t after) {
  std::vector<storage::message_row> out;
  if (after >= st.last_seq) return out;
  bool covered = st.ring_complete || (!st.ring.empty() && st.ring.front().seq <= after + 1);
  if (!covered) return std::nullopt;
  for (auto& m : st.ring)
    if (m.seq > after) out.push_back(m);
  return out;
}

// The actor's clock (the test coordinator's in tests), in ms: when pages were last read.
std::int64_t clock_ms(channel_self self) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             self->clock().now().time_since_epoch())
      .count();
}

void count_page(metrics::page_source source) {
  metrics::get().resume_pages[static_cast<std::size_t>(source)].inc();
}

// Expires idle pages now and then while any are cached.
void sweep_later(channel_self self) {
  auto& st = self->state;
  if (st.sweep_due || st.pages.empty()) return;
  st.sweep_due = true;
  self->delayed_send(self, std::chrono::milliseconds(page_cache_idle_ms / 3), sweep_atom::value);
}

// The page after `after` (up to what is durable) for a resume: from the page cache, or
// from one store read that everyone asking for the same page meanwhile shares.
void load_page(channel_self self, std::int64_t after, resume_page page, std::size_t budget,
               std::function<void(caf::expected<page_cache::page>)> done) {
  auto& st = self->state;
  auto upto = st.durable_seq;
  if (upto <= after) return done(page_cache::page{{}, after});  // the commit is on its way
  if (auto hit = st.pages.find(after, upto, page.messages, budget, clock_ms(self))) {
    count_page(metrics::page_source::cache);
    return done(std::move(*hit));
  }
  auto& waiting = st.reading[after];
  waiting.push_back({page.messages, budget, std::move(done)});
  if (waiting.size() > 1) return count_page(metrics::page_source::shared);
  count_page(metrics::page_source::store);
  auto edits = st.edits;
  self->request(st.p.readers, store_read_timeout, load_atom::value, st.p.room_id, st.p.row.id,
                after, upto, page.messages, page.bytes)
      .then(
          [=](std::vector<storage::message_row>& ms) {
            auto& st = self->state;
            auto waiters = std::move(st.reading[after]);
            st.reading.erase(after);
            // Nothing left in (after, upto] (deleted): the cursor still moves on.
            auto next = ms.empty() ? upto : ms.back().seq;
            if (st.edits == edits) {
              st.pages.insert(after, next, ms, clock_ms(self));
              sweep_later(self);
            }
            for (auto& w : waiters) {
              page_cache::page p{ms, next};
              if (!fit_page(p.rows, w.messages, w.bytes)) p.next = p.rows.back().seq;
              w.done(std::move(p));
            }
          },
          [=](caf::error& err) {
            auto& st = self->state;
            spdlog::warn("resume read failed for channel '{}': {}", st.p.row.id, to_string(err));
            auto waiters = std::move(st.reading[after]);
            st.reading.erase(after);
            for (auto& w : waiters) w.done(err);
          });
}

void send_snapshot(channel_self self, const subscription& sub, const caf::actor& conn) {
  auto& st = self->state;
  auto sink_id = sub.sink->id();
  subscriber entry{sub.sink, sub.who.user.id};
  channel_snapshot snap{st.p.row.id, st.last_seq, {}};
  auto it = sub.resume.find(st.p.row.id);
  if (sub.resume.empty()) {
    auto n = std::min<std::size_t>(st.ring.size(), static_cast<std::size_t>(st.p.sync_messages));
    snap.messages.assign(st.ring.end() - static_cast<std::ptrdiff_t>(n), st.ring.end());
  } else if (it == sub.resume.end()) {
    // Resuming other channels only: live here from now on.
  } else if (auto missed = from_ring(st, it->second)) {
    if (!missed->empty()) count_page(metrics::page_source::ring);
    snap.more = !fit_page(*missed, sub.page.messages, sub.page.bytes);
    snap.messages = std::move(*missed);
  } else {
    // Older than the ring: the first page comes from the store, the rest is paged.
    st.catching[sink_id] = std::move(entry);
    load_page(self, it->second, sub.page, sub.page.bytes,
              [=](caf::expected<page_cache::page> p) mutable {
                if (p) snap.messages = std::move(p->rows);
                snap.more = true;
                caf::unsafe_send_as(self, conn, snapshot_atom::value, std::move(snap));
              });
    return;
  }
  (snap.more ? st.catching : st.subs)[sink_id] = std::move(entry);
  if (!snap.more) st.lanes.invalidate();
  // The connection is not typed (it is private to this module), which a typed actor's
  // `send` refuses: `unsafe_send_as` is the same send without the static check, and
  // keeps this channel as the sender, which is how the connection learns its handle.
  caf::unsafe_send_as(self, conn, snapshot_atom::value, std::move(snap));
}

// The next page for a subscriber catching up after `after`. Once the rest fits in one
// page and the ring holds it, the channel pushes it itself and makes the subscriber
// live in the same step, so no message falls between the pages and the live fan-out.
caf::result<catchup_page> next_page(channel_self self, std::uint64_t sink_id, std::int64_t after,
                                    resume_page page) {
  auto& st = self->state;
  auto it = st.catching.find(sink_id);
  if (it == st.catching.end()) return catchup_page{{}, after, true};
  auto budget = std::min(page.bytes, it->second.sink->headroom());
  if (auto missed = from_ring(st, after)) {
    if (!missed->empty()) count_page(metrics::page_source::ring);
    if (!fit_page(*missed, page.messages, budget)) {
      auto last = missed->back().seq;
      return catchup_page{std::move(*missed), last, false};
    }
    for (auto& m : *missed) it->second.sink->push(message_frame(m));
    st.subs[sink_id] = std::move(it->second);
    st.lanes.invalidate();
    st.catching.erase(it);
    return catchup_page{{}, st.last_seq, true};
  }
  auto rp = self->make_response_promise<catchup_page>();
  // Past durable_seq only the ring can tell; the next call finds it there.
  load_page(self, after, page, budget, [rp](caf::expected<page_cache::page> p) mutable {
    if (!p) {
      rp.deliver(std::move(p.error()));
      return;
    }
    rp.deliver(catchup_page{std::move(p->rows), p->next, false});
  });
  return rp;
}

channel_actor::behavior_type channel(channel_self self, channel_params params) {
  self->state.p = std::move(params);
  auto& st = self->state;
  st.pages = page_cache{static_cast<std::size_t>(st.p.page_cache_bytes)};
  if (st.p.fresh) {
    st.ring_complete = true;
  } else {
    // Nothing else is handled until the ring is loaded, so the first subscriber
    // already sees the channel's recent history.
    self->request(st.p.readers, store_read_timeout, tail_atom::value, st.p.room_id, st.p.row.id,
                  st.p.ring_messages)
        .await(
            [self](channel_snapshot& snap) {
              auto& st = self->state;
              st.last_seq = snap.last_seq;
              st.durable_seq = snap.last_seq;
              st.ring_complete =
                  snap.messages.size() < static_cast<std::size_t>(st.p.ring_messages);
              for (auto& m : snap.messages) st.ring.push_back(std::move(m));
            },
            [self](caf::error& err) {
              spdlog::error("channel load failed: {}", to_string(err));
              self->quit(err);
            });
  }
  return {
      [=](subscribe_atom, const subscription& sub, const caf::actor& conn) {
        send_snapshot(self, sub, conn);
      },
      [=](subscribe_atom, const subscription& sub) {
        self->state.subs[sub.sink->id()] = {sub.sink, sub.who.user.id};
        self->state.lanes.invalidate();
      },
      [=](unsub_atom, std::uint64_t sink_id) {
        if (self->state.subs.erase(sink_id) > 0) self->state.lanes.invalidate();
        self->state.catching.erase(sink_id);
      },
      [=](catchup_atom, std::uint64_t sink_id, std::int64_t after, resume_page page) {
        return next_page(self, sink_id, after, page);
      },
      [=](applied_atom, const storage::message_row& m) {
        // Shown before its commit; the ack waits for the commit.
        if (m.channel_id == self->state.p.row.id && m.seq > self->state.last_seq) fan_out(self, m);
      },
      [=](post_atom, post_request& req) {
        auto rp = self->make_response_promise<write_outcome>();
        storage::new_message m;
        m.created_at = now_ms();
        m.id = make_id("msg", m.created_at);
        m.room_id = self->state.p.room_id;
        m.channel_id = self->state.p.row.id;
        m.author_id = req.from.user.id;
        m.content = std::move(req.content);
        m.client_msg_id = std::move(req.client_msg_id);
        m.bot = req.bot.empty() ? bot_tag(m.content) : std::move(req.bot);
        auto id = m.id;
        // Writer messages (early `applied`, then replies) arrive in seq order, so
        // fan-out follows seq order. No timeout: the writer answers every append once
        // its batch committed or rolled back; a timeout would retract a message that
        // still commits.
        self->request(self->state.p.writer, caf::infinite, append_atom::value, std::move(m))
            .then(
                [=](write_outcome& out) mutable {
                  auto& st = self->state;
                  if (out.error) {
                    retract(self, id);
                  } else if (!out.duplicate && out.message.channel_id == st.p.row.id &&
                             st.p.cluster) {
                    st.p.cluster->publish(codec::about_message(codec::cluster_event::kind::message,
                                                               st.p.room_id, out.message));
                    deliver(self, out.message);
                    if (st.p.room && out.message.content.find('@') != std::string::npos)
                      self->send(st.p.room, mention_atom::value, out.message);
                  } else if (!out.duplicate && out.message.channel_id == st.p.row.id) {
                    st.durable_seq = std::max(st.durable_seq, out.message.seq);
                    // Not shown yet when its seq was not reserved before this commit.
                    if (out.message.seq > st.last_seq) fan_out(self, out.message);
                    if (st.p.room && out.message.content.find('@') != std::string::npos)
                      self->send(st.p.room, mention_atom::value, out.message);
                  }
                  rp.deliver(std::move(out));
                },
                [=](caf::error& err) mutable {
                  retract(self, id);
                  rp.deliver(write_outcome{
                      make_error(errc::unavailable, to_string(err)), {}, false, std::nullopt});
                });
        return rp;
      },
      [=](edit_atom, const storage::message_row& m) {
        auto& st = self->state;
        ++st.edits;
        st.pages.edit(m);
        for (auto& r : st.ring)
          if (r.id == m.id) r = m;
        broadcast(st, make_frame(codec::encode_message_updated(m)));
      },
      [=](delete_atom, const storage::message_row& m) {
        auto& st = self->state;
        ++st.edits;
        st.pages.erase(m);
        std::erase_if(st.ring, [&](const storage::message_row& r) { return r.id == m.id; });
        broadcast(st, make_frame(codec::encode_message_deleted(m.id, m.channel_id)));
      },
      [=](react_atom, const storage::message_row& m, const frame_ptr& f) {
        mirror_and_broadcast(self->state, m, f);
      },
      [=](thread_atom, const storage::message_row& m, const frame_ptr& f) {
        mirror_and_broadcast(self->state, m, f);
      },
      [=](broadcast_atom, const frame_ptr& f) { broadcast(self->state, f); },
      [=](cluster_atom, storage::message_row& m) {
        if (m.channel_id == self->state.p.row.id) deliver(self, std::move(m));
      },
      [=](cluster_atom, resync_atom) {
        auto& st = self->state;
        if (st.filling)
          st.resync_due = true;
        else
          fill_gap(self, no_limit);
      },
      [=](sweep_atom) {
        auto& st = self->state;
        st.sweep_due = false;
        st.pages.expire(clock_ms(self) - page_cache_idle_ms);
        sweep_later(self);
      },
      [=](typing_atom, const principal& who) {
        auto f = make_frame(codec::encode_typing(self->state.p.row.id, who.user), {}, true,
                            "typing:" + self->state.p.row.id + ":" + who.user.id);
        for (auto* subs : {&self->state.subs, &self->state.catching})
          for (auto& [id, s] : *subs)
            if (s.user_id != who.user.id) s.sink->push(f);
      },
  };
}

}  // namespace

frame_ptr message_frame(const storage::message_row& m) {
  return make_frame(codec::encode_message_frame(m), codec::event_id(m.channel_id, m.seq));
}

channel_actor spawn_channel(caf::local_actor* parent, channel_params params) {
  return parent->spawn<caf::linked>(channel, std::move(params));
}

}  // namespace relay
