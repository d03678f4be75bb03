// presence mode: N users online in one room, kept online either by REST heartbeats
// (POST /api/rooms/:slug/presence every --heartbeat-interval s, spread evenly, open
// loop over --http-conns keep-alive connections) or by one room socket each
// (--via sockets). A watcher (its own user and socket) follows the presence events.
// Once the watcher saw everyone online, a --duration s window measures the server's
// CPU and, with --redis-port, Redis's commands/s and CPU; during it --leavers users
// stop (no further heartbeat, or their socket is reset) at times spread over the
// window, and the watcher's `offline` for each is timed from the last answered
// heartbeat's write (an upper bound; from its answer: a lower bound) or the socket's
// reset: docs/api.md promises it within the TTL plus about a second.
#include <charconv>
#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "loadgen/common.hpp"
#include "loadgen/http_pool.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

// `INFO` from Redis over a plain blocking socket (inline command, one bulk reply):
// the counters the window needs, without a Redis client library in the load generator.
std::map<std::string, std::string> redis_info(int port) {
  std::map<std::string, std::string> out;
  try {
    net::io_context ioc;
    net::ip::tcp::socket s(ioc);
    s.connect({net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
    net::write(s, net::buffer(std::string("INFO\r\n")));
    net::streambuf buf;
    auto n = net::read_until(s, buf, "\r\n");
    std::string head(net::buffers_begin(buf.data()), net::buffers_begin(buf.data()) + n);
    buf.consume(n);
    std::size_t len = 0;
    if (head.size() < 2 || head[0] != '$') return out;
    std::from_chars(head.data() + 1, head.data() + head.size(), len);
    if (buf.size() < len + 2) net::read(s, buf, net::transfer_at_least(len + 2 - buf.size()));
    std::string body(net::buffers_begin(buf.data()), net::buffers_begin(buf.data()) + len);
    std::size_t at = 0;
    while (at < body.size()) {
      auto end = body.find("\r\n", at);
      if (end == std::string::npos) end = body.size();
      auto line = body.substr(at, end - at);
      if (auto colon = line.find(':'); colon != std::string::npos && line[0] != '#')
        out[line.substr(0, colon)] = line.substr(colon + 1);
      at = end + 2;
    }
  } catch (const std::exception& e) {
    std::cerr << "  redis INFO on port " << port << ": " << e.what() << "\n";
  }
  return out;
}

double to_d(const std::map<std::string, std::string>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0.0 : std::atof(it->second.c_str());
}

// The watcher: records, per user, the first `offline` and how often each user went
// online (a user who goes online twice flapped: offline in between).
class watcher final : public ws_events {
 public:
  watcher(const std::unordered_map<std::string, std::size_t>& by_login, std::size_t users)
      : by_login_(by_login), online_(users, 0), offline_(users, 0), off_at_(users) {
    for (auto& a : off_at_) a = 0;
  }

  void on_text(std::string_view f) override {
    if (f.find(R"("type":"presence")") == std::string_view::npos) {
      if (string_field(f, R"("type":")") == "sync") synced = 1;
      return;
    }
    auto it = by_login_.find(std::string(string_field(f, R"("login":")")));
    if (it == by_login_.end()) return;
    auto u = it->second;
    if (string_field(f, R"("status":")") == "online") {
      if (online_[u]++ == 0) ++online_users;
    } else {
      ++offline_[u];
      ++offline_events;
      std::int64_t zero = 0;
      off_at_[u].compare_exchange_strong(zero, now_ns());
    }
  }
  void on_closed(int code, std::string_view why) override {
    std::cerr << "  watcher closed: " << code << " " << why << "\n";
    synced = -1;
  }

  std::atomic<int> synced{0};
  std::atomic<std::uint64_t> online_users{0};
  std::atomic<std::uint64_t> offline_events{0};
  std::int64_t off_at(std::size_t u) const { return off_at_[u].load(); }
  // Read after the io thread stopped.
  std::uint32_t offline_count(std::size_t u) const { return offline_[u]; }
  std::uint32_t online_count(std::size_t u) const { return online_[u]; }

 private:
  const std::unordered_map<std::string, std::size_t>& by_login_;
  std::vector<std::uint32_t> online_, offline_;
  std::vector<std::atomic<std::int64_t>> off_at_;
};

// A user kept online by a room socket of its own (--via sockets); frames are ignored.
class user_sock final : public ws_events {
 public:
  user_sock(net::io_context& ioc, phase_counters& pc) : ioc_(ioc), pc_(pc) {}
  void connect(const target& t, const std::string& token) {
    conn_ = connect_ws(ioc_, t, token, *this);
  }
  void stop() {
    if (conn_) conn_->abort();
  }
  void on_text(std::string_view f) override {
    if (!synced_ && string_field(f, R"("type":")") == "sync") {
      synced_ = true;
      ++pc_.synced;
    }
  }
  void on_closed(int, std::string_view why) override {
    if (!synced_) {
      ++pc_.failed;
      std::cerr << "  user socket failed: " << why << "\n";
    } else {
      ++pc_.closed_after_sync;
    }
  }

 private:
  net::io_context& ioc_;
  phase_counters& pc_;
  std::shared_ptr<ws_conn> conn_;
  bool synced_ = false;
};

}  // namespace

boost::json::object run_presence(const options& opt) {
  const auto n = opt.users.size();
  const bool sockets = opt.via == "sockets";
  std::unordered_map<std::string, std::size_t> by_login;
  for (std::size_t i = 0; i < n; ++i) by_login[opt.users[i].first] = i;
  const auto leavers = std::min<std::size_t>(static_cast<std::size_t>(opt.leavers), n);
  const auto first_leaver = n - leavers;  // the last `leavers` users leave

  io_pool pool(static_cast<std::size_t>(opt.threads));  // sockets, or heartbeats
  io_pool watch_pool(1);
  watcher w(by_login, n);
  std::shared_ptr<ws_conn> wconn;
  watch_pool.post(0,
                  [&] { wconn = connect_ws(watch_pool.ctx(0), opt.server, opt.watcher_token, w); });
  auto wait_until = [](const std::function<bool()>& done, double timeout_s) {
    auto until = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
    while (!done() && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  wait_until([&] { return w.synced.load() != 0; }, 30);
  boost::json::object out;
  out["users"] = n;
  out["via"] = opt.via;
  out["leavers"] = leavers;
  out["presence_ttl_s"] = opt.presence_ttl;
  if (w.synced.load() != 1) {
    out["error"] = "watcher did not connect";
    watch_pool.post(0, [&] { wconn->abort(); });
    watch_pool.finish();
    return out;
  }

  // Per user: when its last heartbeat went out (or its socket was reset), written on
  // the io thread and read by the controller after the window.
  std::vector<std::atomic<std::int64_t>> last_alive(n), last_answer(n);
  for (auto& a : last_alive) a = 0;
  for (auto& a : last_answer) a = 0;
  std::vector<std::atomic<std::int64_t>> leave_at(n);
  for (auto& a : leave_at) a = std::numeric_limits<std::int64_t>::max();
  std::atomic<std::int64_t> window_start{std::numeric_limits<std::int64_t>::max()};

  // Heartbeats: user c % n is due at t0 + c·interval/n, so the load is even.
  http_pool rest(pool.ctx(0), opt.server, opt.http_conns);
  histogram hb_ms;
  std::map<int, std::uint64_t> statuses;
  std::atomic<std::uint64_t> hb_sent{0}, hb_answered{0};
  std::int64_t max_queue_ns = 0, max_lag = 0;
  std::uint64_t cursor = 0;
  net::steady_timer timer(pool.ctx(0));
  std::atomic<bool> stopping{false};
  const auto interval = static_cast<std::int64_t>(opt.heartbeat_interval * 1e9);
  const auto path = "/api/rooms/" + opt.room + "/presence";
  std::int64_t hb_t0 = now_ns() + 50'000'000;
  std::function<void()> tick = [&] {
    if (stopping) return;
    auto now = now_ns();
    auto due = [&](std::uint64_t c) {
      return hb_t0 +
             static_cast<std::int64_t>(static_cast<double>(c) * static_cast<double>(interval) /
                                       static_cast<double>(n));
    };
    while (due(cursor) <= now) {
      auto u = cursor % n;
      max_lag = std::max(max_lag, now - due(cursor));
      ++cursor;
      if (now >= leave_at[u]) continue;  // a leaver that has stopped
      ++hb_sent;
      rest.submit("POST", path, opt.users[u].second, [&, u](const http_answer& a) {
        hb_ms.record(a.done_ns - a.sent_ns);
        max_queue_ns = std::max(max_queue_ns, a.queued_ns);
        ++statuses[a.status];
        ++hb_answered;
        // The server records a heartbeat between the request's write and its answer
        // (time waiting for a free connection here is not the server's).
        if (a.status == 200 && a.sent_ns > last_alive[u].load()) {
          last_alive[u].store(a.sent_ns);
          last_answer[u].store(a.done_ns);
        }
      });
    }
    // Wake at most every millisecond: a timer per heartbeat costs more than the sends.
    timer.expires_at(
        steady::time_point(std::chrono::nanoseconds(std::max(due(cursor), now + 1'000'000))));
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };

  phase_counters pc;
  std::vector<std::unique_ptr<user_sock>> socks;
  double connect_s = 0;
  auto start = now_ns();
  if (sockets) {
    for (std::size_t i = 0; i < n; ++i)
      socks.push_back(std::make_unique<user_sock>(pool.ctx(i), pc));
    connect_s = connect_gradually(
        static_cast<int>(n), opt.connect_batch, 300, pc,
        [&](int i) {
          auto k = static_cast<std::size_t>(i);
          auto t = opt.server;
          t.source = source_for(opt, i);
          pool.post(k, [&, k, t] { socks[k]->connect(t, opt.users[k].second); });
        },
        true);
  } else {
    pool.post(0, [&] { tick(); });
  }
  // Everyone online as the watcher sees it (or 120 s).
  wait_until([&] { return w.online_users.load() >= n; }, 120);
  auto online_s = static_cast<double>(now_ns() - start) / 1e9;
  out["connect_s"] = std::round(connect_s * 100) / 100;
  out["all_online_seen_s"] = std::round(online_s * 100) / 100;
  out["online_seen"] = w.online_users.load();
  std::cerr << "  watcher sees " << w.online_users.load() << "/" << n << " online after "
            << online_s << " s\n";
  // Let the ramp's work (the first heartbeats, the online events) settle.
  std::this_thread::sleep_for(std::chrono::seconds(2));

  // -- the window: CPU, Redis, and the leavers stopping at spread-out times -----------
  auto redis0 = opt.redis_port ? redis_info(opt.redis_port) : std::map<std::string, std::string>{};
  std::vector<double> ops_samples;
  cpu_window cpu;
  cpu.start(opt);
  auto w0 = now_ns();
  window_start = w0;
  auto wend = w0 + static_cast<std::int64_t>(opt.duration * 1e9);
  // Leavers stop within the first 70 % of the window, so each has TTL + slack to be seen.
  for (std::size_t j = 0; j < leavers; ++j)
    leave_at[first_leaver + j] =
        w0 + static_cast<std::int64_t>((static_cast<double>(j) + 0.5) /
                                       static_cast<double>(leavers) * opt.duration * 0.7 * 1e9);
  std::size_t next_leaver = first_leaver;
  auto next_sample = w0 + 1'000'000'000;
  while (now_ns() < wend) {
    auto now = now_ns();
    while (sockets && next_leaver < n && leave_at[next_leaver] <= now) {
      auto u = next_leaver++;
      pool.post(u, [&, u] {
        last_alive[u].store(now_ns());
        socks[u]->stop();
      });
    }
    if (opt.redis_port && now >= next_sample) {
      ops_samples.push_back(to_d(redis_info(opt.redis_port), "instantaneous_ops_per_sec"));
      next_sample += 1'000'000'000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  cpu.finish(opt, out);
  auto redis1 = opt.redis_port ? redis_info(opt.redis_port) : std::map<std::string, std::string>{};
  auto wall = static_cast<double>(now_ns() - w0) / 1e9;
  if (opt.redis_port && !redis0.empty() && !redis1.empty()) {
    auto cmds = to_d(redis1, "total_commands_processed") - to_d(redis0, "total_commands_processed");
    out["redis_ops_per_s"] = std::round(cmds / wall * 10) / 10;
    double sum = 0, mx = 0;
    for (auto v : ops_samples) sum += v, mx = std::max(mx, v);
    out["redis_instantaneous_ops_per_sec_mean"] =
        ops_samples.empty() ? 0.0 : std::round(sum / static_cast<double>(ops_samples.size()));
    out["redis_instantaneous_ops_per_sec_max"] = mx;
    auto rcpu = to_d(redis1, "used_cpu_sys") + to_d(redis1, "used_cpu_user") -
                to_d(redis0, "used_cpu_sys") - to_d(redis0, "used_cpu_user");
    out["redis_cpu_pct"] = std::round(rcpu / wall * 1000) / 10;
    out["redis_used_memory_mb"] = std::round(to_d(redis1, "used_memory") / 1048576 * 10) / 10;
  }
  out["heartbeats_per_s"] =
      sockets ? 0.0 : std::round(static_cast<double>(n) / opt.heartbeat_interval);

  // Wait for the last leaver's offline: TTL + 3 s after the window at most.
  wait_until(
      [&] {
        for (auto u = first_leaver; u < n; ++u)
          if (w.off_at(u) == 0) return false;
        return true;
      },
      opt.presence_ttl + 3);
  stopping = true;
  for (std::size_t i = 0; i < socks.size(); ++i) pool.post(i, [&, i] { socks[i]->stop(); });
  pool.post(0, [&] {
    rest.stop();
    timer.cancel();
  });
  watch_pool.post(0, [&] { wconn->abort(); });
  pool.finish();
  watch_pool.finish();

  // Delays: watcher's offline − the leaver's last heartbeat sent (or socket reset).
  histogram delay, from_answer;
  std::uint64_t unseen = 0, late = 0, false_offline = 0, flaps = 0;
  auto bound = static_cast<std::int64_t>((opt.presence_ttl + 1) * 1e9);
  for (std::size_t u = 0; u < n; ++u) {
    if (u >= first_leaver) {
      auto off = w.off_at(u);
      if (off == 0) {
        ++unseen;
        continue;
      }
      auto d = off - last_alive[u].load();
      delay.record(d);
      if (auto ans = last_answer[u].load()) from_answer.record(off - ans);
      if (d > bound) ++late;
    } else if (w.offline_count(u) > 0) {
      ++false_offline;
    }
    if (w.online_count(u) > 1) ++flaps;
  }
  put_latency(out, "offline_delay_ms", delay);
  if (!sockets) put_latency(out, "offline_delay_from_answer_ms", from_answer);
  out["offline_delay_min_ms"] = std::round(delay.min_ms() * 10) / 10;
  put_cdf(out, "offline_delay_cdf", delay);
  out["offline_unseen"] = unseen;
  out["offline_later_than_ttl_plus_1s"] = late;
  out["false_offline_users"] = false_offline;
  out["users_online_twice"] = flaps;
  if (!sockets) {
    put_latency(out, "heartbeat_http_ms", hb_ms);
    boost::json::object st;
    for (auto& [c, k] : statuses) st[std::to_string(c)] = k;
    out["heartbeat_http_status"] = std::move(st);
    out["heartbeats_sent"] = hb_sent.load();
    out["max_http_queue_ms"] = std::round(static_cast<double>(max_queue_ns) / 1e4) / 100;
    out["max_send_lag_ms"] = std::round(static_cast<double>(max_lag) / 1e4) / 100;
  } else {
    out["sockets_synced"] = pc.synced.load();
    out["sockets_failed"] = pc.failed.load();
  }
  return out;
}

}  // namespace loadgen
