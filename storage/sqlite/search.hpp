#pragma once

#include "storage/search_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::postgres {
class archive;
}

namespace relay::storage::sqlite {

/// Search on SQLite: the FTS5 index that migration 15's triggers keep in the same
/// transaction as every message and reply write, read with the caller's access. With an
/// archive attached, messages that moved to it are searched there too, after SQLite's
/// hits (they are older), with access decided from SQLite's rooms and channels now.
class search : public virtual search_store {
 public:
  explicit search(database& db) : db_{db} {}

  expected<std::vector<search_hit>> search_messages(const search_request& r) override;

  /// Searches `cold` too (a store reader's archive connection; null: none). `cold` must
  /// outlive this object.
  void attach_archive(postgres::archive* cold) { cold_ = cold; }

 private:
  expected<std::vector<search_hit>> search_hot(const search_request& r);
  expected<std::vector<search_hit>> search_cold(const search_request& r);

  database& db_;
  postgres::archive* cold_ = nullptr;
};

}  // namespace relay::storage::sqlite
