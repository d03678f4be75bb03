#include "actors/store_reader.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "storage/postgres/archive.hpp"
#include "storage/sqlite/search.hpp"
#include "storage/store.hpp"
#include "storage/tiered_reads.hpp"

namespace relay {

namespace {

struct reader_state {
  std::unique_ptr<storage::store> db;
  std::unique_ptr<storage::postgres::archive> archive;  // null without one
  std::unique_ptr<storage::tiered_reads> messages;
  static inline const char* name = "store_reader";
};

using reader_actor = caf::stateful_actor<reader_state>;

using storage::found;  // nullopt when absent; a failed read throws for guarded()

// A failed read answers an error instead of killing the reader: the pool keeps serving.
template <class F>
auto guarded(F f) -> caf::result<decltype(f())> {
  try {
    return f();
  } catch (const std::exception& e) {
    spdlog::error("store read failed: {}", e.what());
    return caf::make_error(caf::sec::runtime_error, e.what());
  }
}

caf::behavior reader(reader_actor* self, store_factory open, archive_factory open_archive) {
  auto& st = self->state;
  st.db = open();
  if (open_archive) st.archive = open_archive();
  st.messages = std::make_unique<storage::tiered_reads>(*st.db, st.archive.get());
  // Search reaches the archive too (storage/sqlite/search.hpp).
  if (auto* s = dynamic_cast<storage::sqlite::search*>(st.db.get()); s && st.archive)
    s->attach_archive(st.archive.get());
  auto& db = *st.db;
  auto& messages = *st.messages;
  auto* archive = st.archive.get();
  return {
      [&db](auth_atom, const std::string& hash) {
        return guarded([&] { return found(db.find_credential(hash)); });
      },
      [&db](tokens_atom, const std::string& user_id) {
        return guarded([&] { return db.list_tokens(user_id).value(); });
      },
      [&db](info_atom, const std::string& user_id) {
        return guarded([&] { return found(db.find_user(user_id)); });
      },
      [&db](room_atom, const std::string& slug) {
        return guarded([&] { return found(db.find_room_by_slug(slug)); });
      },
      [&db](channels_atom, const std::string& room_id) {
        return guarded([&] { return db.list_channels(room_id).value(); });
      },
      [&db, &messages](tail_atom, const std::string& room_id, const std::string& channel_id,
                       int n) {
        return guarded([&] {
          return channel_snapshot{channel_id, db.last_seq(room_id, channel_id).value(),
                                  messages.tail(room_id, channel_id, n).value()};
        });
      },
      [&messages](load_atom, const std::string& room_id, const std::string& channel_id,
                  std::int64_t after, std::int64_t upto, std::size_t max_messages,
                  std::size_t max_bytes) {
        return guarded([&] {
          std::vector<storage::message_row> out;
          storage::message_query q;
          q.room_id = room_id;
          q.channel_id = channel_id;
          max_messages = std::max<std::size_t>(max_messages, 1);
          // Rows are read in chunks sized by what the rows so far cost, so a page of big
          // messages does not read (and allocate) max_messages rows to keep a few of
          // them: a crowd of resumes made the readers ~7x the bytes they sent.
          std::size_t chunk = std::min<std::size_t>(max_messages, 16);
          std::size_t bytes = 0;
          // Pages until `upto` (seqs past it are already on their way live) or a full page.
          for (auto cursor = after; cursor < upto;) {
            q.after_seq = cursor;
            q.limit = static_cast<int>(std::min<std::size_t>(storage::max_query_rows, chunk));
            auto rows = messages.list_messages(q).value();
            if (rows.empty()) break;
            for (auto& m : rows) {
              bytes += page_cost(m);
              if (m.seq > upto || out.size() >= max_messages || (!out.empty() && bytes > max_bytes))
                return out;
              cursor = m.seq;
              out.push_back(std::move(m));
            }
            if (rows.size() < static_cast<std::size_t>(q.limit) || out.size() >= max_messages)
              break;  // no more rows, or a full page
            auto per_row = bytes / out.size();
            auto fits = bytes < max_bytes ? (max_bytes - bytes) / per_row + 1 : 1;
            chunk = std::clamp<std::size_t>(fits, 1, max_messages - out.size());
          }
          return out;
        });
      },
      [&messages](list_atom, const storage::message_query& q) {
        return guarded([&] { return messages.list_messages(q).value(); });
      },
      [&db](job_atom, store_job& job) {
        return guarded([&] {
          job(db);
          return true;
        });
      },
      [&db](health_atom) { return guarded([&] { return db.healthy(); }); },
      [archive](health_atom, archive_atom) -> std::string {
        if (!archive) return "off";
        return archive->healthy() ? "ok" : "fail";
      },
  };
}

}  // namespace

caf::actor spawn_store_readers(caf::actor_system& sys, store_factory open, std::size_t n,
                               archive_factory open_archive, bool dedicated_threads) {
  auto factory = [&sys, open, open_archive, dedicated_threads] {
    return dedicated_threads ? sys.spawn<caf::detached>(reader, open, open_archive)
                             : sys.spawn(reader, open, open_archive);
  };
  return caf::actor_pool::make(sys.dummy_execution_unit(), n, factory,
                               caf::actor_pool::round_robin());
}

}  // namespace relay
