#pragma once

#include <memory>
#include <utility>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace relay {

/// Runs `fn(store&) -> T` on a store actor (`writer` or the reader pool) and calls
/// `then(T&)` with its result once it is committed (writer) or done (reader), or
/// `fail(error_info)` when the store is unavailable.
template <class T, class Self, class F, class Then, class Fail>
void store_call(Self* self, const caf::actor& store, F fn, Then then, Fail fail) {
  auto box = std::make_shared<T>();
  store_job job = [box, fn = std::move(fn)](storage::store& db) mutable { *box = fn(db); };
  self->request(store, caf::infinite, job_atom::value, std::move(job))
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

}  // namespace relay
