// idle mode: N WebSocket connections that join (Relay: authenticated, synced into the
// room; nchan: subscribed to the channel) and then only read; the server's memory
// before and after, per connection.
#include <cmath>
#include <iostream>
#include <map>

#include "loadgen/common.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

class idle_conn final : public ws_events {
 public:
  idle_conn(net::io_context& ioc, phase_counters& pc, std::map<int, int>& closes, bool nchan)
      : ioc_(ioc), pc_(pc), closes_(closes), nchan_(nchan) {}

  void connect(const target& t, const std::string& token) {
    conn_ = connect_ws(ioc_, t, token, *this);
  }
  void stop() {
    if (conn_) conn_->abort();
  }

  void on_open() override {
    if (nchan_) synced();
  }
  void on_text(std::string_view f) override {
    if (!nchan_ && string_field(f, R"("type":")") == "sync") synced();
  }
  void on_closed(int code, std::string_view why) override {
    if (!synced_) {
      ++pc_.failed;
      if (pc_.failed.load() <= 5) std::cerr << "  connection failed: " << why << "\n";
      return;
    }
    ++pc_.closed_after_sync;
    ++closes_[code];
  }

 private:
  void synced() {
    if (synced_) return;
    synced_ = true;
    ++pc_.synced;
  }

  net::io_context& ioc_;
  phase_counters& pc_;
  std::map<int, int>& closes_;  // per io thread
  std::shared_ptr<ws_conn> conn_;
  bool nchan_;
  bool synced_ = false;
};

double round1(double v) {
  return std::round(v * 10.0) / 10.0;
}
double round2(double v) {
  return std::round(v * 100.0) / 100.0;
}

// Memory settles a little after the last handshake (allocator caches, the last sync
// frames leaving): take the lowest of a few samples a second apart.
server_memory settled_memory(const options& opt, int samples) {
  auto best = servers_memory(opt);
  for (int i = 1; i < samples; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto m = servers_memory(opt);
    best.rss_mb = std::min(best.rss_mb, m.rss_mb);
    best.pss_mb = std::min(best.pss_mb, m.pss_mb);
  }
  return best;
}

}  // namespace

boost::json::object run_idle(const options& opt) {
  const bool nchan = opt.peer == "nchan";
  io_pool pool(static_cast<std::size_t>(opt.threads));
  std::vector<std::map<int, int>> closes(pool.size());
  phase_counters pc;
  boost::json::object out;
  out["conns"] = opt.conns;

  auto empty = settled_memory(opt, 3);
  std::vector<std::unique_ptr<idle_conn>> conns;
  for (int i = 0; i < opt.conns; ++i) {
    auto k = static_cast<std::size_t>(i);
    conns.push_back(std::make_unique<idle_conn>(pool.ctx(k), pc, closes[k % pool.size()], nchan));
  }
  std::cerr << "  connecting " << opt.conns << " idle connections to " << opt.peer << "\n";
  auto connect_s = connect_gradually(
      opt.conns, opt.connect_batch, 300, pc,
      [&](int i) {
        auto k = static_cast<std::size_t>(i);
        auto t = opt.server;
        t.source = source_for(opt, i);
        pool.post(k, [&, k, t] { conns[k]->connect(t, opt.tokens[k % opt.tokens.size()]); });
      },
      true);
  auto synced = pc.synced.load();
  std::cerr << "  " << synced << " connected in " << connect_s << " s; holding them for "
            << opt.duration << " s\n";
  cpu_window cpu;
  cpu.start(opt);
  std::this_thread::sleep_for(std::chrono::duration<double>(opt.duration));
  auto loaded = settled_memory(opt, 3);
  cpu.finish(opt, out);
  for (std::size_t i = 0; i < conns.size(); ++i) pool.post(i, [&, i] { conns[i]->stop(); });
  pool.finish();
  // What the server gives back once every connection is gone (allocator retention).
  std::this_thread::sleep_for(std::chrono::seconds(2));
  auto after = servers_memory(opt);
  // Relay returns freed heap to the kernel every 2 s once many connections have closed.
  std::this_thread::sleep_for(std::chrono::seconds(8));
  auto after10 = servers_memory(opt);

  out["conns_synced"] = synced;
  out["conns_failed"] = pc.failed.load();
  out["connect_s"] = round2(connect_s);
  out["server_rss_mb_empty"] = round1(empty.rss_mb);
  out["server_pss_mb_empty"] = round1(empty.pss_mb);
  out["server_rss_mb_loaded"] = round1(loaded.rss_mb);
  out["server_pss_mb_loaded"] = round1(loaded.pss_mb);
  out["server_rss_mb_after_close"] = round1(after.rss_mb);
  out["server_pss_mb_after_close"] = round1(after.pss_mb);
  out["server_rss_mb_after_close_10s"] = round1(after10.rss_mb);
  out["server_pss_mb_after_close_10s"] = round1(after10.pss_mb);
  if (synced > 0) {
    out["kb_per_conn_rss"] = round2((loaded.rss_mb - empty.rss_mb) * 1024.0 / synced);
    out["kb_per_conn_pss"] = round2((loaded.pss_mb - empty.pss_mb) * 1024.0 / synced);
  }
  std::map<int, int> all;
  for (auto& m : closes)
    for (auto& [k, v] : m) all[k] += v;
  boost::json::object c;
  for (auto& [k, v] : all) c[std::to_string(k)] = v;
  out["server_closes"] = std::move(c);
  if (synced < opt.conns) out["error"] = "not every connection came up";
  return out;
}

}  // namespace loadgen
