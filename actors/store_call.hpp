#pragma once

#include <memory>
#include <utility>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace relay {

/// Runs `fn(store&) -> T` on a store actor (`writer` or the reader pool) and calls
/// `then(T&)` with its result once it is committed (writer) or done (reader), or
/// `fail(error_info)` when the store is unavailable or has not answered within `timeout`.
/// A timed-out write may still commit later: only a caller that can say "try again"
/// (a REST handler) bounds it.
template <class T, class Self, class Timeout, class Store, class F, class Then, class Fail>
void store_call(Self* self, Timeout timeout, const Store& store, F fn, Then then, Fail fail) {
  auto box = std::make_shared<T>();
  store_job job = [box, fn = std::move(fn)](storage::store& db) mutable { *box = fn(db); };
  self->request(store, timeout, job_atom::value, std::move(job))
      .then(
          [box, then = std::move(then), fail](bool ok) mutable {
            if (ok)
              then(*box);
            else
              fail(make_error(errc::unavailable, "storage unavailable"));
          },
          [fail](caf::error& err) mutable {
            fail(make_error(errc::unavailable, "storage unavailable: " + to_string(err)));
          });
}

/// Without a timeout, for actors: the writer answers every job once its batch has
/// committed or rolled back, and a reader once the job ran, so the reply always comes
/// (or an error, when the store actor is gone); a timeout would report a failure for a
/// write that still commits.
template <class T, class Self, class Store, class F, class Then, class Fail>
void store_call(Self* self, const Store& store, F fn, Then then, Fail fail) {
  store_call<T>(self, caf::infinite, store, std::move(fn), std::move(then), std::move(fail));
}

}  // namespace relay
