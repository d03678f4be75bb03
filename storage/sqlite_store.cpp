#include "storage/sqlite_store.hpp"

#include <sqlite3.h>

#include <filesystem>

namespace relay::storage {

sqlite_store::sqlite_store(const std::string& path, bool read_only, const std::string& synchronous)
    : sqlite::connection{sqlite::database{path, !read_only, synchronous}},
      sqlite::users{db},
      sqlite::rooms{db},
      sqlite::messages{db},
      sqlite::agents{db},
      sqlite::halls{db},
      sqlite::attachments{db},
      sqlite::threads{db},
      sqlite::boards{db},
      sqlite::incoming_hooks{db},
      sqlite::webhooks{db},
      sqlite::search{db},
      sqlite::archiving{db} {}

sqlite_store::~sqlite_store() = default;

std::string sqlite_store::db_path(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  return (std::filesystem::path{data_dir} / "relay.db").string();
}

expected<void> sqlite_store::begin() {
  return db.begin();
}

expected<void> sqlite_store::commit() {
  return db.commit();
}

void sqlite_store::rollback() {
  db.rollback();
}

bool sqlite_store::healthy() {
  auto st = db.prepare("SELECT 1");
  return st && st.step() == SQLITE_ROW && st.int64(0) == 1;
}

}  // namespace relay::storage
