#pragma once

#include "storage/search_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// Search on SQLite: the FTS5 index that migration 15's triggers keep in the same
/// transaction as every message and reply write, read with the caller's access.
class search : public virtual search_store {
 public:
  explicit search(database& db) : db_{db} {}

  expected<std::vector<search_hit>> search_messages(const search_request& r) override;

 private:
  database& db_;
};

}  // namespace relay::storage::sqlite
