// fanout mode: S subscribers and one publisher in the same room; end-to-end latency
// from the publisher's send (timestamp in the content) to each subscriber's receipt.
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "loadgen/common.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

struct sub_stats {
  histogram e2e;
  std::uint64_t received = 0;
  std::int64_t last_rx = 0;
  std::int64_t max_index = -1;  // highest publish index seen
  std::map<int, std::uint64_t> closes;  // by close code, after sync
  int logged = 0;
};

class subscriber final : public ws_events {
 public:
  subscriber(net::io_context& ioc, sub_stats& st, phase_counters& pc, std::atomic<std::uint64_t>& total)
      : ioc_(ioc), st_(st), pc_(pc), total_(total) {}

  void connect(const target& t, const std::string& token) { conn_ = connect_ws(ioc_, t, token, *this); }
  void stop() {
    if (conn_) conn_->abort();
  }

  void on_text(std::string_view f) override {
    // Fast path first: with 10,000 subscribers this runs up to a million times a
    // second on a core the server also needs, so no full JSON parse. The server
    // writes "type" first; anything else falls back to the field search.
    constexpr std::string_view message_prefix = R"({"type":"message")";
    auto type = f.starts_with(message_prefix) ? std::string_view("message") : string_field(f, R"("type":")");
    if (type == "message") {
      // Content is "t:<send ns>:<publish index>[ padding]".
      auto stamp = string_field(f, R"("content":"t:)");
      auto end = stamp.data() + stamp.size();
      std::int64_t sent = 0, index = -1;
      auto r = std::from_chars(stamp.data(), end, sent);
      if (r.ec != std::errc{}) return;
      if (r.ptr != end && *r.ptr == ':') std::from_chars(r.ptr + 1, end, index);
      st_.max_index = std::max(st_.max_index, index);
      auto now = now_ns();
      st_.e2e.record(now - sent);
      ++st_.received;
      st_.last_rx = std::max(st_.last_rx, now);
      total_.fetch_add(1, std::memory_order_relaxed);
    } else if (type == "sync" && !synced_) {
      synced_ = true;
      ++pc_.synced;
    }
  }

  void on_closed(int code, std::string_view why) override {
    if (!synced_) {
      ++pc_.failed;
      if (st_.logged++ < 5) std::cerr << "  subscriber failed: " << why << "\n";
      return;
    }
    ++pc_.closed_after_sync;
    ++st_.closes[code];
    if (st_.logged++ < 5) std::cerr << "  subscriber closed by server: " << code << " " << why << "\n";
  }

 private:
  net::io_context& ioc_;
  sub_stats& st_;
  phase_counters& pc_;
  std::atomic<std::uint64_t>& total_;
  std::shared_ptr<ws_conn> conn_;
  bool synced_ = false;
};

// Open-loop publisher on its own thread, so a busy subscriber thread cannot delay
// (and thereby thin out) the offered rate.
class publisher final : public ws_events {
 public:
  publisher(net::io_context& ioc, phase_counters& pc, std::atomic<std::uint64_t>& acked, std::string prefix,
            std::string pad)
      : ioc_(ioc), timer_(ioc), pc_(pc), acked_total_(acked), prefix_(std::move(prefix)), pad_(std::move(pad)) {}

  void connect(const target& t, const std::string& token) { conn_ = connect_ws(ioc_, t, token, *this); }

  void begin(std::int64_t t0, std::int64_t stop, std::int64_t interval) {
    next_due_ = t0;
    stop_ = stop;
    interval_ = interval;
    arm();
  }

  void stop() {
    timer_.cancel();
    if (conn_) conn_->abort();
  }

  void on_text(std::string_view f) override {
    auto type = string_field(f, R"("type":")");
    if (type == "ack") {
      if (auto at = take(string_field(f, R"("clientMsgId":")"))) {
        ack_lat.record(now_ns() - *at);
        acked_total_.fetch_add(1);
        ++answered;
      }
    } else if (type == "error") {
      ++errors;
      if (take(string_field(f, R"("clientMsgId":")"))) ++answered;
      if (errors <= 5) std::cerr << "  publisher got: " << f.substr(0, 200) << "\n";
    } else if (type == "sync" && !synced_) {
      synced_ = true;
      ++pc_.synced;
    }
  }

  void on_closed(int code, std::string_view why) override {
    timer_.cancel();
    gone = true;
    if (!synced_) ++pc_.failed;
    std::cerr << "  publisher connection closed: " << code << " " << why << "\n";
  }

  histogram ack_lat;
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> answered{0};  // acks + error frames, read by the controller
  std::atomic<bool> gone{false};
  std::uint64_t errors = 0;
  std::int64_t max_send_lag_ns = 0;

 private:
  void arm() {
    if (next_due_ >= stop_) return;
    timer_.expires_at(steady::time_point(std::chrono::nanoseconds(next_due_)));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      auto now = now_ns();
      while (next_due_ <= now && next_due_ < stop_) {
        max_send_lag_ns = std::max(max_send_lag_ns, now - next_due_);
        send_one();
        next_due_ += interval_;
      }
      arm();
    });
  }

  void send_one() {
    auto n = next_n_++;
    // Stamp at the last moment so the latency includes nothing of our own scheduling.
    auto now = now_ns();
    std::string frame = R"({"type":"send","clientMsgId":")" + prefix_ + std::to_string(n) +
                        R"(","content":"t:)" + std::to_string(now) + ":" + std::to_string(n) + pad_ +
                        R"(","channelId":null})";
    pending_.emplace(n, now);
    ++sent;
    conn_->send(std::move(frame));
  }

  std::optional<std::int64_t> take(std::string_view id) {
    auto dash = id.rfind('-');
    std::uint64_t n = 0;
    if (dash == std::string_view::npos ||
        std::from_chars(id.data() + dash + 1, id.data() + id.size(), n).ec != std::errc{})
      return std::nullopt;
    auto it = pending_.find(n);
    if (it == pending_.end()) return std::nullopt;
    auto at = it->second;
    pending_.erase(it);
    return at;
  }

  net::io_context& ioc_;
  net::steady_timer timer_;
  phase_counters& pc_;
  std::atomic<std::uint64_t>& acked_total_;
  std::string prefix_;
  std::string pad_;
  std::shared_ptr<ws_conn> conn_;
  std::unordered_map<std::uint64_t, std::int64_t> pending_;
  std::int64_t next_due_ = 0, stop_ = 0, interval_ = 1;
  std::uint64_t next_n_ = 0;
  bool synced_ = false;
};

void wait_for(const std::function<bool()>& done, double timeout_s) {
  auto until = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  while (!done() && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace

boost::json::object run_fanout(const options& opt) {
  io_pool pool(static_cast<std::size_t>(opt.threads));
  io_pool pub_pool(1);
  std::vector<sub_stats> stats(pool.size());
  phase_counters pc, pub_pc;
  std::atomic<std::uint64_t> received{0}, acked{0};
  auto tag = run_tag();

  std::cerr << "  connecting " << opt.subs << " subscribers, " << opt.connect_batch << " at a time\n";
  std::vector<std::unique_ptr<subscriber>> subs;
  for (int i = 0; i < opt.subs; ++i) {
    auto k = static_cast<std::size_t>(i);
    subs.push_back(std::make_unique<subscriber>(pool.ctx(k), stats[k % pool.size()], pc, received));
  }
  auto connect_s = connect_gradually(opt.subs, opt.connect_batch, 180, pc, [&](int i) {
    auto k = static_cast<std::size_t>(i);
    pool.post(k, [&, k] { subs[k]->connect(opt.server, opt.tokens[k % opt.tokens.size()]); });
  }, true);
  std::cerr << "  " << pc.synced.load() << " subscribers synced in " << connect_s << " s\n";

  publisher pub(pub_pool.ctx(0), pub_pc, acked, "p" + tag + "-",
                padding(opt.content_bytes, 2 + 19 + 6));
  pub_pool.post(0, [&] { pub.connect(opt.server, opt.tokens.front()); });
  wait_for([&] { return pub_pc.synced.load() + pub_pc.failed.load() > 0; }, 30);
  // Let the last sync frames and the server's join work settle before timing.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  boost::json::object out;
  out["subs"] = opt.subs;
  out["subs_synced"] = pc.synced.load();
  out["connect_s"] = std::round(connect_s * 100) / 100;
  out["offered_rate"] = opt.rate;
  out["duration_s"] = opt.duration;
  auto alive = pc.synced.load() - pc.closed_after_sync.load();
  std::int64_t t0 = 0, stop = 0;
  if (pub_pc.synced.load() == 1 && alive > 0 && opt.rate > 0) {
    t0 = now_ns() + 50'000'000;
    stop = t0 + static_cast<std::int64_t>(opt.duration * 1e9);
    auto interval = static_cast<std::int64_t>(1e9 / opt.rate);
    cpu_window cpu;
    pub_pool.post(0, [&, interval] { pub.begin(t0, stop, interval); });
    std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(t0)));
    cpu.start(opt);
    std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(stop)));
    cpu.finish(opt, out);
    // Drain, first the publisher's acks (they fix how many deliveries to expect), then
    // the deliveries: until every acked message reached every live subscriber, or
    // nothing new arrived for 2 s (lost frames never come), or the drain limit.
    auto drain_until = now_ns() + static_cast<std::int64_t>(opt.drain * 1e9);
    while (now_ns() < drain_until && pub.answered.load() < pub.sent.load() && !pub.gone)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto last = received.load();
    auto last_change = now_ns();
    while (now_ns() < drain_until && now_ns() - last_change < 2'000'000'000) {
      if (received.load() >= acked.load() * static_cast<std::uint64_t>(alive)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (auto r = received.load(); r != last) {
        last = r;
        last_change = now_ns();
      }
    }
    out["drain_s"] = std::round(static_cast<double>(now_ns() - stop) / 1e7) / 100;
  } else {
    out["error"] = "publisher or subscribers did not come up";
  }
  for (std::size_t i = 0; i < subs.size(); ++i) pool.post(i, [&, i] { subs[i]->stop(); });
  pub_pool.post(0, [&] { pub.stop(); });
  pool.finish();
  pub_pool.finish();

  sub_stats all;
  for (auto& s : stats) {
    all.e2e.merge(s.e2e);
    all.received += s.received;
    all.last_rx = std::max(all.last_rx, s.last_rx);
    all.max_index = std::max(all.max_index, s.max_index);
    for (auto& [k, v] : s.closes) all.closes[k] += v;
  }
  // Every message the server acked was broadcast to every subscriber synced at start.
  // Under overload acks lag far behind the broadcast (both queue on the same I/O
  // thread), but the channel broadcasts in publish order, so a delivery of message n
  // to anyone means messages 0..n went out to everyone.
  auto broadcast = std::max<std::uint64_t>(acked.load(), static_cast<std::uint64_t>(all.max_index + 1));
  auto expected = broadcast * static_cast<std::uint64_t>(alive > 0 ? alive : 0);
  out["published"] = pub.sent.load();
  out["publish_acked"] = acked.load();
  out["publish_errors"] = pub.errors;
  out["broadcast"] = broadcast;
  out["expected"] = expected;
  out["received"] = all.received;
  out["lost"] = expected > all.received ? expected - all.received : 0;
  out["lost_pct"] = expected ? std::round(1e5 * static_cast<double>(expected - std::min(expected, all.received)) /
                                          static_cast<double>(expected)) / 1e3
                             : 0.0;
  // Rate over the span from the first publish to the last delivery, so a server that
  // falls behind and catches up during the drain is not credited with the offered rate.
  // Never shorter than the publishing window: deliveries cannot finish before the
  // last message is sent.
  auto span = std::max(opt.duration, static_cast<double>(all.last_rx - t0) / 1e9);
  out["deliveries_per_s"] = span > 0 ? std::round(static_cast<double>(all.received) / span) : 0.0;
  out["offered_deliveries_per_s"] = opt.rate * alive;
  boost::json::object closes;
  for (auto& [k, v] : all.closes) closes[std::to_string(k)] = v;
  out["server_closes"] = std::move(closes);
  out["max_send_lag_ms"] = std::round(static_cast<double>(pub.max_send_lag_ns) / 1e3) / 1e3;
  put_latency(out, "e2e_ms", all.e2e);
  put_latency(out, "publish_ack_ms", pub.ack_lat);
  return out;
}

}  // namespace loadgen
