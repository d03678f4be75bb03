#pragma once

// The cluster's search index (search_docs, Postgres schema version 12) as the operator
// sees it: `relay search-index status|rebuild` with the cluster's options
// (docs/operations.md, "Search index").

#include <cstdint>
#include <string>

#include "storage/expected.hpp"

namespace relay::storage::postgres {

struct search_index_size {
  std::int64_t docs = 0;         // messages and replies in search_docs
  std::int64_t index_bytes = 0;  // search_docs with its indexes and TOAST
  std::int64_t db_bytes = 0;     // the whole database
};

/// Connects to `url` (the store of record, already migrated by a node) and reads it.
expected<search_index_size> read_search_index(const std::string& url);

/// Builds the index again from every message and reply, oldest first, in one
/// transaction (relay_search_rebuild()); nodes' writers wait for it, nodes keep running.
expected<search_index_size> rebuild_search_index(const std::string& url);

}  // namespace relay::storage::postgres
