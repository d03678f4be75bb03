#pragma once

#include <string>

#include "storage/postgres/connection.hpp"
#include "storage/postgres/halls.hpp"
#include "storage/postgres/users.hpp"
#include "storage/transactions.hpp"

namespace relay::storage::postgres {

/// The Postgres store of record as far as it goes: the areas implemented so far (users,
/// halls) on one connection, with its transactions. It is not a `storage::store`, so
/// nothing can use an area it lacks; the store suite runs the implemented areas' tests on
/// it (tests/unit/store_suite.hpp).
///
/// Remaining work (issue 22): rooms, messages and agents as sibling classes of
/// postgres::users (each `explicit <area>(connection&)`, declaring its statements, with
/// its tables as a new schema version), then `postgres_store` combining them all with
/// `storage::store` as sqlite_store does, which replaces this class. Nothing in app/
/// constructs it.
class partial_store final : public connection, public users, public halls {
 public:
  /// Connects and migrates; throws std::runtime_error when it cannot.
  explicit partial_store(const std::string& url)
      : connection{url},
        users{static_cast<connection&>(*this)},
        halls{static_cast<connection&>(*this)} {}
};

}  // namespace relay::storage::postgres
