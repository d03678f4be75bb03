#include "actors/halls/directory.hpp"

#include <unordered_map>
#include <vector>

#include <spdlog/spdlog.h>
#include <caf/all.hpp>

#include "actors/halls/hall.hpp"
#include "actors/messages.hpp"
#include "actors/store_call.hpp"
#include "actors/store_reader.hpp"

namespace relay {

namespace {

struct hall_directory_state {
  hall_directory_params p;
  std::unordered_map<std::string, hall_actor> halls;
  // Lookups waiting for the same hall's store read, so a hall is spawned once.
  std::unordered_map<std::string, std::vector<caf::typed_response_promise<hall_actor>>> pending;
  hall_metrics metrics;
  static inline const char* name = "hall_directory";
};

using hall_directory_self = hall_directory_actor::stateful_pointer<hall_directory_state>;

template <class Answer>
void resolve(hall_directory_self self, const std::string& id, const Answer& answer) {
  auto waiting = std::move(self->state.pending[id]);
  self->state.pending.erase(id);
  for (auto& rp : waiting) rp.deliver(answer);
}

// Hall ids are minted by Relay; anything else (another app's LiveKit room, a typo) is
// answered without a store read.
bool plausible_hall_id(const std::string& id) {
  return id.size() > 2 && id.size() <= 64 && id.rfind("h_", 0) == 0;
}

hall_directory_actor::behavior_type hall_directory(hall_directory_self self,
                                                   hall_directory_params params) {
  self->state.p = std::move(params);
  self->set_down_handler([self](caf::down_msg& dm) {
    // A hall that died is reloaded from the store on next use.
    std::erase_if(self->state.halls, [&](auto& kv) { return kv.second.address() == dm.source; });
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    for (auto& [id, hall] : self->state.halls) self->send_exit(hall, em.reason);
    self->quit(em.reason);
  });
  return {
      [=](hall_atom, const std::string& id) -> caf::result<hall_actor> {
        auto& st = self->state;
        if (auto it = st.halls.find(id); it != st.halls.end()) return it->second;
        if (!plausible_hall_id(id)) return hall_actor{};
        auto rp = self->make_response_promise<hall_actor>();
        auto& waiting = st.pending[id];
        waiting.push_back(rp);
        if (waiting.size() > 1) return rp;
        store_call(
            self, store_read_timeout, st.p.readers,
            [id](storage::store& db) { return storage::maybe(db.load_hall(id)); },
            [=](std::optional<storage::hall_snapshot>& snap) {
              if (!snap) return resolve(self, id, hall_actor{});
              auto hall = spawn_hall(self, {std::move(*snap), self->state.p.writer});
              if (!self->state.p.shared_store) {
                self->monitor(hall);
                self->state.halls[id] = hall;
              }
              resolve(self, id, hall);
            },
            [=](const error_info& e) {
              // An error, not "no such hall": the caller answers 503 and LiveKit retries.
              spdlog::error("hall lookup failed: {}", e.message);
              resolve(self, id, caf::make_error(caf::sec::runtime_error, e.message));
            });
        return rp;
      },
      [=](dropped_atom, std::int64_t n) {
        self->state.metrics.webhooks_reporting_drops += 1;
        self->state.metrics.webhooks_dropped += n;
      },
      [=](metrics_atom) { return self->state.metrics; },
  };
}

}  // namespace

hall_directory_actor spawn_hall_directory(caf::actor_system& sys, hall_directory_params params) {
  return sys.spawn(hall_directory, std::move(params));
}

}  // namespace relay
