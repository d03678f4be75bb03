#pragma once

#include <string>

#include "storage/attachments_store.hpp"
#include "storage/postgres/connection.hpp"

namespace relay::storage::postgres {

/// The attachments area on Postgres (schema version 7): the row and its bytes (bytea) in
/// one table, so every node of a cluster serves every attachment.
class attachments : public virtual attachments_store {
 public:
  /// Declares the area's statements on `c`.
  explicit attachments(connection& c);

  expected<void> put_attachment(const attachment_row& row, const std::string& bytes) override;
  expected<attachment_row> find_attachment(const std::string& id) override;
  expected<std::string> attachment_bytes(const attachment_row& row) override;
  expected<std::vector<attachment_row>> list_attachments(
      const std::string& entity_type, const std::vector<std::string>& entity_ids) override;
  expected<attachment_owner> message_owner(const std::string& message_id) override;

 private:
  connection& c_;
};

}  // namespace relay::storage::postgres
