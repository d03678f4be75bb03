#pragma once

#include <string>

#include "storage/postgres/agents.hpp"
#include "storage/postgres/attachments.hpp"
#include "storage/postgres/boards.hpp"
#include "storage/postgres/connection.hpp"
#include "storage/postgres/halls.hpp"
#include "storage/postgres/incoming_hooks.hpp"
#include "storage/postgres/messages.hpp"
#include "storage/postgres/rooms.hpp"
#include "storage/postgres/search.hpp"
#include "storage/postgres/threads.hpp"
#include "storage/postgres/users.hpp"
#include "storage/postgres/webhooks.hpp"
#include "storage/store.hpp"

namespace relay::storage::postgres {

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
                             public halls,
                             public attachments,
                             public threads,
                             public boards,
                             public incoming_hooks,
                             public webhooks,
                             public search {
 public:
  /// Connects to `url` (a libpq URL) and migrates the schema; throws std::runtime_error
  /// when it cannot.
  explicit postgres_store(const std::string& url)
      : connection{url},
        users{static_cast<connection&>(*this)},
        rooms{static_cast<connection&>(*this)},
        messages{static_cast<connection&>(*this)},
        agents{static_cast<connection&>(*this)},
        halls{static_cast<connection&>(*this)},
        attachments{static_cast<connection&>(*this)},
        threads{static_cast<connection&>(*this)},
        boards{static_cast<connection&>(*this)},
        incoming_hooks{static_cast<connection&>(*this)},
        webhooks{static_cast<connection&>(*this)},
        search{static_cast<connection&>(*this)} {}
};

}  // namespace relay::storage::postgres
