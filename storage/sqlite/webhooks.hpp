#pragma once

#include <string>
#include <vector>

#include "storage/sqlite/database.hpp"
#include "storage/webhooks_store.hpp"

namespace relay::storage::sqlite {

/// Outbound webhooks on SQLite: the hooks and the outbox of their deliveries.
class webhooks : public virtual webhooks_store {
 public:
  explicit webhooks(database& db) : db_{db} {}

  expected<webhook_row> create_webhook(const webhook_row& row) override;
  expected<std::vector<webhook_row>> list_webhooks(const std::string& room_id) override;
  expected<webhook_row> find_webhook(const std::string& room_id, const std::string& id) override;
  expected<webhook_row> update_webhook(const std::string& room_id, const std::string& id,
                                       const webhook_change& change) override;
  expected<void> delete_webhook(const std::string& room_id, const std::string& id) override;
  expected<webhook_row> rotate_webhook_secret(const std::string& room_id, const std::string& id,
                                              const std::string& secret,
                                              std::int64_t previous_until) override;
  expected<std::vector<webhook_delivery_row>> list_webhook_deliveries(const std::string& webhook_id,
                                                                      int limit) override;
  expected<webhook_delivery_row> redeliver_webhook(const std::string& webhook_id,
                                                   const std::string& delivery_id,
                                                   std::int64_t now) override;
  expected<int> enqueue_webhook_event(const std::string& room_id, const std::string& channel_id,
                                      const std::string& event,
                                      const std::function<std::string()>& data,
                                      std::int64_t now) override;
  expected<std::vector<webhook_job>> claim_webhook_deliveries(std::int64_t now,
                                                              std::int64_t lease_ms,
                                                              int limit) override;
  expected<void> release_webhook_leases() override;
  expected<webhook_health> record_webhook_attempt(const webhook_attempt& a) override;

 private:
  database& db_;
};

}  // namespace relay::storage::sqlite
