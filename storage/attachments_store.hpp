#pragma once

#include <string>
#include <vector>

#include "storage/attachment_rows.hpp"
#include "storage/expected.hpp"

namespace relay::storage {

/// Uploaded files: their rows and their bytes.
class attachments_store {
 public:
  virtual ~attachments_store() = default;

  /// Stores `bytes` (content-addressed by `row.sha256`; storing the same bytes twice
  /// keeps one copy) and then the row. Call inside a transaction.
  virtual expected<void> put_attachment(const attachment_row& row, const std::string& bytes) = 0;
  /// `not_found` for an unknown id.
  virtual expected<attachment_row> find_attachment(const std::string& id) = 0;
  /// The stored bytes of `row`; `not_found` when they are gone.
  virtual expected<std::string> attachment_bytes(const attachment_row& row) = 0;
  /// The attachments bound to any of `entity_ids` (ids without commas) of `entity_type`,
  /// oldest first: one query for a page of messages.
  virtual expected<std::vector<attachment_row>> list_attachments(
      const std::string& entity_type, const std::vector<std::string>& entity_ids) = 0;
  /// Where a message lives and who wrote it (for an attachment's access check);
  /// `not_found` for an unknown or deleted message.
  virtual expected<attachment_owner> message_owner(const std::string& message_id) = 0;
};

}  // namespace relay::storage
