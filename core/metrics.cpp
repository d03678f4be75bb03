#include "core/metrics.hpp"

#include <algorithm>
#include <charconv>

namespace relay::metrics {

histogram::histogram(std::initializer_list<double> bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void histogram::observe(double v) noexcept {
  auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                    bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void histogram::tally::add(double v) noexcept {
  auto i = static_cast<std::size_t>(std::lower_bound(h_.bounds_.begin(), h_.bounds_.end(), v) -
                                    h_.bounds_.begin());
  ++counts_[std::min(i, counts_.size() - 1)];
  ++n_;
  sum_ += v;
}

histogram::tally::~tally() {
  if (n_ == 0) return;
  for (std::size_t i = 0; i <= h_.bounds_.size() && i < counts_.size(); ++i)
    if (counts_[i] != 0) h_.counts_[i].fetch_add(counts_[i], std::memory_order_relaxed);
  h_.count_.fetch_add(n_, std::memory_order_relaxed);
  h_.sum_.fetch_add(sum_, std::memory_order_relaxed);
}

relay_metrics& get() {
  static relay_metrics m;
  return m;
}

namespace {

// Shortest text that reads back as the same double: 0.0001, not 0.00010000000000000001.
std::string num(double v) {
  char buf[400];  // fixed notation of the largest double
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return ec == std::errc{} ? std::string(buf, end) : std::string("NaN");
}

struct writer {
  std::string out;

  void head(const char* name, const char* type, const char* help) {
    out += "# HELP relay_";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE relay_";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
  }
  void sample(const char* name, const std::string& labels, const std::string& value) {
    out += "relay_";
    out += name;
    if (!labels.empty()) out += "{" + labels + "}";
    out += ' ';
    out += value;
    out += '\n';
  }
  void one(const char* name, const char* type, const char* help, const std::string& value) {
    head(name, type, help);
    sample(name, {}, value);
  }
  template <class Array, class Names>
  void labelled(const char* name, const char* type, const char* help, const char* label,
                const Array& a, const Names& names) {
    head(name, type, help);
    for (std::size_t i = 0; i < a.size(); ++i)
      sample(name, std::string(label) + "=\"" + names[i] + "\"", std::to_string(a[i].value()));
  }
  void hist(const char* name, const char* help, const histogram& h) {
    head(name, "histogram", help);
    std::string bucket = std::string(name) + "_bucket";
    std::uint64_t cum = 0;
    for (std::size_t i = 0; i < h.bounds().size(); ++i) {
      cum += h.bucket(i);
      sample(bucket.c_str(), "le=\"" + num(h.bounds()[i]) + "\"", std::to_string(cum));
    }
    cum += h.bucket(h.bounds().size());
    sample(bucket.c_str(), "le=\"+Inf\"", std::to_string(cum));
    sample((std::string(name) + "_sum").c_str(), {}, num(h.sum()));
    // The count is the +Inf bucket, read once, so the two always agree.
    sample((std::string(name) + "_count").c_str(), {}, std::to_string(cum));
  }
};

}  // namespace

std::string render(const relay_metrics& m) {
  writer w;
  w.labelled("connections", "gauge", "Open client connections by class.", "class", m.connections,
             conn_class_names);
  w.labelled("queued_bytes", "gauge", "Bytes waiting in outbound queues, by connection class.",
             "class", m.queued_bytes, conn_class_names);
  w.hist("queue_frames", "Outbound queue depth in frames, sampled at each socket write.",
         m.queue_frames);
  w.hist("queue_bytes_sampled", "Outbound queue depth in bytes, sampled at each socket write.",
         m.queue_bytes);
  w.head("frames_dropped_total", "counter", "Frames not delivered to a slow client, by reason.");
  w.sample("frames_dropped_total", "reason=\"ephemeral\"",
           std::to_string(m.dropped_ephemeral.value()));
  w.sample("frames_dropped_total", "reason=\"coalesced\"",
           std::to_string(m.dropped_coalesced.value()));
  w.labelled("slow_consumer_disconnects_total", "counter",
             "Connections closed as slow consumers: their outbound queue passed its cap "
             "(WebSocket: close 4008; SSE: the stream ends) or their socket took nothing for "
             "write_timeout_seconds.",
             "class", m.slow_consumer_closes, conn_class_names);
  w.one("deliveries_total", "counter", "Frames written to client sockets.",
        std::to_string(m.deliveries.value()));
  w.hist("delivery_latency_seconds",
         "From a frame's creation (for a message: its channel's fan-out, which may precede the "
         "commit) to its write to a client socket.",
         m.delivery_seconds);
  w.hist("ack_latency_seconds", "From a send frame's arrival to its ack (after the commit).",
         m.ack_seconds);
  w.hist("store_batch_size", "Writes per store transaction (group commit).", m.store_batch);
  w.hist("store_commit_seconds", "Duration of a store transaction, commit included.",
         m.store_commit_seconds);
  w.labelled("agent_events_total", "counter", "Agent relay events by how they ended.", "outcome",
             m.agent_events, outcome_names);
  w.one("agent_tokens_total", "counter", "Tokens relayed from agents to apps.",
        std::to_string(m.agent_tokens.value()));
  w.hist("room_mailbox_wait_seconds",
         "Time a probe waits in a room actor's mailbox before the room handles it, sampled per "
         "room every second: a room that falls behind shows here first.",
         m.room_mailbox_wait);
  w.hist("room_mailbox_messages",
         "Messages waiting in a room actor's mailbox, sampled per room every second.",
         m.room_mailbox);
  w.labelled("resume_pages_total", "counter",
             "Pages of missed messages served to resuming clients, by where they came from.",
             "source", m.resume_pages, page_source_names);
  w.one("livekit_webhooks_reporting_drops_total", "counter",
        "LiveKit webhooks that said LiveKit had dropped earlier ones (numDropped > 0).",
        std::to_string(m.livekit_webhooks_reporting_drops.value()));
  w.one("livekit_webhooks_dropped_total", "counter",
        "Webhooks LiveKit reported dropping (the sum of numDropped).",
        std::to_string(m.livekit_webhooks_dropped.value()));
  w.one("livekit_webhooks_refused_total", "counter",
        "Requests to /v1/livekit/webhook refused with 401 (missing, bad or expired signature, "
        "or a body that does not match it); the log shows only some of them.",
        std::to_string(m.livekit_webhooks_refused.value()));
  return std::move(w.out);
}

}  // namespace relay::metrics
