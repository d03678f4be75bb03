#pragma once

#include <string>

#include "storage/attachments_store.hpp"
#include "storage/sqlite/database.hpp"

namespace relay::storage::sqlite {

/// The attachments area on SQLite (migration 13): rows in the database, bytes in
/// `<data_dir>/attachments/<sha256[0:2]>/<sha256>`, written to a temporary file, fsynced
/// and renamed into place, so a crash leaves either the whole file or none.
class attachments : public virtual attachments_store {
 public:
  explicit attachments(database& db) : db_{db} {}

  expected<void> put_attachment(const attachment_row& row, const std::string& bytes) override;
  expected<attachment_row> find_attachment(const std::string& id) override;
  expected<std::string> attachment_bytes(const attachment_row& row) override;
  expected<std::vector<attachment_row>> list_attachments(
      const std::string& entity_type, const std::vector<std::string>& entity_ids) override;
  expected<attachment_owner> message_owner(const std::string& message_id) override;

  /// The file holding the bytes whose sha256 is `sha256_hex`.
  std::string blob_path(const std::string& sha256_hex) const;

 private:
  database& db_;
};

}  // namespace relay::storage::sqlite
