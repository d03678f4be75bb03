#pragma once

#include "storage/postgres/connection.hpp"
#include "storage/search_store.hpp"

namespace relay::storage::postgres {

/// Search on Postgres: the tsvector index that schema version 12's triggers keep in the
/// same transaction as every message and reply write, read with the caller's access. The
/// same answers as storage/sqlite/search.hpp, but for relevance (ts_rank, not bm25) and
/// the folding noted in docs/api.md "Search".
class search : public virtual search_store {
 public:
  explicit search(connection& c) : c_{c} {}

  expected<std::vector<search_hit>> search_messages(const search_request& r) override;

 private:
  connection& c_;
};

}  // namespace relay::storage::postgres
