#pragma once

// Process-wide metrics, rendered at /metrics in the Prometheus text format
// (docs/metrics.md). Every update is one relaxed atomic operation on a fixed object,
// so the hot paths (a frame written, a token relayed) can afford them.
//
// Each metric is declared once, in relay_metrics, with its name, help and labels; it
// adds itself to the struct's registry when constructed, and /metrics is rendered from
// that registry in declaration order. Adding a metric is one member.

#include <array>
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace relay::metrics {

class counter {
 public:
  static constexpr const char* type_name = "counter";
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class gauge {
 public:
  static constexpr const char* type_name = "gauge";
  void add(std::int64_t n) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

/// Cumulative buckets with fixed upper bounds (`le`), plus count and sum.
class histogram {
 public:
  histogram(std::initializer_list<double> bounds);
  void observe(double v) noexcept;

  /// Observations gathered locally and added in one go when it goes out of scope: a
  /// batch of frames costs a few atomic operations, not three per frame.
  class tally {
   public:
    explicit tally(histogram& h) noexcept : h_(h) {}
    ~tally();
    tally(const tally&) = delete;
    tally& operator=(const tally&) = delete;
    void add(double v) noexcept;

   private:
    histogram& h_;
    std::array<std::uint32_t, 32> counts_{};
    std::uint64_t n_ = 0;
    double sum_ = 0;
  };

  const std::vector<double>& bounds() const noexcept { return bounds_; }
  /// Non-cumulative count of bucket i (i == bounds().size() is +Inf).
  std::uint64_t bucket(std::size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

/// Connection classes, each with its own queue limits and policy.
enum class conn_class : std::uint8_t { ws, sse, agent, app };
inline constexpr std::array<const char*, 4> conn_class_names{"ws", "sse", "agent", "app"};

/// How an agent event ended.
enum class outcome : std::uint8_t { reply, error, timeout, offline, cancelled, app_gone };
inline constexpr std::array<const char*, 6> outcome_names{"reply",   "agent_error", "timeout",
                                                          "offline", "cancelled",   "app_gone"};

/// Where a page of a resume came from: the channel's ring of recent messages, its page
/// cache, a store read another resume had already started, or a store read of its own.
enum class page_source : std::uint8_t { ring, cache, shared, store };
inline constexpr std::array<const char*, 4> page_source_names{"ring", "cache", "shared", "store"};

// -- registration ---------------------------------------------------------------

class registry;

/// One metric family as /metrics shows it: `# HELP`, `# TYPE`, then its samples. It
/// adds itself to `r` on construction; `name` is without the `relay_` prefix.
class family {
 public:
  family(registry& r, const char* name, const char* type, const char* help);
  family(const family&) = delete;
  family& operator=(const family&) = delete;

  const char* name() const noexcept { return name_; }
  const char* type() const noexcept { return type_; }
  const char* help() const noexcept { return help_; }
  /// Appends the sample lines (not the HELP and TYPE lines).
  virtual void write_samples(std::string& out) const = 0;

 protected:
  ~family() = default;

 private:
  const char* name_;
  const char* type_;
  const char* help_;
};

/// The families of one relay_metrics, in the order they were declared.
class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  void add(const family& f) { families_.push_back(&f); }
  const std::vector<const family*>& families() const noexcept { return families_; }

 private:
  std::vector<const family*> families_;
};

namespace detail {
/// `relay_<name>{<labels>} <value>\n`; no braces when `labels` is empty.
void write_sample(std::string& out, std::string_view name, std::string_view labels,
                  std::string_view value);
}  // namespace detail

/// One counter or gauge without labels.
template <class Value>
class single final : public Value, public family {
 public:
  single(registry& r, const char* name, const char* help)
      : family(r, name, Value::type_name, help) {}
  void write_samples(std::string& out) const override {
    detail::write_sample(out, name(), {}, std::to_string(this->value()));
  }
};

/// One counter or gauge per value of a label, indexed by that label's enum.
template <class Value, std::size_t N>
class labelled final : public family {
 public:
  labelled(registry& r, const char* name, const char* help, const char* label,
           const std::array<const char*, N>& label_values)
      : family(r, name, Value::type_name, help), label_(label), label_values_(label_values) {}

  Value& operator[](std::size_t i) noexcept { return values_[i]; }
  const Value& operator[](std::size_t i) const noexcept { return values_[i]; }
  auto begin() noexcept { return values_.begin(); }
  auto end() noexcept { return values_.end(); }
  auto begin() const noexcept { return values_.begin(); }
  auto end() const noexcept { return values_.end(); }
  static constexpr std::size_t size() noexcept { return N; }

  void write_samples(std::string& out) const override {
    for (std::size_t i = 0; i < N; ++i)
      detail::write_sample(out, name(), std::string(label_) + "=\"" + label_values_[i] + "\"",
                           std::to_string(values_[i].value()));
  }

 private:
  std::array<Value, N> values_;
  const char* label_;
  const std::array<const char*, N>& label_values_;
};

/// A histogram with its fixed bounds: `_bucket{le=…}` per bound and +Inf, `_sum`, `_count`.
class histogram_family final : public histogram, public family {
 public:
  histogram_family(registry& r, const char* name, const char* help,
                   std::initializer_list<double> bounds)
      : histogram(bounds), family(r, name, "histogram", help) {}
  void write_samples(std::string& out) const override;
};

// -- the metrics -----------------------------------------------------------------

/// Why a frame was not delivered to a slow client.
enum class drop_reason : std::uint8_t { ephemeral, coalesced };
inline constexpr std::array<const char*, 2> drop_reason_names{"ephemeral", "coalesced"};

/// Every metric of the process, declared once each. The order here is the order of
/// /metrics; `families` comes first because every member below adds itself to it.
struct relay_metrics {
  registry families;

  labelled<gauge, 4> connections{families, "connections", "Open client connections by class.",
                                 "class", conn_class_names};
  labelled<gauge, 4> queued_bytes{families, "queued_bytes",
                                  "Bytes waiting in outbound queues, by connection class.", "class",
                                  conn_class_names};
  histogram_family queue_frames{families,
                                "queue_frames",
                                "Outbound queue depth in frames, sampled at each socket write.",
                                {1, 2, 4, 8, 16, 32, 64, 128, 256, 1024, 4096, 16384}};
  histogram_family queue_bytes{families,
                               "queue_bytes_sampled",
                               "Outbound queue depth in bytes, sampled at each socket write.",
                               {256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20}};
  labelled<counter, 2> frames_dropped{families, "frames_dropped_total",
                                      "Frames not delivered to a slow client, by reason.", "reason",
                                      drop_reason_names};
  labelled<counter, 4> slow_consumer_closes{
      families, "slow_consumer_disconnects_total",
      "Connections closed as slow consumers: their outbound queue passed its cap "
      "(WebSocket: close 4008; SSE: the stream ends) or their socket took nothing for "
      "write_timeout_seconds.",
      "class", conn_class_names};
  single<counter> deliveries{families, "deliveries_total", "Frames written to client sockets."};
  histogram_family delivery_seconds{
      families,
      "delivery_latency_seconds",
      "From a frame's creation (for a message: its channel's fan-out, which may precede the "
      "commit) to its write to a client socket.",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  histogram_family ack_seconds{
      families,
      "ack_latency_seconds",
      "From a send frame's arrival to its ack (after the commit).",
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  histogram_family store_batch{families,
                               "store_batch_size",
                               "Writes per store transaction (group commit).",
                               {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}};
  histogram_family store_commit_seconds{
      families,
      "store_commit_seconds",
      "Duration of a store transaction, commit included.",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};
  single<counter> archive_messages{
      families, "archive_messages_total",
      "Messages moved from SQLite to the Postgres archive (docs/operations.md, \"Archive\")."};
  histogram_family archive_batch_seconds{
      families,
      "archive_batch_seconds",
      "Duration of one archive batch: read in SQLite, store in Postgres, forget in SQLite.",
      {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10}};
  single<counter> archive_failures{
      families, "archive_failures_total",
      "Archive passes that stopped on an error (Postgres down, a failed write); the next "
      "pass retries where it stopped."};
  labelled<counter, 6> agent_events{families, "agent_events_total",
                                    "Agent relay events by how they ended.", "outcome",
                                    outcome_names};
  single<counter> agent_tokens{families, "agent_tokens_total",
                               "Tokens relayed from agents to apps."};
  histogram_family room_mailbox_wait{
      families,
      "room_mailbox_wait_seconds",
      "Time a probe waits in a room actor's mailbox before the room handles it, sampled per "
      "room every second: a room that falls behind shows here first.",
      {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5}};
  histogram_family room_mailbox{
      families,
      "room_mailbox_messages",
      "Messages waiting in a room actor's mailbox, sampled per room every second.",
      {0, 1, 4, 16, 64, 256, 1024, 4096, 16384}};
  labelled<counter, 4> resume_pages{
      families, "resume_pages_total",
      "Pages of missed messages served to resuming clients, by where they came from.", "source",
      page_source_names};
  single<counter> livekit_webhooks_reporting_drops{
      families, "livekit_webhooks_reporting_drops_total",
      "LiveKit webhooks that said LiveKit had dropped earlier ones (numDropped > 0)."};
  single<counter> livekit_webhooks_dropped{
      families, "livekit_webhooks_dropped_total",
      "Webhooks LiveKit reported dropping (the sum of numDropped)."};
  single<counter> livekit_webhooks_refused{
      families, "livekit_webhooks_refused_total",
      "Requests to /v1/livekit/webhook refused with 401 (missing, bad or expired signature, "
      "or a body that does not match it); the log shows only some of them."};

  // Cluster mode's Redis client (redis/client.hpp); all zero on a single node.
  single<counter> redis_publishes{
      families, "redis_publishes_total",
      "Messages published to Redis (written to the command connection)."};
  single<counter> redis_publish_drops{
      families, "redis_publish_drops_total",
      "Publishes that did not reach Redis: not connected, the connection lost before the "
      "reply, an error reply, or too many unanswered."};
  single<counter> redis_messages{families, "redis_messages_total",
                                 "Messages received from Redis on subscribed channels."};
  single<counter> redis_reconnects{
      families, "redis_reconnects_total",
      "Redis connections (commands or subscriber) ready again after a failed attempt or a "
      "lost connection."};
  histogram_family redis_command_seconds{
      families,
      "redis_command_seconds",
      "Round trip of a Redis command other than PUBLISH, from sending to its reply.",
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};

  // Cluster mode's room events between nodes (actors/cluster/); all zero on a single node.
  single<counter> cluster_publishes{families, "cluster_publishes_total",
                                    "Room events this node published for the other nodes."};
  single<counter> cluster_receives{
      families, "cluster_receives_total",
      "Room events of other nodes this node received and handed to its rooms."};
  single<counter> cluster_gap_fills{
      families, "cluster_gap_fills_total",
      "Store reads a channel made because a seq it expected had not arrived (pub/sub lost it "
      "or it is still on its way), or to catch up after Redis reconnected."};
  histogram_family cluster_delivery_seconds{
      families,
      "cluster_delivery_seconds",
      "From a node publishing a room event to another node receiving it (publisher's and "
      "receiver's wall clocks: meaningful when they are synchronised, as on one machine).",
      {0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}};

  // The names the write path has always used for the two reasons.
  counter& dropped_ephemeral = frames_dropped[static_cast<std::size_t>(drop_reason::ephemeral)];
  counter& dropped_coalesced = frames_dropped[static_cast<std::size_t>(drop_reason::coalesced)];
};

/// The process's metrics.
relay_metrics& get();

/// Everything in the Prometheus text exposition format (version 0.0.4).
std::string render(const relay_metrics& m);

}  // namespace relay::metrics
