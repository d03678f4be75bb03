#pragma once

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "storage/expected.hpp"

namespace relay {

/// Runs `fn(store&) -> storage::expected<T>` on a store actor (`writer` or the reader pool)
/// and calls `then(T&)` (`then()` for `expected<void>`) with its value once it is committed
/// (writer) or done (reader). Every error goes to `fail(error_info)`: the call's own (not
/// found, conflict …) as it is, and `unavailable` when the database failed, the store is
/// gone or has not answered within `timeout`. So a store lambda returns its store calls'
/// outcomes instead of unwrapping them (a `.value()` that throws, a `value_or` that hides
/// a failure as an empty row). A timed-out write may still commit later: only a caller
/// that can say "try again" (a REST handler) bounds it.
template <class Self, class Timeout, class Store, class F, class Then, class Fail>
void store_call(Self* self, Timeout timeout, const Store& store, F fn, Then then, Fail fail) {
  using outcome = std::invoke_result_t<F&, storage::store&>;
  static_assert(storage::is_expected<outcome>, "a store job returns storage::expected<T>");
  auto box = std::make_shared<std::optional<outcome>>();
  store_job job = [box, fn = std::move(fn)](storage::store& db) mutable { box->emplace(fn(db)); };
  self->request(store, timeout, job_atom::value, std::move(job))
      .then(
          [box, then = std::move(then), fail](bool ok) mutable {
            if (!ok || !box->has_value()) {
              fail(make_error(errc::unavailable, "storage unavailable"));
              return;
            }
            auto& r = **box;
            if (!r) {
              // Inside the writer a failure has rolled the batch back (`ok` is false); from a
              // reader it is answered like a read that could not run.
              fail(r.failed()
                       ? make_error(errc::unavailable, "storage unavailable: " + r.error().message)
                       : r.error());
              return;
            }
            if constexpr (std::is_void_v<typename outcome::value_type>)
              then();
            else
              then(*r);
          },
          [fail](caf::error& err) mutable {
            fail(make_error(errc::unavailable, "storage unavailable: " + to_string(err)));
          });
}

/// Without a timeout, for actors: the writer answers every job once its batch has
/// committed or rolled back, and a reader once the job ran, so the reply always comes
/// (or an error, when the store actor is gone); a timeout would report a failure for a
/// write that still commits.
template <class Self, class Store, class F, class Then, class Fail>
void store_call(Self* self, const Store& store, F fn, Then then, Fail fail) {
  store_call(self, caf::infinite, store, std::move(fn), std::move(then), std::move(fail));
}

}  // namespace relay
