// fanout mode: S subscribers and one publisher in the same room (Relay) or channel
// (nchan); end-to-end latency from the publisher's send (timestamp in the content) to
// each subscriber's receipt. Optionally the first N subscribers stall (slow consumers)
// and, once Relay closed them, resume by sequence number and check they lost nothing.
#include <charconv>
#include <cmath>
#include <iostream>
#include <map>
#include <optional>

#include <boost/json/array.hpp>

#include "loadgen/common.hpp"
#include "loadgen/publisher.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

// Per io thread, so the hot path takes no lock.
struct sub_stats {
  explicit sub_stats(std::size_t seconds) : per_second(seconds) {}
  histogram e2e;                      // fast subscribers
  histogram slow_e2e;                 // slow ones (their latency includes the stall)
  std::vector<histogram> per_second;  // fast e2e by second since the first publish
  std::uint64_t received = 0;
  std::uint64_t slow_received = 0;
  std::int64_t last_rx = 0;
  std::int64_t max_index = -1;               // highest publish index seen
  std::map<int, std::uint64_t> closes;       // fast subscribers, by close code after sync
  std::map<int, std::uint64_t> slow_closes;  // slow ones (0: no close frame, e.g. reset)
  int logged = 0;
};

// The clock of the run, shared read-only by every subscriber once publishing starts.
struct run_clock {
  std::atomic<std::int64_t> t0{0};
  std::atomic<std::uint64_t> slow_rx{0};  // deliveries to slow subscribers, for the drain
};

class subscriber final : public ws_events {
 public:
  subscriber(net::io_context& ioc, sub_stats& st, phase_counters& pc,
             std::atomic<std::uint64_t>& total, run_clock& clock, bool nchan, bool slow,
             bool resume)
      : ioc_(ioc),
        st_(st),
        pc_(pc),
        total_(total),
        clock_(clock),
        nchan_(nchan),
        slow_(slow),
        resume_(resume) {}

  void connect(const target& t, const std::string& token) {
    target_ = t;
    token_ = token;
    conn_ = connect_ws(ioc_, t, token, *this);
  }
  void stop() {
    stopped_ = true;
    if (conn_) conn_->abort();
  }
  void pause() {
    if (conn_) conn_->pause_reading();
  }
  void unpause() {
    if (conn_) conn_->resume_reading();
  }

  void on_open() override {
    // nchan sends nothing on subscribe; a finished handshake means it is attached.
    if (nchan_) mark_synced();
  }

  void on_text(std::string_view f) override {
    if (nchan_) {
      // The frame is the published body itself: "t:<send ns>:<index>[ padding]".
      if (f.starts_with("t:")) deliver(f.substr(2), now_ns());
      return;
    }
    // Fast path first: with 10,000 subscribers this runs up to a million times a
    // second on a core the server also needs, so no full JSON parse. The server
    // writes "type" first; anything else falls back to the field search.
    constexpr std::string_view message_prefix = R"({"type":"message")";
    auto type = f.starts_with(message_prefix) ? std::string_view("message")
                                              : string_field(f, R"("type":")");
    if (type == "message") {
      note_seq(f);
      deliver(string_field(f, R"("content":"t:)"), now_ns());
    } else if (type == "sync") {
      on_sync(f);
    }
  }

  void on_closed(int code, std::string_view why) override {
    if (!synced_) {
      ++pc_.failed;
      if (st_.logged++ < 5) std::cerr << "  subscriber failed: " << why << "\n";
      return;
    }
    if (slow_) {
      ++st_.slow_closes[code];
      if (st_.logged++ < 5) std::cerr << "  slow subscriber closed: " << code << " " << why << "\n";
      // A slow consumer that Relay cut off comes back for what it missed, like a
      // client following docs/api.md would.
      // At most a few times: a resume that itself fails must not turn into a storm of
      // reconnects that measures the storm instead of the server.
      if (resume_ && !stopped_ && !key_.empty() && reconnects_ < 3) {
        ++reconnects_;
        auto t = target_;
        t.path += "?resume=" + key_ + ":" + std::to_string(last_seq_);
        t.rcvbuf = 0;  // reading again, at full speed
        resuming_ = true;
        conn_ = connect_ws(ioc_, t, token_, *this);
        return;
      }
    } else {
      ++st_.closes[code];
      if (st_.logged++ < 5)
        std::cerr << "  subscriber closed by server: " << code << " " << why << "\n";
    }
    ++pc_.closed_after_sync;
  }

  bool slow() const { return slow_; }
  // Next publish index this subscriber expects: all below it arrived (or are counted
  // in gaps). Read by the controller while the drain waits for the slow ones.
  std::atomic<std::int64_t> next{0};
  std::uint64_t gaps = 0;  // indexes skipped (lost for good unless a resume refills them)
  std::uint64_t dups = 0;
  int reconnects_ = 0;
  bool resumed_ok = false;  // a resume sync arrived

 private:
  void mark_synced() {
    if (synced_) return;
    synced_ = true;
    ++pc_.synced;
  }

  void on_sync(std::string_view f) {
    if (!synced_) {
      // {"seqs":{"__lobby":12}}: the room-wide channel's key and seq, for ?resume=.
      auto key = string_field(f, R"("seqs":{")");
      key_.assign(key.data(), key.size());
      if (auto p = f.find(R"("seqs":{")"); p != std::string_view::npos) {
        auto v = f.find("\":", p + 9);
        if (v != std::string_view::npos)
          std::from_chars(f.data() + v + 2, f.data() + f.size(), last_seq_);
      }
      mark_synced();
      return;
    }
    if (!resuming_) return;
    // The resume sync carries every message after our seq, oldest first; they count
    // as deliveries (late ones) and fill the gap the close left.
    resuming_ = false;
    resumed_ok = true;
    auto now = now_ns();
    constexpr std::string_view pat = R"("content":"t:)";
    for (auto p = f.find(pat); p != std::string_view::npos; p = f.find(pat, p + pat.size())) {
      auto rest = f.substr(p + pat.size());
      deliver(rest.substr(0, rest.find('"')), now);
    }
    constexpr std::string_view sp = R"("seq":)";
    for (auto p = f.find(sp); p != std::string_view::npos; p = f.find(sp, p + sp.size())) {
      std::int64_t s = 0;
      std::from_chars(f.data() + p + sp.size(), f.data() + f.size(), s);
      last_seq_ = std::max(last_seq_, s);
    }
  }

  void note_seq(std::string_view f) {
    if (auto p = f.find(R"("seq":)"); p != std::string_view::npos) {
      std::int64_t s = 0;
      std::from_chars(f.data() + p + 6, f.data() + f.size(), s);
      last_seq_ = std::max(last_seq_, s);
    }
  }

  // `stamp` is "<send ns>:<publish index>[ padding]".
  void deliver(std::string_view stamp, std::int64_t now) {
    auto end = stamp.data() + stamp.size();
    std::int64_t sent = 0, index = -1;
    auto r = std::from_chars(stamp.data(), end, sent);
    if (r.ec != std::errc{}) return;
    if (r.ptr != end && *r.ptr == ':') std::from_chars(r.ptr + 1, end, index);
    st_.max_index = std::max(st_.max_index, index);
    auto n = next.load(std::memory_order_relaxed);
    if (index == n) {
      next.store(n + 1, std::memory_order_relaxed);
    } else if (index > n) {
      // A hole: a later resume may still bring the missing ones, but they then arrive
      // out of order; count the hole, the tally at the end says what was never filled.
      gaps += static_cast<std::uint64_t>(index - n);
      next.store(index + 1, std::memory_order_relaxed);
    } else {
      ++dups;
    }
    if (slow_) {
      st_.slow_e2e.record(now - sent);
      ++st_.slow_received;
      clock_.slow_rx.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    st_.e2e.record(now - sent);
    if (auto t0 = clock_.t0.load(std::memory_order_relaxed); t0 > 0 && now >= t0) {
      auto sec = static_cast<std::size_t>((now - t0) / 1'000'000'000);
      if (sec < st_.per_second.size()) st_.per_second[sec].record(now - sent);
    }
    ++st_.received;
    st_.last_rx = std::max(st_.last_rx, now);
    total_.fetch_add(1, std::memory_order_relaxed);
  }

  net::io_context& ioc_;
  sub_stats& st_;
  phase_counters& pc_;
  std::atomic<std::uint64_t>& total_;
  run_clock& clock_;
  bool nchan_, slow_, resume_;
  target target_;
  std::string token_;
  std::shared_ptr<ws_conn> conn_;
  std::string key_;
  std::int64_t last_seq_ = 0;
  bool synced_ = false;
  bool resuming_ = false;
  bool stopped_ = false;
};

void wait_for(const std::function<bool()>& done, double timeout_s) {
  auto until = now_ns() + static_cast<std::int64_t>(timeout_s * 1e9);
  while (!done() && now_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

double round1(double v) {
  return std::round(v * 10.0) / 10.0;
}

}  // namespace

boost::json::object run_fanout(const options& opt) {
  const bool nchan = opt.peer == "nchan";
  io_pool pool(static_cast<std::size_t>(opt.threads));
  io_pool pub_pool(1);
  // The slow subscribers get a thread of their own: when they read their backlog again
  // (megabytes each) they must not hold up the fast subscribers' reads in this process
  // and show up as server latency.
  io_pool slow_pool(1);
  auto seconds = static_cast<std::size_t>(std::ceil(opt.duration + opt.drain)) + 2;
  std::vector<sub_stats> stats;
  for (std::size_t i = 0; i <= pool.size(); ++i)
    stats.emplace_back(seconds);  // the last: slow ones
  phase_counters pc;
  std::atomic<std::uint64_t> received{0};
  run_clock clock;
  auto tag = run_tag();
  const int slow = std::min(opt.slow_subs, opt.subs);

  std::cerr << "  connecting " << opt.subs << " subscribers to " << opt.peer << ", "
            << opt.connect_batch << " at a time\n";
  std::vector<std::unique_ptr<subscriber>> subs;
  auto post_to = [&](std::size_t k, auto f) {
    if (static_cast<int>(k) < slow)
      slow_pool.post(0, std::move(f));
    else
      pool.post(k, std::move(f));
  };
  for (int i = 0; i < opt.subs; ++i) {
    auto k = static_cast<std::size_t>(i);
    bool is_slow = i < slow;
    subs.push_back(std::make_unique<subscriber>(
        is_slow ? slow_pool.ctx(0) : pool.ctx(k), is_slow ? stats.back() : stats[k % pool.size()],
        pc, received, clock, nchan, i < slow, opt.resume && !nchan));
  }
  auto connect_s = connect_gradually(
      opt.subs, opt.connect_batch, 180, pc,
      [&](int i) {
        auto k = static_cast<std::size_t>(i);
        auto t = opt.server;
        t.source = source_for(opt, i);
        if (i < slow) t.rcvbuf = opt.slow_rcvbuf;
        post_to(k, [&, k, t] { subs[k]->connect(t, opt.tokens[k % opt.tokens.size()]); });
      },
      true);
  std::cerr << "  " << pc.synced.load() << " subscribers synced in " << connect_s << " s\n";

  auto pad = padding(opt.content_bytes, 2 + 19 + 6);
  std::unique_ptr<publisher> pub;
  if (nchan) {
    auto t = opt.server;
    t.path = "/pub/" + opt.room;
    pub = make_nchan_publisher(pub_pool.ctx(0), t, pad);
  } else {
    pub =
        make_relay_publisher(pub_pool.ctx(0), opt.server, opt.tokens.front(), "p" + tag + "-", pad);
  }
  pub_pool.post(0, [&] { pub->connect(); });
  wait_for([&] { return pub->ready.load() != 0; }, 30);
  // Let the last sync frames and the server's join work settle before timing.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  boost::json::object out;
  out["subs"] = opt.subs;
  out["subs_synced"] = pc.synced.load();
  out["slow_subs"] = slow;
  out["connect_s"] = std::round(connect_s * 100) / 100;
  out["offered_rate"] = opt.rate;
  out["duration_s"] = opt.duration;
  auto alive = pc.synced.load() - pc.closed_after_sync.load();
  auto fast_alive = std::max(0, alive - slow);
  std::int64_t t0 = 0, stop = 0;
  boost::json::array timeline;
  if (pub->ready.load() == 1 && alive > 0 && opt.rate > 0) {
    t0 = now_ns() + 50'000'000;
    stop = t0 + static_cast<std::int64_t>(opt.duration * 1e9);
    clock.t0 = t0;
    auto interval = static_cast<std::int64_t>(1e9 / opt.rate);
    cpu_window cpu;
    pub_pool.post(0, [&, interval] { pub->begin(t0, stop, interval); });
    std::this_thread::sleep_until(steady::time_point(std::chrono::nanoseconds(t0)));
    cpu.start(opt);
    // One sample a second of what the server holds and what got through, and the
    // slow subscribers' stall switched on and off on schedule.
    auto stall_on = t0 + static_cast<std::int64_t>(opt.stall_at * 1e9);
    auto stall_off = stall_on + static_cast<std::int64_t>(opt.stall_for * 1e9);
    bool stalled = false, unstalled = false;
    std::uint64_t last_rx = 0;
    auto sample = [&](std::int64_t at) {
      auto m = servers_memory(opt);
      auto rx = received.load();
      timeline.push_back(
          boost::json::object{{"t", std::round(static_cast<double>(at - t0) / 1e8) / 10},
                              {"server_rss_mb", round1(m.rss_mb)},
                              {"server_pss_mb", round1(m.pss_mb)},
                              {"fast_rx", rx - last_rx}});
      last_rx = rx;
    };
    auto next_sample = t0 + 1'000'000'000;
    auto toggle_stall = [&](std::int64_t now) {
      if (slow == 0) return;
      if (!stalled && now >= stall_on) {
        stalled = true;
        for (int i = 0; i < slow; ++i) slow_pool.post(0, [&, i] { subs[i]->pause(); });
      }
      if (stalled && !unstalled && now >= stall_off) {
        unstalled = true;
        for (int i = 0; i < slow; ++i) slow_pool.post(0, [&, i] { subs[i]->unpause(); });
      }
    };
    while (now_ns() < stop) {
      auto now = now_ns();
      toggle_stall(now);
      if (now >= next_sample) {
        sample(now);
        next_sample += 1'000'000'000;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    cpu.finish(opt, out);
    // Drain, first the publisher's acks (they fix how many deliveries to expect), then
    // the deliveries: until every acked message reached every live subscriber (and
    // every slow one caught up), or nothing new arrived for 2 s (lost frames never
    // come), or the drain limit.
    auto drain_until = now_ns() + static_cast<std::int64_t>(opt.drain * 1e9);
    while (now_ns() < drain_until && pub->answered.load() < pub->sent.load() && !pub->gone)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto slow_caught_up = [&] {
      auto want = static_cast<std::int64_t>(pub->acked.load());
      for (int i = 0; i < slow; ++i)
        if (subs[static_cast<std::size_t>(i)]->next.load(std::memory_order_relaxed) < want)
          return false;
      return true;
    };
    auto any_rx = [&] { return received.load() + clock.slow_rx.load(); };
    auto last = any_rx();
    auto last_change = now_ns();
    while (now_ns() < drain_until) {
      auto now = now_ns();
      toggle_stall(now);  // a stall longer than the publishing still ends
      if (now >= next_sample) {
        sample(now);
        next_sample += 1'000'000'000;
      }
      bool fast_done =
          received.load() >= pub->acked.load() * static_cast<std::uint64_t>(fast_alive);
      bool slow_done = slow == 0 || (unstalled && slow_caught_up());
      if (fast_done && slow_done) break;
      // Nothing new for 2 s: what is missing now never comes. Slow subscribers get 5 s
      // after their stall to read their backlog, be closed and resume.
      bool quiet = now - last_change >= 2'000'000'000;
      if (quiet && (slow == 0 || (unstalled && now - stall_off > 5'000'000'000))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (auto r = any_rx(); r != last) {
        last = r;
        last_change = now_ns();
      }
    }
    out["drain_s"] = std::round(static_cast<double>(now_ns() - stop) / 1e7) / 100;
  } else {
    out["error"] = "publisher or subscribers did not come up";
  }
  for (std::size_t i = 0; i < subs.size(); ++i) post_to(i, [&, i] { subs[i]->stop(); });
  pub_pool.post(0, [&] { pub->stop(); });
  pool.finish();
  slow_pool.finish();
  pub_pool.finish();

  sub_stats all(seconds);
  for (auto& s : stats) {
    all.e2e.merge(s.e2e);
    all.slow_e2e.merge(s.slow_e2e);
    for (std::size_t i = 0; i < seconds; ++i) all.per_second[i].merge(s.per_second[i]);
    all.received += s.received;
    all.slow_received += s.slow_received;
    all.last_rx = std::max(all.last_rx, s.last_rx);
    all.max_index = std::max(all.max_index, s.max_index);
    for (auto& [k, v] : s.closes) all.closes[k] += v;
    for (auto& [k, v] : s.slow_closes) all.slow_closes[k] += v;
  }
  // Every message the server accepted was broadcast to every subscriber synced at
  // start. Under overload acks lag far behind the broadcast (both queue on the same I/O
  // thread), but the channel broadcasts in publish order, so a delivery of message n
  // to anyone means messages 0..n went out to everyone.
  auto broadcast =
      std::max<std::uint64_t>(pub->acked.load(), static_cast<std::uint64_t>(all.max_index + 1));
  auto expected = broadcast * static_cast<std::uint64_t>(fast_alive);
  out["published"] = pub->sent.load();
  out["publish_acked"] = pub->acked.load();
  out["publish_errors"] = pub->errors;
  if (nchan) out["nchan_subscribers_reported"] = pub->peer_subscribers.load();
  out["broadcast"] = broadcast;
  out["expected"] = expected;
  out["received"] = all.received;
  out["lost"] = expected > all.received ? expected - all.received : 0;
  out["lost_pct"] =
      expected ? std::round(1e5 * static_cast<double>(expected - std::min(expected, all.received)) /
                            static_cast<double>(expected)) /
                     1e3
               : 0.0;
  // Ordering and completeness per subscriber by publish index: a hole in the middle,
  // or a tail that never came.
  std::uint64_t fast_gaps = 0, fast_dups = 0, fast_short = 0;
  for (auto& s : subs)
    if (!s->slow()) {
      fast_gaps += s->gaps;
      fast_dups += s->dups;
      auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s->next.load()));
      fast_short += broadcast > n ? broadcast - n : 0;
    }
  out["gaps"] = fast_gaps;
  out["dups"] = fast_dups;
  // Rate over the span from the first publish to the last delivery, so a server that
  // falls behind and catches up during the drain is not credited with the offered rate.
  // Never shorter than the publishing window: deliveries cannot finish before the
  // last message is sent.
  auto span = std::max(opt.duration, static_cast<double>(all.last_rx - t0) / 1e9);
  out["deliveries_per_s"] = span > 0 ? std::round(static_cast<double>(all.received) / span) : 0.0;
  out["offered_deliveries_per_s"] = opt.rate * fast_alive;
  boost::json::object closes;
  for (auto& [k, v] : all.closes) closes[std::to_string(k)] = v;
  out["server_closes"] = std::move(closes);
  out["max_send_lag_ms"] = std::round(static_cast<double>(pub->max_send_lag_ns) / 1e3) / 1e3;
  put_latency(out, "e2e_ms", all.e2e);
  put_latency(out, "publish_ack_ms", pub->ack_lat);
  put_cdf(out, "e2e_cdf", all.e2e);
  if (slow > 0) {
    // Every slow subscriber must end up with every broadcast message exactly once in
    // order, counting what its resume sync brought.
    boost::json::object so;
    int complete = 0, resumed = 0;
    std::uint64_t missing = 0, holes = 0;
    for (int i = 0; i < slow; ++i) {
      auto& s = *subs[static_cast<std::size_t>(i)];
      auto n = static_cast<std::uint64_t>(std::max<std::int64_t>(0, s.next.load()));
      auto miss = (broadcast > n ? broadcast - n : 0) + s.gaps;
      missing += miss;
      holes += s.gaps;
      complete += miss == 0 ? 1 : 0;
      resumed += s.resumed_ok ? 1 : 0;
    }
    boost::json::object sc;
    for (auto& [k, v] : all.slow_closes) sc[std::to_string(k)] = v;
    so["count"] = slow;
    so["closes"] = std::move(sc);
    so["resumed"] = resumed;
    so["complete"] = complete;
    so["missing"] = missing;
    so["gaps"] = holes;
    so["received"] = all.slow_received;
    so["stall_at_s"] = opt.stall_at;
    so["stall_for_s"] = opt.stall_for;
    put_latency(so, "e2e_ms", all.slow_e2e);
    out["slow"] = std::move(so);
  }
  out["fast_short"] = fast_short;
  boost::json::array per_sec;
  for (std::size_t i = 0; i < seconds; ++i) {
    auto& h = all.per_second[i];
    if (h.count() == 0) continue;
    per_sec.push_back(boost::json::object{{"t", i},
                                          {"count", h.count()},
                                          {"p50", std::round(h.quantile_ms(0.5) * 1000) / 1000},
                                          {"p99", std::round(h.quantile_ms(0.99) * 1000) / 1000},
                                          {"max", std::round(h.max_ms() * 1000) / 1000}});
  }
  out["fast_e2e_per_s"] = std::move(per_sec);
  out["timeline"] = std::move(timeline);
  return out;
}

}  // namespace loadgen
