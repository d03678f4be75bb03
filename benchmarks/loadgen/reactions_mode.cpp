// reactions mode: S subscribers in one room; first a publisher sends messages at R/s
// over its WebSocket (the baseline, as in the fanout mode), then, to the same
// subscribers on the same server, R reactions/s go over REST: PUT
// /api/rooms/:slug/messages/:id/reactions/:emoji on messages 0, 1, … for half the phase,
// then DELETE of them in the same order, so every request changes its message and
// broadcasts exactly one reaction_added or reaction_removed. Each
// subscriber times both kinds of frame from the moment the load generator sent the
// request (messages: the timestamp in the content; reactions: the request's send time,
// looked up by message and kind), so the p99 ratio compares the two paths end to end.
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <mutex>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "loadgen/common.hpp"
#include "loadgen/http_pool.hpp"
#include "loadgen/publisher.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

// Per io thread, so the hot path takes no lock.
struct rx_stats {
  histogram msg, added, removed;
  std::uint64_t msg_rx = 0, reaction_rx = 0, unknown = 0;
  std::map<int, std::uint64_t> closes;
};

// What the subscribers share with the controller. `ids` (message id -> publish index)
// is built once the message phase is over and published through `index` before the
// first reaction is sent; `sent_at[k]` is reaction k's send time (k = 2·index for the
// PUT, 2·index + 1 for the DELETE).
struct shared_run {
  std::atomic<std::int64_t> warm_until{0};  // frames of requests sent before: not timed
  std::mutex ids_mu;
  std::vector<std::pair<std::uint64_t, std::string>> seen_ids;  // from subscriber 0
  std::atomic<const std::unordered_map<std::string, std::uint64_t>*> index{nullptr};
  std::unique_ptr<std::atomic<std::int64_t>[]> sent_at;
  std::size_t reactions = 0;
  std::atomic<std::uint64_t> rx{0};
};

class reaction_sub final : public ws_events {
 public:
  reaction_sub(net::io_context& ioc, rx_stats& st, phase_counters& pc, shared_run& run,
               bool collect)
      : ioc_(ioc), st_(st), pc_(pc), run_(run), collect_(collect) {}

  void connect(const target& t, const std::string& token) {
    conn_ = connect_ws(ioc_, t, token, *this);
  }
  void stop() {
    if (conn_) conn_->abort();
  }

  void on_text(std::string_view f) override {
    auto type = string_field(f, R"("type":")");
    auto now = now_ns();
    if (type == "message") {
      auto c = string_field(f, R"("content":"t:)");
      std::int64_t at = 0;
      std::uint64_t n = 0;
      auto r = std::from_chars(c.data(), c.data() + c.size(), at);
      if (r.ec != std::errc{} || r.ptr == c.data() + c.size() || *r.ptr != ':') return;
      std::from_chars(r.ptr + 1, c.data() + c.size(), n);
      ++st_.msg_rx;
      ++run_.rx;
      if (at >= run_.warm_until.load(std::memory_order_relaxed)) st_.msg.record(now - at);
      if (collect_) {
        std::lock_guard lock(run_.ids_mu);
        run_.seen_ids.emplace_back(n, "msg_" + std::string(string_field(f, R"("id":"msg_)")));
      }
    } else if (type == "reaction_added" || type == "reaction_removed") {
      ++st_.reaction_rx;
      ++run_.rx;
      auto* ids = run_.index.load(std::memory_order_acquire);
      if (!ids) return ++st_.unknown, void();
      auto it = ids->find(std::string(string_field(f, R"("messageId":")")));
      bool removed = type == "reaction_removed";
      auto k = it == ids->end() ? run_.reactions : 2 * it->second + (removed ? 1 : 0);
      if (k >= run_.reactions) return ++st_.unknown, void();
      auto at = run_.sent_at[k].load(std::memory_order_acquire);
      if (at == 0) return ++st_.unknown, void();
      if (at >= run_.warm_until.load(std::memory_order_relaxed))
        (removed ? st_.removed : st_.added).record(now - at);
    } else if (type == "sync" && !synced_) {
      synced_ = true;
      ++pc_.synced;
    }
  }

  void on_closed(int code, std::string_view why) override {
    if (!synced_) {
      ++pc_.failed;
      std::cerr << "  subscriber failed: " << why << "\n";
      return;
    }
    ++st_.closes[code];
    ++pc_.closed_after_sync;
  }

 private:
  net::io_context& ioc_;
  rx_stats& st_;
  phase_counters& pc_;
  shared_run& run_;
  bool collect_;
  bool synced_ = false;
  std::shared_ptr<ws_conn> conn_;
};

void wait_until(const std::function<bool()>& done, double timeout_s) {
  auto until = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  while (!done() && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

// Waits until `want` frames arrived in total, or nothing came for 2 s, or `drain` s.
void drain_rx(const shared_run& run, std::uint64_t want, double drain) {
  auto until = now_ns() + static_cast<std::int64_t>(drain * 1e9);
  auto last = run.rx.load();
  auto last_change = now_ns();
  while (run.rx.load() < want && now_ns() < until && now_ns() - last_change < 2'000'000'000) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (auto r = run.rx.load(); r != last) {
      last = r;
      last_change = now_ns();
    }
  }
}

}  // namespace

boost::json::object run_reactions(const options& opt) {
  io_pool pool(static_cast<std::size_t>(opt.threads));
  io_pool pub_pool(1);  // the publisher and the REST requests: never held up by readers
  std::vector<rx_stats> stats(pool.size());
  phase_counters pc;
  shared_run run;
  auto tag = run_tag();
  const auto per_phase = static_cast<std::uint64_t>(std::llround(opt.rate * opt.duration));
  run.reactions = 2 * ((per_phase + 1) / 2);
  run.sent_at = std::make_unique<std::atomic<std::int64_t>[]>(run.reactions);

  std::cerr << "  connecting " << opt.subs << " subscribers\n";
  std::vector<std::unique_ptr<reaction_sub>> subs;
  for (int i = 0; i < opt.subs; ++i) {
    auto k = static_cast<std::size_t>(i);
    subs.push_back(
        std::make_unique<reaction_sub>(pool.ctx(k), stats[k % pool.size()], pc, run, i == 0));
  }
  auto connect_s = connect_gradually(
      opt.subs, opt.connect_batch, 180, pc,
      [&](int i) {
        auto k = static_cast<std::size_t>(i);
        pool.post(k, [&, k] { subs[k]->connect(opt.server, opt.tokens[k % opt.tokens.size()]); });
      },
      true);
  auto alive = [&] { return static_cast<std::uint64_t>(pc.synced - pc.closed_after_sync); };
  std::cerr << "  " << pc.synced.load() << " subscribers synced in " << connect_s << " s\n";

  boost::json::object out;
  out["subs"] = opt.subs;
  out["subs_synced"] = pc.synced.load();
  out["connect_s"] = std::round(connect_s * 100) / 100;
  out["offered_rate"] = opt.rate;
  out["duration_s"] = opt.duration;
  auto pad = padding(opt.content_bytes, 2 + 19 + 6);
  auto pub =
      make_relay_publisher(pub_pool.ctx(0), opt.server, opt.tokens.front(), "r" + tag + "-", pad);
  pub_pool.post(0, [&] { pub->connect(); });
  wait_until([&] { return pub->ready.load() != 0; }, 30);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (pub->ready.load() != 1 || alive() == 0 || opt.rate <= 0) {
    out["error"] = "publisher or subscribers did not come up";
    for (std::size_t i = 0; i < subs.size(); ++i) pool.post(i, [&, i] { subs[i]->stop(); });
    pub_pool.post(0, [&] { pub->stop(); });
    pool.finish();
    pub_pool.finish();
    return out;
  }
  auto interval = static_cast<std::int64_t>(1e9 / opt.rate);
  auto warm = static_cast<std::int64_t>(opt.warmup * 1e9);

  // -- phase 1: messages at R/s over the publisher's WebSocket -------------------------
  auto t0 = now_ns() + 50'000'000;
  auto stop = t0 + static_cast<std::int64_t>(opt.duration * 1e9);
  run.warm_until = t0 + warm;
  cpu_window msg_cpu;
  msg_cpu.start(opt);
  pub_pool.post(0, [&, t0, stop, interval] { pub->begin(t0, stop, interval); });
  std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(stop)));
  boost::json::object msg_phase;
  msg_cpu.finish(opt, msg_phase);
  wait_until([&] { return pub->answered.load() >= pub->sent.load() || pub->gone; }, opt.drain);
  drain_rx(run, pub->acked.load() * alive(), opt.drain);
  auto msg_expected = pub->acked.load() * alive();

  // The message ids subscriber 0 saw, by publish index: the reactions' targets.
  auto ids = std::make_unique<std::unordered_map<std::string, std::uint64_t>>();
  std::vector<std::string> by_index(run.reactions / 2);
  {
    std::lock_guard lock(run.ids_mu);
    for (auto& [n, id] : run.seen_ids) {
      (*ids)[id] = n;
      if (n < by_index.size()) by_index[n] = id;
    }
  }
  std::size_t targets = 0;
  while (targets < by_index.size() && !by_index[targets].empty()) ++targets;
  run.index.store(ids.get(), std::memory_order_release);
  auto before_reactions = run.rx.load();

  // -- phase 2: reactions at R/s over REST, PUT then DELETE of :+1: on each message ----
  http_pool rest(pub_pool.ctx(0), opt.server, opt.http_conns);
  histogram http_ms;
  std::map<int, std::uint64_t> statuses;
  std::atomic<std::uint64_t> answered{0}, ok{0};
  std::int64_t max_queue_ns = 0;
  const auto planned = std::min<std::size_t>(run.reactions, 2 * targets);  // even
  std::atomic<std::size_t> sent{0};
  net::steady_timer timer(pub_pool.ctx(0));
  auto r0 = now_ns() + 200'000'000;
  auto rstop = r0 + static_cast<std::int64_t>(opt.duration * 1e9);
  run.warm_until = r0 + warm;
  const std::string base = "/api/rooms/" + opt.room + "/messages/";
  std::function<void()> tick;
  std::int64_t next_due = r0;
  std::size_t k = 0;
  std::int64_t max_lag = 0;
  // Open loop, like the publisher: every request goes out when due (into the pool's
  // queue when all its connections are busy), whatever the server answered so far.
  tick = [&] {
    auto now = now_ns();
    while (next_due <= now && next_due < rstop && k < planned) {
      max_lag = std::max(max_lag, now - next_due);
      // The first half PUTs on messages 0, 1, …, the second half DELETEs them in the same
      // order: seconds apart, so a DELETE never overtakes its PUT on another connection
      // (it would change nothing and broadcast nothing).
      bool put = k < planned / 2;
      auto m = put ? k : k - planned / 2;
      auto path = base + by_index[m] + "/reactions/:%2B1:";
      auto key = 2 * m + (put ? 0 : 1);
      // Timed from the write, as the messages are: a wait for a free connection here
      // is the load generator's, not the server's (max_http_queue_ms reports it).
      rest.submit(
          put ? "PUT" : "DELETE", path, opt.tokens.front(),
          [&](const http_answer& a) {
            http_ms.record(a.done_ns - a.sent_ns);
            max_queue_ns = std::max(max_queue_ns, a.queued_ns);
            ++statuses[a.status];
            if (a.status == 200) ++ok;
            ++answered;
          },
          [&run, key](std::int64_t at) { run.sent_at[key].store(at, std::memory_order_release); });
      ++sent;
      ++k;
      next_due += interval;
    }
    if (next_due >= rstop || k >= planned) return;
    timer.expires_at(steady::time_point(std::chrono::nanoseconds(next_due)));
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };
  std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(r0)));
  cpu_window react_cpu;
  react_cpu.start(opt);
  pub_pool.post(0, [&] { tick(); });
  std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(rstop)));
  boost::json::object react_phase;
  react_cpu.finish(opt, react_phase);
  wait_until([&] { return answered.load() >= sent.load(); }, opt.drain);
  drain_rx(run, before_reactions + ok.load() * alive(), opt.drain);
  auto reaction_expected = ok.load() * alive();

  for (std::size_t i = 0; i < subs.size(); ++i) pool.post(i, [&, i] { subs[i]->stop(); });
  pub_pool.post(0, [&] {
    rest.stop();
    timer.cancel();
    pub->stop();
  });
  pool.finish();
  pub_pool.finish();

  rx_stats all;
  for (auto& s : stats) {
    all.msg.merge(s.msg);
    all.added.merge(s.added);
    all.removed.merge(s.removed);
    all.msg_rx += s.msg_rx;
    all.reaction_rx += s.reaction_rx;
    all.unknown += s.unknown;
    for (auto& [c, n] : s.closes) all.closes[c] += n;
  }
  histogram reactions = all.added;
  reactions.merge(all.removed);
  put_latency(out, "msg_e2e_ms", all.msg);
  put_latency(out, "reaction_e2e_ms", reactions);
  put_latency(out, "reaction_added_e2e_ms", all.added);
  put_latency(out, "reaction_removed_e2e_ms", all.removed);
  put_latency(out, "reaction_http_ms", http_ms);
  put_latency(out, "msg_ack_ms", pub->ack_lat);
  auto p99m = all.msg.quantile_ms(0.99), p99r = reactions.quantile_ms(0.99);
  auto p50m = all.msg.quantile_ms(0.5), p50r = reactions.quantile_ms(0.5);
  out["p99_ratio_reactions_over_messages"] = p99m > 0 ? std::round(p99r / p99m * 100) / 100 : 0.0;
  out["p50_ratio_reactions_over_messages"] = p50m > 0 ? std::round(p50r / p50m * 100) / 100 : 0.0;
  out["messages_sent"] = pub->sent.load();
  out["messages_acked"] = pub->acked.load();
  out["msg_expected"] = msg_expected;
  out["msg_received"] = all.msg_rx;
  out["reactions_sent"] = sent.load();
  out["reactions_ok"] = ok.load();
  out["reaction_expected"] = reaction_expected;
  out["reaction_received"] = all.reaction_rx;
  out["reaction_unmatched"] = all.unknown;
  boost::json::object st;
  for (auto& [c, n] : statuses) st[std::to_string(c)] = n;
  out["reaction_http_status"] = std::move(st);
  out["max_send_lag_ms"] =
      std::round(static_cast<double>(std::max(max_lag, pub->max_send_lag_ns)) / 1e4) / 100;
  out["max_http_queue_ms"] = std::round(static_cast<double>(max_queue_ns) / 1e4) / 100;
  boost::json::object closes;
  for (auto& [c, n] : all.closes) closes[std::to_string(c)] = n;
  out["server_closes"] = std::move(closes);
  out["messages_phase"] = std::move(msg_phase);
  out["reactions_phase"] = std::move(react_phase);
  // The headline CPU fields are the reaction phase's (the one this mode is about).
  for (auto key :
       {"server_cpu_pct", "loadgen_cpu_pct", "softirq_cpu_pct", "other_cpu_pct", "server_rss_mb"})
    if (auto* v = out["reactions_phase"].as_object().if_contains(key)) out[key] = *v;
  return out;
}

}  // namespace loadgen
