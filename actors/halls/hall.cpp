#include "actors/halls/hall.hpp"

#include <memory>
#include <optional>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/halls/state.hpp"
#include "actors/messages.hpp"
#include "core/clock.hpp"

namespace relay {

namespace {

struct hall_actor_state {
  hall_state s;
  store_writer_actor writer;
  static inline const char* name = "hall";
};

using hall_self = hall_actor::stateful_pointer<hall_actor_state>;
using applied = storage::expected<bool>;

hall_reply view(hall_self self) {
  return {{}, self->state.s.hall, self->state.s.sessions};
}

hall_reply refusal(errc code, std::string why) {
  return {{code, std::move(why)}, {}, {}};
}

bool owns(hall_self self, const hall_caller& c) {
  auto& h = self->state.s.hall;
  return h.workspace_id == c.workspace_id && h.test_mode == c.test_mode;
}

// Commits `change` through the writer. `await` holds every other message of this hall
// until the answer is in, so no decision is made on state the store has not accepted.
template <class Done>
void commit(hall_self self, storage::hall_change change, Done done) {
  auto box = std::make_shared<std::optional<applied>>();
  store_job job = [box, change = std::move(change)](storage::store& db) {
    box->emplace(db.apply_hall_change(change));
  };
  // No timeout: the writer answers once the change has committed or rolled back, and the
  // hall must not apply (or drop) a change on a guess about the commit.
  self->request(self->state.writer, caf::infinite, job_atom::value, std::move(job))
      .await(
          [box, done](bool committed) mutable {
            if (!committed || !box->has_value()) {
              done(applied{make_error(errc::unavailable, "storage unavailable")});
              return;
            }
            done(**box);
          },
          [done](caf::error& err) mutable {
            done(applied{make_error(errc::unavailable, "storage unavailable: " + to_string(err))});
          });
}

hall_actor::behavior_type hall(hall_self self, hall_params params) {
  self->state.s = hall_state::from(std::move(params.snapshot));
  self->state.writer = std::move(params.writer);
  if (auto open = self->state.s.open_count(); open > 0)
    spdlog::info("hall {}: {} open session(s) recovered from the store", self->state.s.hall.id,
                 open);
  return {
      [=](info_atom, const hall_caller& c) -> hall_reply {
        if (!owns(self, c)) return refusal(errc::not_found, "no such hall");
        return view(self);
      },
      [=](join_atom, const hall_caller& c,
          storage::hall_grant_row& grant) -> caf::result<hall_reply> {
        auto& s = self->state.s;
        if (!owns(self, c)) return refusal(errc::not_found, "no such hall");
        if (s.closed()) return refusal(errc::hall_closed, "this hall is closed");
        // A participant already in the hall may always rejoin (a new token, same seat).
        if (s.hall.max_participants && !s.open_session(grant.participant_id) &&
            static_cast<std::int64_t>(s.open_count()) >= *s.hall.max_participants)
          return refusal(errc::hall_full, "this hall is full");
        grant.hall_id = s.hall.id;
        grant.granted_at = now_ms();
        storage::hall_change change;
        change.hall_id = s.hall.id;
        change.grant = grant;
        auto rp = self->make_response_promise<hall_reply>();
        commit(self, std::move(change), [=](const applied& r) mutable {
          if (!r) {
            rp.deliver(hall_reply{r.error(), {}, {}});
            return;
          }
          self->state.s.grants[grant.participant_id] = grant;
          rp.deliver(view(self));
        });
        return rp;
      },
      [=](close_atom, const hall_caller& c, std::int64_t at_ms) -> caf::result<hall_reply> {
        auto& s = self->state.s;
        if (!owns(self, c)) return refusal(errc::not_found, "no such hall");
        if (s.closed()) return view(self);
        storage::hall_change change;
        change.hall_id = s.hall.id;
        change.sessions = close_open_sessions(s, at_ms);
        change.closed_at = at_ms;
        auto rp = self->make_response_promise<hall_reply>();
        commit(self, change, [=](const applied& r) mutable {
          if (!r) {
            rp.deliver(hall_reply{r.error(), {}, {}});
            return;
          }
          auto& st = self->state.s;
          st.apply(change.sessions);
          st.hall.status = "closed";
          st.hall.closed_at = at_ms;
          spdlog::info("hall {} closed; {} session(s) ended", st.hall.id, change.sessions.size());
          rp.deliver(view(self));
        });
        return rp;
      },
      [=](webhook_atom, const livekit_event& e) -> caf::result<webhook_reply> {
        auto sessions = sessions_for_event(self->state.s, e);
        if (sessions.empty()) return webhook_reply{{}, "ignored"};
        storage::hall_change change;
        change.hall_id = self->state.s.hall.id;
        change.webhook_id = e.id;
        change.sessions = std::move(sessions);
        auto rp = self->make_response_promise<webhook_reply>();
        commit(self, change, [=](const applied& r) mutable {
          if (!r) {
            spdlog::warn("hall {}: webhook {} not applied: {}", change.hall_id, e.id,
                         r.error().message);
            rp.deliver(webhook_reply{r.error(), {}});
            return;
          }
          if (!*r) {
            rp.deliver(webhook_reply{{}, "duplicate"});
            return;
          }
          self->state.s.apply(change.sessions);
          rp.deliver(webhook_reply{{}, "applied"});
        });
        return rp;
      },
  };
}

}  // namespace

hall_actor spawn_hall(caf::local_actor* parent, hall_params params) {
  return parent->spawn(hall, std::move(params));
}

}  // namespace relay
