// ack mode: N sender connections; latency from `send` to its `ack` (durable commit).
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

// One per io_context thread, merged at the end: no sharing while the run is hot.
struct ack_stats {
  histogram ack_lat;
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::uint64_t acked_in_window = 0;
  std::uint64_t message_frames = 0;
  std::uint64_t lost_on_close = 0;
  std::int64_t max_send_lag_ns = 0;
  std::map<std::string, std::uint64_t> errors;     // by error code
  std::map<int, std::uint64_t> closes;             // by close code, after sync
  int logged = 0;
};

struct run_window {
  std::int64_t t0 = 0;      // sending starts
  std::int64_t warm = 0;    // measurements start
  std::int64_t stop = 0;    // sending stops
  std::int64_t interval = 0;  // per-connection send interval; 0 = closed loop
  int window = 1;
};

class sender final : public ws_events {
 public:
  sender(net::io_context& ioc, ack_stats& st, phase_counters& pc, std::atomic<std::int64_t>& outstanding,
         std::string id_prefix, std::string pad)
      : ioc_(ioc), timer_(ioc), st_(st), pc_(pc), outstanding_(outstanding),
        prefix_(std::move(id_prefix)), pad_(std::move(pad)) {}

  void connect(const target& t, const std::string& token) { conn_ = connect_ws(ioc_, t, token, *this); }

  void begin(const run_window& w, std::int64_t offset) {
    w_ = w;
    if (!synced_ || closed_) return;
    if (w_.interval > 0) {
      // Open loop: sends follow the clock whether or not acks come back, so a slow
      // server shows up as latency instead of silently lowering the offered rate.
      next_due_ = w_.t0 + offset;
      arm();
    } else {
      for (int i = 0; i < w_.window; ++i) send_one(now_ns());
    }
  }

  void stop() {
    timer_.cancel();
    if (conn_) conn_->abort();
  }

  void on_text(std::string_view f) override {
    auto type = string_field(f, R"("type":")");
    if (type == "message") {
      // Every sender also receives the room's fan-out; counted to show that load.
      if (auto now = now_ns(); now >= w_.warm && now <= w_.stop && w_.stop > 0) ++st_.message_frames;
    } else if (type == "ack") {
      if (auto sent_at = take(string_field(f, R"("clientMsgId":")"))) on_ack(*sent_at);
    } else if (type == "error") {
      auto code = std::string(string_field(f, R"("code":")"));
      ++st_.errors[code];
      if (st_.logged++ < 5) std::cerr << "  server error frame: " << f.substr(0, 200) << "\n";
      if (take(string_field(f, R"("clientMsgId":")"))) refill();
    } else if (type == "sync" && !synced_) {
      synced_ = true;
      ++pc_.synced;
    }
  }

  void on_closed(int code, std::string_view why) override {
    closed_ = true;
    timer_.cancel();
    if (!synced_) {
      ++pc_.failed;
      if (st_.logged++ < 5) std::cerr << "  connection failed: " << why << "\n";
      return;
    }
    ++pc_.closed_after_sync;
    ++st_.closes[code];
    if (st_.logged++ < 5) std::cerr << "  connection closed by server: " << code << " " << why << "\n";
    // Nothing pending will be acked now; the drain must not wait for it.
    st_.lost_on_close += pending_.size();
    outstanding_ -= static_cast<std::int64_t>(pending_.size());
    pending_.clear();
  }

 private:
  void arm() {
    if (next_due_ >= w_.stop || closed_) return;
    timer_.expires_at(steady::time_point(std::chrono::nanoseconds(next_due_)));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  void tick() {
    auto now = now_ns();
    // Catch up on every send that fell due while the timer (or this thread) was late.
    while (next_due_ <= now && next_due_ < w_.stop) {
      st_.max_send_lag_ns = std::max(st_.max_send_lag_ns, now - next_due_);
      send_one(now);
      next_due_ += w_.interval;
    }
    arm();
  }

  void send_one(std::int64_t now) {
    auto n = next_n_++;
    auto id = prefix_ + std::to_string(n);
    std::string frame = R"({"type":"send","clientMsgId":")" + id + R"(","content":"m )" + id + pad_ +
                        R"(","channelId":null})";
    pending_.emplace(n, now);
    ++outstanding_;
    ++st_.sent;
    conn_->send(std::move(frame));
  }

  // Removes a pending send by its clientMsgId (`<prefix><n>`); returns its send time.
  std::optional<std::int64_t> take(std::string_view client_msg_id) {
    auto dash = client_msg_id.rfind('-');
    if (dash == std::string_view::npos) return std::nullopt;
    std::uint64_t n = 0;
    auto digits = client_msg_id.substr(dash + 1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), n).ec != std::errc{})
      return std::nullopt;
    auto it = pending_.find(n);
    if (it == pending_.end()) return std::nullopt;
    auto sent_at = it->second;
    pending_.erase(it);
    --outstanding_;
    return sent_at;
  }

  void on_ack(std::int64_t sent_at) {
    auto now = now_ns();
    ++st_.acked;
    if (sent_at >= w_.warm) st_.ack_lat.record(now - sent_at);
    if (now >= w_.warm && now <= w_.stop) ++st_.acked_in_window;
    refill();
  }

  // Closed loop keeps `window` sends outstanding until the stop time.
  void refill() {
    if (w_.interval == 0 && w_.stop > 0 && !closed_) {
      auto now = now_ns();
      if (now < w_.stop) send_one(now);
    }
  }

  net::io_context& ioc_;
  net::steady_timer timer_;
  ack_stats& st_;
  phase_counters& pc_;
  std::atomic<std::int64_t>& outstanding_;
  std::string prefix_;
  std::string pad_;
  std::shared_ptr<ws_conn> conn_;
  std::unordered_map<std::uint64_t, std::int64_t> pending_;  // n -> send time (ns)
  run_window w_;
  std::int64_t next_due_ = 0;
  std::uint64_t next_n_ = 0;
  bool synced_ = false;
  bool closed_ = false;
};

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }

}  // namespace

boost::json::object run_ack(const options& opt) {
  io_pool pool(static_cast<std::size_t>(opt.threads));
  std::vector<ack_stats> stats(pool.size());
  phase_counters pc;
  std::atomic<std::int64_t> outstanding{0};
  auto tag = run_tag();
  auto pad = padding(opt.content_bytes, 2 + tag.size() + 8);

  std::vector<std::unique_ptr<sender>> senders;
  for (int i = 0; i < opt.conns; ++i) {
    auto k = static_cast<std::size_t>(i);
    senders.push_back(std::make_unique<sender>(pool.ctx(k), stats[k % pool.size()], pc, outstanding,
                                               "c" + tag + "-" + std::to_string(i) + "-", pad));
  }
  auto connect_s = connect_gradually(opt.conns, opt.connect_batch, 60, pc, [&](int i) {
    pool.post(static_cast<std::size_t>(i), [&, i] {
      senders[static_cast<std::size_t>(i)]->connect(
          opt.server, opt.tokens[static_cast<std::size_t>(i) % opt.tokens.size()]);
    });
  }, false);

  boost::json::object out;
  out["conns"] = opt.conns;
  out["conns_synced"] = pc.synced.load();
  out["connect_s"] = std::round(connect_s * 100) / 100;
  out["offered_rate"] = opt.rate;
  out["loop"] = opt.rate > 0 ? "open" : "closed";
  if (opt.rate <= 0) out["window"] = opt.window;
  out["duration_s"] = opt.duration;
  out["warmup_s"] = opt.warmup;

  if (pc.synced.load() > 0) {
    run_window w;
    // A little in the future so every thread starts on the same instant.
    w.t0 = now_ns() + 50'000'000;
    w.warm = w.t0 + static_cast<std::int64_t>(opt.warmup * 1e9);
    w.stop = w.t0 + static_cast<std::int64_t>(opt.duration * 1e9);
    w.window = opt.window;
    w.interval = opt.rate > 0 ? static_cast<std::int64_t>(1e9 * opt.conns / opt.rate) : 0;
    cpu_window cpu;
    for (int i = 0; i < opt.conns; ++i) {
      // Stagger the connections' schedules so the offered load is smooth, not bursts.
      auto offset = w.interval * i / opt.conns;
      pool.post(static_cast<std::size_t>(i), [&, i, w, offset] { senders[static_cast<std::size_t>(i)]->begin(w, offset); });
    }
    std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(w.warm)));
    cpu.start(opt);
    std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(w.stop)));
    cpu.finish(opt, out);
    auto drain_until = now_ns() + static_cast<std::int64_t>(opt.drain * 1e9);
    while (outstanding.load() > 0 && now_ns() < drain_until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    out["drain_s"] = std::round(seconds(now_ns() - w.stop) * 100) / 100;
  }
  for (std::size_t i = 0; i < senders.size(); ++i) pool.post(i, [&, i] { senders[i]->stop(); });
  pool.finish();

  ack_stats all;
  for (auto& s : stats) {
    all.ack_lat.merge(s.ack_lat);
    all.sent += s.sent;
    all.acked += s.acked;
    all.acked_in_window += s.acked_in_window;
    all.message_frames += s.message_frames;
    all.lost_on_close += s.lost_on_close;
    all.max_send_lag_ns = std::max(all.max_send_lag_ns, s.max_send_lag_ns);
    for (auto& [k, v] : s.errors) all.errors[k] += v;
    for (auto& [k, v] : s.closes) all.closes[k] += v;
  }
  auto window_s = opt.duration - opt.warmup;
  out["sent"] = all.sent;
  out["acked"] = all.acked;
  out["acked_per_s"] = std::round(static_cast<double>(all.acked_in_window) / window_s);
  out["unacked"] = outstanding.load();
  out["lost_on_close"] = all.lost_on_close;
  boost::json::object errs, closes;
  for (auto& [k, v] : all.errors) errs[k] = v;
  for (auto& [k, v] : all.closes) closes[std::to_string(k)] = v;
  out["errors"] = std::move(errs);
  out["server_closes"] = std::move(closes);
  out["message_frames_per_s"] = std::round(static_cast<double>(all.message_frames) / window_s);
  out["max_send_lag_ms"] = std::round(static_cast<double>(all.max_send_lag_ns) / 1e3) / 1e3;
  put_latency(out, "ack_ms", all.ack_lat);
  return out;
}

}  // namespace loadgen
