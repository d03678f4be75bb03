#include "actors/archiver.hpp"

#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "storage/archive_source.hpp"
#include "storage/postgres/archive.hpp"
#include "storage/store.hpp"
#include "storage/tiered_reads.hpp"

namespace relay {

namespace {

struct archiver_state {
  archiver_params p;
  std::unique_ptr<storage::store> hot;
  storage::archive_source* source = nullptr;
  std::unique_ptr<storage::postgres::archive> cold;
  bool migrated = false;
  bool running = false;
  archive_report report;  // of the pass running
  std::vector<caf::typed_response_promise<archive_report>> waiting;
  bool failing = false;  // the last pass failed: log the next failure only once it recovers
  static inline const char* name = "archiver";
};

using archiver_self = archiver_actor::stateful_pointer<archiver_state>;

constexpr std::int64_t analyze_after_moving = 1000;

void next_batch(archiver_self self);
void purge_deleted_channels(archiver_self self);

void finish(archiver_self self, std::string error = {}) {
  auto& st = self->state;
  st.report.error = std::move(error);
  if (!st.report.error.empty()) {
    metrics::get().archive_failures.inc();
    if (!st.failing) spdlog::warn("archive: pass stopped: {}", st.report.error);
    st.failing = true;
  } else {
    if (st.failing) spdlog::info("archive: passes work again");
    st.failing = false;
    if (st.report.moved > 0)
      spdlog::info("archive: moved {} messages to Postgres", st.report.moved);
    // Until autovacuum gets to a table that grew by thousands of rows at once (the first
    // pass of a node with history), Postgres plans history pages without statistics: a
    // sort of the whole channel, 18 ms for 20,000 messages instead of 0.05 ms.
    if (st.report.moved >= analyze_after_moving)
      if (auto a = st.cold->analyze(); !a) spdlog::warn("archive: {}", a.error().message);
  }
  st.running = false;
  for (auto& rp : st.waiting) rp.deliver(st.report);
  st.waiting.clear();
}

// Runs `job` in the writer's next transaction, then `then(committed)`.
template <class F>
void in_writer(archiver_self self, store_job job, F then) {
  self->request(self->state.p.writer, caf::infinite, job_atom::value, std::move(job))
      .then([=](bool committed) mutable { then(committed); },
            [=](caf::error&) mutable { then(false); });
}

// Settles what a forget committed, then clears it from SQLite's settling table.
template <class F>
void settle(archiver_self self, storage::forgotten done, F then) {
  auto& st = self->state;
  if (done.moved.empty() && done.gone.empty()) return then();
  if (auto s = st.cold->settle(done); !s) return finish(self, s.error().message);
  in_writer(
      self,
      [done](storage::store& db) {
        if (auto* src = dynamic_cast<storage::archive_source*>(&db)) src->clear_settling(done);
      },
      [self, then](bool committed) mutable {
        if (!committed) return finish(self, "clearing settled ids did not commit");
        then();
      });
}

void start_pass(archiver_self self) {
  auto& st = self->state;
  st.running = true;
  st.report = {};
  if (!st.migrated) {
    if (auto o = st.cold->open(); !o) return finish(self, o.error().message);
    st.migrated = true;
  }
  // First what a crash left: ids forgotten in SQLite but not settled in the archive...
  auto left = st.source->settling();
  if (!left) return finish(self, left.error().message);
  settle(self, std::move(*left), [self] {
    auto& st = self->state;
    // ...then archived copies never settled whose message SQLite no longer holds: a user
    // deleted it between a crashed batch's two steps.
    auto unsettled = st.cold->unsettled(storage::max_query_rows);
    if (!unsettled) return finish(self, unsettled.error().message);
    std::vector<std::string> gone;
    for (auto& id : *unsettled) {
      auto held = st.source->holds_message(id);
      if (!held) return finish(self, held.error().message);
      if (!*held) gone.push_back(id);
    }
    if (auto d = st.cold->drop(gone); !d) return finish(self, d.error().message);
    st.report.dropped += static_cast<std::int64_t>(gone.size());
    purge_deleted_channels(self);
  });
}

// A deleted channel's messages leave the archive too (SQLite deleted its own at once);
// its bookkeeping in SQLite goes only after the archive's delete, which a crash repeats.
void purge_deleted_channels(archiver_self self) {
  auto& st = self->state;
  auto channels = st.source->deleted_archived_channels();
  if (!channels) return finish(self, channels.error().message);
  if (channels->empty()) return next_batch(self);
  for (auto& [room_id, channel_id] : *channels) {
    auto n = st.cold->drop_channel(room_id, channel_id);
    if (!n) return finish(self, n.error().message);
    st.report.dropped += *n;
  }
  in_writer(
      self,
      [channels = std::move(*channels)](storage::store& db) {
        if (auto* src = dynamic_cast<storage::archive_source*>(&db))
          for (auto& [room_id, channel_id] : channels)
            src->forget_archived_channel(room_id, channel_id);
      },
      [self](bool committed) {
        if (!committed) return finish(self, "forgetting deleted channels did not commit");
        next_batch(self);
      });
}

void next_batch(archiver_self self) {
  auto& st = self->state;
  const auto started = std::chrono::steady_clock::now();
  const auto cutoff = now_ms() - st.p.after.count();
  auto rows = st.source->archive_candidates(cutoff, st.p.batch);
  if (!rows) return finish(self, rows.error().message);
  if (rows->empty()) return finish(self);
  if (auto s = st.cold->store_unsettled(*rows); !s) return finish(self, s.error().message);
  auto box = std::make_shared<storage::expected<storage::forgotten>>(storage::forgotten{});
  const auto full = rows->size() == static_cast<std::size_t>(st.p.batch);
  in_writer(
      self,
      [box, rows = std::move(*rows)](storage::store& db) {
        auto* src = dynamic_cast<storage::archive_source*>(&db);
        *box = src ? src->forget_archived(rows)
                   : storage::expected<storage::forgotten>{
                         make_error(errc::internal, "the store keeps no archive marks")};
      },
      [self, box, full, started](bool committed) {
        if (!committed || !*box)
          return finish(
              self, *box ? "forgetting archived messages did not commit" : box->error().message);
        auto done = std::move(**box);
        const auto moved = static_cast<std::int64_t>(done.moved.size());
        const bool progress = !done.moved.empty() || !done.gone.empty();
        settle(self, std::move(done), [self, moved, full, progress, started] {
          auto& st = self->state;
          st.report.moved += moved;
          metrics::get().archive_messages.inc(static_cast<std::uint64_t>(moved));
          metrics::get().archive_batch_seconds.observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
          // A batch every row of which was edited meanwhile made no progress: wait for the
          // next pass rather than read the same rows again at once.
          if (full && progress) return next_batch(self);
          finish(self);
        });
      });
}

// The writer's rules (actors/store_writer.cpp), for a message only the archive holds.
std::optional<storage::message_row> archived_in_room(archiver_state& st, const std::string& room_id,
                                                     const std::string& id,
                                                     const std::vector<std::string>& visible,
                                                     error_info& failure) {
  auto m = st.cold->find_message(id);
  if (!m) {
    if (!m.not_found()) failure = m.error();
    return std::nullopt;
  }
  if (m->room_id != room_id ||
      std::find(visible.begin(), visible.end(), m->channel_id) == visible.end())
    return std::nullopt;
  return std::move(m).to_optional();
}

// Answers with the author's profile, as every message row carries it.
write_outcome with_author(archiver_state& st, storage::expected<storage::message_row> m) {
  write_outcome out;
  if (!m) {
    out.error = m.not_found() ? make_error(errc::not_found, "no such message") : m.error();
    return out;
  }
  out.message = std::move(*m);
  if (auto u = st.hot->find_user(out.message.author.id)) {
    out.message.author.login = u->login;
    out.message.author.name = u->name;
    out.message.author.avatar_url = u->avatar_url;
  }
  return out;
}

archiver_actor::behavior_type archiver(archiver_self self, archiver_params p) {
  auto& st = self->state;
  st.hot = p.open();
  st.source = dynamic_cast<storage::archive_source*>(st.hot.get());
  st.cold = p.open_archive();
  st.p = std::move(p);
  self->send(self, sweep_atom::value);
  return {
      [=](edit_atom, const std::string& room_id, const edit_request& req) {
        auto& st = self->state;
        write_outcome out;
        auto m = archived_in_room(st, room_id, req.message_id, req.visible_channels, out.error);
        if (!m) {
          if (!out.error) out.error = make_error(errc::not_found, "no such message");
        } else if (m->author.id != req.from.user.id) {
          out.error = make_error(errc::forbidden, "only the author can edit a message");
        } else {
          out = with_author(st, st.cold->edit_message(req.message_id, req.content, now_ms()));
        }
        return out;
      },
      [=](delete_atom, const std::string& room_id, const std::string& owner_id,
          const delete_request& req) {
        auto& st = self->state;
        write_outcome out;
        auto m = archived_in_room(st, room_id, req.message_id, req.visible_channels, out.error);
        if (!m) {
          if (!out.error) out.error = make_error(errc::not_found, "no such message");
        } else if (m->author.id != req.from.user.id &&
                   (owner_id.empty() || owner_id != req.from.user.id)) {
          out.error = make_error(errc::forbidden, "only the author or the room owner can delete");
        } else {
          out = with_author(st, st.cold->delete_message(req.message_id));
        }
        return out;
      },
      [=](archive_atom) {
        auto& st = self->state;
        auto rp = self->make_response_promise<archive_report>();
        st.waiting.push_back(rp);
        if (!st.running) start_pass(self);
        return rp;
      },
      [=](sweep_atom) {
        auto& st = self->state;
        if (!st.running) start_pass(self);
        self->delayed_send(self, st.p.every, sweep_atom::value);
      },
  };
}

}  // namespace

archiver_actor spawn_archiver(caf::actor_system& sys, archiver_params params) {
  return sys.spawn<caf::detached>(archiver, std::move(params));
}

}  // namespace relay
