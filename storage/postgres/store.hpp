#pragma once

#include <string>

#include "storage/postgres/agents.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/postgres/messages.hpp"
#include "storage/postgres/rooms.hpp"
#include "storage/postgres/users.hpp"
#include "storage/store.hpp"

namespace relay::storage::postgres {

// replaced by postgres::halls (other branch)
/// Halls are not on Postgres yet: every call fails with `internal`, saying so, and
/// aborts the transaction it is in like any failure.
class halls_todo : public virtual halls_store {
 public:
  explicit halls_todo(connection& c) : c_{c} {}

  expected<hall_key_row> create_hall_key(const std::string&, bool, const std::string&) override {
    return todo();
  }
  expected<hall_key_row> find_hall_key(const std::string&) override { return todo(); }
  expected<hall_row> create_hall(const hall_row&) override { return todo(); }
  expected<hall_snapshot> load_hall(const std::string&) override { return todo(); }
  expected<bool> apply_hall_change(const hall_change&) override { return todo(); }
  expected<std::int64_t> hall_usage_minutes(const std::string&, bool, const std::string&) override {
    return todo();
  }

 private:
  error_info todo() { return c_.fail(errc::internal, "halls are not on Postgres yet"); }

  connection& c_;
};

/// The store of record in cluster mode: every area on one Postgres connection, so the
/// writer actor groups the writes of all areas into one transaction, as sqlite_store
/// does for SQLite. Any number of nodes open the same database; each node's areas take
/// the row locks that order their writes against the other nodes' (messages.hpp).
///
/// Methods never throw; they return their failure (storage/expected.hpp).
class postgres_store final : public store,
                             public connection,
                             public users,
                             public rooms,
                             public messages,
                             public agents,
                             public halls_todo {
 public:
  /// Connects to `url` (a libpq URL) and migrates the schema; throws std::runtime_error
  /// when it cannot.
  explicit postgres_store(const std::string& url)
      : connection{url},
        users{static_cast<connection&>(*this)},
        rooms{static_cast<connection&>(*this)},
        messages{static_cast<connection&>(*this)},
        agents{static_cast<connection&>(*this)},
        halls_todo{static_cast<connection&>(*this)} {}
};

}  // namespace relay::storage::postgres
