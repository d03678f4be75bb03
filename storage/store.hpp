#pragma once

#include "storage/agents_store.hpp"
#include "storage/attachments_store.hpp"
#include "storage/boards_store.hpp"
#include "storage/expected.hpp"
#include "storage/halls_store.hpp"
#include "storage/incoming_hooks_store.hpp"
#include "storage/messages_store.hpp"
#include "storage/rooms_store.hpp"
#include "storage/search_store.hpp"
#include "storage/threads_store.hpp"
#include "storage/transactions.hpp"
#include "storage/users_store.hpp"
#include "storage/webhooks_store.hpp"

namespace relay::storage {

/// The store of record: every area's interface on one connection, so the writer actor
/// can group the writes of all areas into one transaction (one fsync). Calls block:
/// only storage actors (detached, off the scheduler threads) and operator commands call
/// it. One instance per thread: implementations hold a connection and are not
/// thread-safe.
///
/// Each area is an interface of its own (storage/*_store.hpp) that a backend implements
/// on its own; SQLite implements them all (storage/sqlite_store.hpp, storage/sqlite/).
/// The areas are virtual bases so an implementation can combine one class per area.
class store : public virtual transactions,
              public virtual users_store,
              public virtual rooms_store,
              public virtual messages_store,
              public virtual agents_store,
              public virtual halls_store,
              public virtual attachments_store,
              public virtual threads_store,
              public virtual boards_store,
              public virtual incoming_hooks_store,
              public virtual webhooks_store,
              public virtual search_store {
 public:
  ~store() override = default;
  // The transactions (begin, commit, rollback) and health: storage/transactions.hpp.
};

}  // namespace relay::storage
