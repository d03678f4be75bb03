#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "storage/expected.hpp"
#include "storage/webhook_rows.hpp"

namespace relay::storage {

/// Outbound webhooks: a room's hooks and the outbox of their deliveries. A delivery row
/// is written in the transaction of the event it reports (enqueue_webhook_event), so an
/// event that committed is delivered at least once, whatever crashes afterwards.
/// Deliveries of one hook in flight at once, cluster-wide: a dead receiver with a backlog
/// holds this many requests, never a node's whole pool.
inline constexpr int webhook_in_flight_per_hook = 4;

class webhooks_store {
 public:
  virtual ~webhooks_store() = default;

  /// Inserts `row` (id and created_at set by the caller).
  virtual expected<webhook_row> create_webhook(const webhook_row& row) = 0;
  /// The room's hooks, oldest first.
  virtual expected<std::vector<webhook_row>> list_webhooks(const std::string& room_id) = 0;
  /// `not_found` unless hook `id` belongs to the room.
  virtual expected<webhook_row> find_webhook(const std::string& room_id, const std::string& id) = 0;
  virtual expected<webhook_row> update_webhook(const std::string& room_id, const std::string& id,
                                               const webhook_change& change) = 0;
  /// Deletes the hook and its deliveries.
  virtual expected<void> delete_webhook(const std::string& room_id, const std::string& id) = 0;
  /// Makes `secret` the hook's secret; the old one keeps signing until `previous_until`.
  virtual expected<webhook_row> rotate_webhook_secret(const std::string& room_id,
                                                      const std::string& id,
                                                      const std::string& secret,
                                                      std::int64_t previous_until) = 0;
  /// The hook's most recent deliveries, newest first.
  virtual expected<std::vector<webhook_delivery_row>> list_webhook_deliveries(
      const std::string& webhook_id, int limit) = 0;
  /// A new pending delivery of delivery `delivery_id`'s payload, with its `webhook-id`,
  /// due now. `not_found` unless it belongs to the hook.
  virtual expected<webhook_delivery_row> redeliver_webhook(const std::string& webhook_id,
                                                           const std::string& delivery_id,
                                                           std::int64_t now) = 0;

  /// The outbox: one pending delivery per enabled hook of the room that subscribes to
  /// `event` and whose creator may see `channel_id` ("" = the room-wide thread; a private
  /// channel or DM only for its members). `data` makes the event's `data` JSON and is
  /// called only when some hook takes the event. Call inside the event's transaction.
  /// Answers the number of deliveries written.
  virtual expected<int> enqueue_webhook_event(const std::string& room_id,
                                              const std::string& channel_id,
                                              const std::string& event,
                                              const std::function<std::string()>& data,
                                              std::int64_t now) = 0;
  /// Leases up to `limit` due pending deliveries of enabled hooks until `now + lease_ms`,
  /// the earliest due first, skipping rows another node holds (Postgres: FOR UPDATE SKIP
  /// LOCKED), so each is sent by one node at a time; never so many of one hook that more
  /// than webhook_in_flight_per_hook of its pending rows are leased (on any node).
  virtual expected<std::vector<webhook_job>> claim_webhook_deliveries(std::int64_t now,
                                                                      std::int64_t lease_ms,
                                                                      int limit) = 0;
  /// Drops every lease (one node, at start: no other process can hold one).
  virtual expected<void> release_webhook_leases() = 0;
  /// Records one attempt on the delivery and its hook (last status, failure run,
  /// switching it off); answers what that did to the hook.
  virtual expected<webhook_health> record_webhook_attempt(const webhook_attempt& a) = 0;
};

}  // namespace relay::storage
