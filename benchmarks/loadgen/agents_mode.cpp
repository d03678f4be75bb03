// agents mode: the agent relay. N agents on /v1/ws/agent stream K `token` frames and a
// `reply` for every `event`; M apps on /v1/ws/app keep E events in flight each. Every
// token's text carries the agent's send time (steady clock, same process), so each app
// measures the latency Relay adds to a token: app receipt − agent send.
//
// Saturation (`--rate 0`): each agent keeps `--agent-queue` frames queued on its socket
// and tops it up as frames go out, so agents stream as fast as Relay reads.
// Paced (`--rate R`): one pacer per agent thread sends R tokens/s in total, each token
// the next one of the next agent (round robin) that has one to send; it wakes every
// `--pace-tick-us` and sends what fell due since.
#include <charconv>
#include <cmath>
#include <deque>
#include <iostream>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/steady_timer.hpp>

#include "loadgen/common.hpp"

namespace loadgen {

namespace net = boost::asio;

namespace {

// The integer after `field` (e.g. R"("seq":)"), or -1.
std::int64_t int_field(std::string_view json, std::string_view field) {
  auto at = json.find(field);
  if (at == std::string_view::npos) return -1;
  std::int64_t v = -1;
  auto begin = json.data() + at + field.size();
  std::from_chars(begin, json.data() + json.size(), v);
  return v;
}

// The run's instants, shared read-only by every connection once sending starts.
struct run_window {
  std::int64_t t0 = 0;    // events start
  std::int64_t warm = 0;  // measurements start
  std::int64_t stop = 0;  // no new events after this
};

// ---------------------------------------------------------------------------------
// Agents

struct agent_stats {
  std::uint64_t events = 0;        // event frames received
  std::uint64_t tokens_sent = 0;   // for the regular apps' events
  std::uint64_t tokens_in_window = 0;
  std::uint64_t slow_tokens_sent = 0;  // for the slow apps' events
  std::uint64_t replies_sent = 0;
  std::uint64_t cancels = 0;       // cancel frames received
  std::uint64_t bad_frames = 0;    // frames we could not read (or error frames)
  std::int64_t max_send_lag_ns = 0;
  std::uint64_t missed_ticks = 0;  // paced: a token fell due but no agent had one to send
  std::int64_t first_slow_cancel_ns = 0;  // when Relay first cancelled a slow app's event here
  std::map<int, std::uint64_t> closes;
  int logged = 0;
};

// Queue 0 holds the events of the regular apps, queue 1 those of the slow apps (their
// payload says "slow":true), so the two can be paced at different rates.
constexpr int regular = 0;
constexpr int slow = 1;

class agent_client final : public ws_events {
 public:
  agent_client(net::io_context& ioc, agent_stats& st, phase_counters& pc, const options& opt,
               const run_window& w, std::atomic<std::uint64_t>& sent_total, std::atomic<std::uint64_t>& slow_sent,
               std::string reply_content)
      : ioc_(ioc), st_(st), pc_(pc), opt_(opt), w_(w), sent_total_(sent_total), slow_sent_(slow_sent),
        reply_content_(std::move(reply_content)) {
    // A queue is paced when it has a rate; otherwise the agent streams it as fast as
    // its socket drains (saturation).
    pumped_[regular] = opt.rate <= 0;
    pumped_[slow] = opt.slow_rate <= 0;
  }

  void connect(const target& t, const std::string& token) { conn_ = connect_ws(ioc_, t, token, *this); }
  void stop() {
    stopped_ = true;
    if (conn_) conn_->abort();
  }

  bool has_work(int q) const { return !q_[q].empty() && !closed_; }

  // Sends the next token of the next event in queue q (round robin over its events),
  // and the reply after an event's last token.
  void send_next(int q) {
    auto w = std::move(q_[q].front());
    q_[q].pop_front();
    auto now = now_ns();
    // Stamped last thing before the frame is queued: the latency is Relay's and the
    // sockets', not this generator's scheduling.
    std::string frame = R"({"type":"token","event_id":")" + w.id + R"(","token":"t)" + std::to_string(now) +
                        ":" + std::to_string(w.next) + R"("})";
    conn_->send(std::move(frame));
    if (q == slow) {
      ++st_.slow_tokens_sent;
      slow_sent_.fetch_add(1, std::memory_order_relaxed);
    } else {
      ++st_.tokens_sent;
      if (now >= w_.warm && now < w_.stop) ++st_.tokens_in_window;
      sent_total_.fetch_add(1, std::memory_order_relaxed);
    }
    if (w.next++ < w.total) {
      q_[q].push_back(std::move(w));
      return;
    }
    conn_->send(R"({"type":"reply","event_id":")" + w.id + R"(","content":")" + reply_content_ +
                R"(","done":true})");
    ++st_.replies_sent;
  }

  void on_open() override {
    opened_ = true;
    ++pc_.synced;
  }

  void on_text(std::string_view f) override {
    auto type = string_field(f, R"("type":")");
    if (type == "event") {
      ++st_.events;
      auto id = string_field(f, R"("event_id":")");
      // The app asks for a number of tokens in its payload ({"tokens":K,…}).
      auto k = int_field(f, R"("tokens":)");
      if (id.empty() || k <= 0) {
        ++st_.bad_frames;
        if (st_.logged++ < 5) std::cerr << "  agent got a bad event: " << f.substr(0, 200) << "\n";
        return;
      }
      auto q = f.find(R"("slow":true)") != std::string_view::npos ? slow : regular;
      q_[q].push_back({std::string(id), 1, k});
      pump();
    } else if (type == "cancel") {
      ++st_.cancels;
      auto id = string_field(f, R"("event_id":")");
      if (std::erase_if(q_[slow], [&](const work& w) { return w.id == id; }) > 0 && st_.first_slow_cancel_ns == 0)
        st_.first_slow_cancel_ns = now_ns();
      std::erase_if(q_[regular], [&](const work& w) { return w.id == id; });
    } else if (type == "ping") {
      conn_->send(R"({"type":"pong"})");
    } else if (type != "pong") {
      ++st_.bad_frames;
      if (st_.logged++ < 5) std::cerr << "  agent got: " << f.substr(0, 200) << "\n";
    }
  }

  void on_sent() override { pump(); }

  void on_closed(int code, std::string_view why) override {
    closed_ = true;
    for (auto& q : q_) q.clear();
    if (!opened_) {
      ++pc_.failed;
      if (st_.logged++ < 5) std::cerr << "  agent connection failed: " << why << "\n";
      return;
    }
    ++st_.closes[code];
    if (st_.logged++ < 5) std::cerr << "  agent closed by server: " << code << " " << why << "\n";
  }

 private:
  struct work {
    std::string id;
    std::int64_t next = 1;  // the next token's index (= the seq the app should see)
    std::int64_t total = 0;
  };

  // Unpaced queues: keep a few frames queued, so the socket never idles and the
  // timestamps are taken close to the moment the frame leaves. Alternates between
  // the queues when both are unpaced.
  void pump() {
    if (stopped_ || closed_) return;
    while (conn_->queued() < static_cast<std::size_t>(opt_.agent_queue)) {
      int q = -1;
      for (int i = 0; i < 2 && q < 0; ++i) {
        int c = (turn_ + i) % 2;
        if (pumped_[c] && !q_[c].empty()) q = c;
      }
      if (q < 0) return;
      turn_ = q + 1;
      send_next(q);
    }
  }

  net::io_context& ioc_;
  agent_stats& st_;
  phase_counters& pc_;
  const options& opt_;
  const run_window& w_;
  std::atomic<std::uint64_t>& sent_total_;
  std::atomic<std::uint64_t>& slow_sent_;
  std::string reply_content_;
  std::shared_ptr<ws_conn> conn_;
  std::deque<work> q_[2];
  bool pumped_[2] = {true, true};
  int turn_ = 0;
  bool closed_ = false;
  bool stopped_ = false;
  bool opened_ = false;
};

// Paced queues: one pacer per agent thread and queue sends `rate` tokens/s in total
// over its agents, each token from the next agent (round robin) with one to send.
class pacer {
 public:
  pacer(net::io_context& ioc, agent_stats& st, std::vector<agent_client*> agents, int queue, double rate,
        std::int64_t tick)
      : timer_(ioc), st_(st), agents_(std::move(agents)), queue_(queue),
        interval_(static_cast<std::int64_t>(1e9 / rate)), tick_(tick) {}

  void begin(std::int64_t t0) {
    next_due_ = t0;
    arm(0);
  }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  // Wakes at most once per `tick_` and sends every token that fell due since: a timer
  // per token (10,000 wake-ups a second) costs this VM more CPU in context switches
  // and timerfd_settime than the relay work it measures. Each token is still stamped
  // when it is actually sent.
  void arm(std::int64_t now) {
    if (stopped_) return;
    timer_.expires_at(steady::time_point(std::chrono::nanoseconds(std::max(next_due_, now + tick_))));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      auto now = now_ns();
      // Catch up on every token that fell due while the timer (or the thread) was late.
      while (next_due_ <= now) {
        st_.max_send_lag_ns = std::max(st_.max_send_lag_ns, now - next_due_);
        tick();
        next_due_ += interval_;
      }
      arm(now);
    });
  }

  void tick() {
    for (std::size_t i = 0; i < agents_.size(); ++i) {
      auto* a = agents_[rr_++ % agents_.size()];
      if (a->has_work(queue_)) return a->send_next(queue_);
    }
    if (queue_ == regular) ++st_.missed_ticks;  // every agent idle: too few events in flight
  }

  net::steady_timer timer_;
  agent_stats& st_;
  std::vector<agent_client*> agents_;
  int queue_;
  std::int64_t interval_;
  std::int64_t tick_;
  std::int64_t next_due_ = 0;
  std::size_t rr_ = 0;
  bool stopped_ = false;
};

// ---------------------------------------------------------------------------------
// Apps

struct app_stats {
  histogram token_lat;  // agent send -> app receipt, tokens received in the window
  histogram event_lat;  // event sent -> reply received, events sent in the window
  std::uint64_t events_sent = 0;
  std::uint64_t accepted = 0;
  std::uint64_t replies = 0;
  std::uint64_t replies_in_window = 0;
  std::uint64_t tokens = 0;
  std::uint64_t tokens_in_window = 0;
  std::uint64_t lost_on_close = 0;  // events in flight when the server closed the app
  // Contract checks; all must stay 0.
  std::uint64_t seq_violations = 0;       // seq != previous + 1 or != the agent's index
  std::uint64_t token_after_end = 0;      // token for an event that already ended
  std::uint64_t reply_unknown = 0;        // reply for an event that ended or was never accepted
  std::uint64_t token_count_mismatch = 0; // reply after fewer/more tokens than the agent sent
  std::uint64_t unknown_frames = 0;       // token/accepted we cannot place
  std::map<std::string, std::uint64_t> errors;  // error frames by code
  std::map<int, std::uint64_t> closes;
  std::vector<std::string> close_reasons;  // "<code> <why>", first few
  int logged = 0;
};

class app_client final : public ws_events {
 public:
  app_client(net::io_context& ioc, app_stats& st, phase_counters& pc, const options& opt, const run_window& w,
             int index, bool slow, std::atomic<std::int64_t>& open_events, std::atomic<std::uint64_t>& rx_total)
      : ioc_(ioc), timer_(ioc), st_(st), pc_(pc), opt_(opt), w_(w), index_(index), slow_(slow),
        open_events_(open_events), rx_total_(rx_total) {
    tokens_ = slow_ && opt.slow_tokens > 0 ? opt.slow_tokens : opt.tokens_per_event;
    for (int s = 0; s < opt.in_flight; ++s) {
      // Slot s of app a always addresses the same agent and thread: E×M sessions,
      // spread evenly over the agents (each serves E×M/N slots).
      auto agent = static_cast<std::size_t>(index * opt.in_flight + s) % static_cast<std::size_t>(opt.agents);
      slots_.push_back({opt.agent_tokens[agent].first, "t" + std::to_string(s)});
    }
  }

  void connect(const target& t, const std::string& token) { conn_ = connect_ws(ioc_, t, token, *this); }
  void stop() {
    timer_.cancel();
    if (conn_) conn_->abort();
  }

  void begin() {
    if (closed_) return;
    for (std::size_t s = 0; s < slots_.size(); ++s) send_event(s);
    if (slow_) {
      timer_.expires_at(steady::time_point(std::chrono::nanoseconds(
          w_.t0 + static_cast<std::int64_t>(opt_.stall_at * 1e9))));
      timer_.async_wait([this](boost::system::error_code ec) {
        if (ec || closed_) return;
        std::cerr << "  app " << index_ << " stops reading for " << opt_.stall_for << " s\n";
        conn_->pause_reading();
        timer_.expires_after(std::chrono::nanoseconds(static_cast<std::int64_t>(opt_.stall_for * 1e9)));
        timer_.async_wait([this](boost::system::error_code ec2) {
          if (ec2) return;
          std::cerr << "  app " << index_ << " reads again\n";
          conn_->resume_reading();
        });
      });
    }
  }

  void on_open() override {
    opened_ = true;
    ++pc_.synced;
  }

  void on_text(std::string_view f) override {
    auto now = now_ns();
    constexpr std::string_view token_prefix = R"({"type":"token")";
    auto type = f.starts_with(token_prefix) ? std::string_view("token") : string_field(f, R"("type":")");
    if (type == "token") return on_token(f, now);
    if (type == "accepted") {
      ++st_.accepted;
      if (awaiting_.empty()) {
        ++st_.unknown_frames;
        return;
      }
      auto [slot, sent_at] = awaiting_.front();
      awaiting_.pop_front();
      live_.emplace(std::string(string_field(f, R"("event_id":")")), event{slot, sent_at, 0});
    } else if (type == "reply") {
      auto id = string_field(f, R"("event_id":")");
      auto it = live_.find(std::string(id));
      if (it == live_.end()) {
        ++st_.reply_unknown;
        if (st_.logged++ < 5) std::cerr << "  app got a reply for no live event: " << f.substr(0, 200) << "\n";
        return;
      }
      ++st_.replies;
      if (now >= w_.warm && now < w_.stop) ++st_.replies_in_window;
      if (it->second.last_seq != tokens_) ++st_.token_count_mismatch;
      if (it->second.sent_at >= w_.warm && it->second.sent_at < w_.stop) st_.event_lat.record(now - it->second.sent_at);
      end_event(it);
    } else if (type == "error") {
      auto code = std::string(string_field(f, R"("code":")"));
      ++st_.errors[code];
      if (st_.logged++ < 5) std::cerr << "  app got: " << f.substr(0, 200) << "\n";
      auto id = string_field(f, R"("event_id":")");
      if (id.empty()) {
        // A refusal (RATE_LIMITED, AGENT_OFFLINE, AGENT_NOT_ALLOWED, ...) carries no
        // event id and answers the oldest event not yet accepted (Relay answers events
        // in the order sent); its slot stays idle for the rest of the run.
        if (!awaiting_.empty()) {
          awaiting_.pop_front();
          --open_events_;
        }
        return;
      }
      if (auto it = live_.find(std::string(id)); it != live_.end()) end_event(it);
      else ++st_.reply_unknown;
    } else if (type == "ping") {
      conn_->send(R"({"type":"pong"})");
    } else if (type != "pong") {
      ++st_.unknown_frames;
    }
  }

  void on_closed(int code, std::string_view why) override {
    closed_ = true;
    timer_.cancel();
    if (!opened_) {
      ++pc_.failed;
      if (st_.logged++ < 5) std::cerr << "  app connection failed: " << why << "\n";
      return;
    }
    ++st_.closes[code];
    if (st_.close_reasons.size() < 5) st_.close_reasons.push_back(std::to_string(code) + " " + std::string(why));
    std::cerr << "  app " << index_ << " closed by server: " << code << " " << why << "\n";
    auto n = live_.size() + awaiting_.size();
    st_.lost_on_close += n;
    open_events_ -= static_cast<std::int64_t>(n);
    live_.clear();
    awaiting_.clear();
  }

 private:
  struct slot {
    std::string agent_id;
    std::string thread_id;
  };
  struct event {
    std::size_t slot;
    std::int64_t sent_at;
    std::int64_t last_seq;
  };

  void on_token(std::string_view f, std::int64_t now) {
    auto id = string_field(f, R"("event_id":")");
    auto stamp = string_field(f, R"("token":"t)");
    auto end = stamp.data() + stamp.size();
    std::int64_t sent = 0, index = -1;
    auto r = std::from_chars(stamp.data(), end, sent);
    if (r.ec == std::errc{} && r.ptr != end && *r.ptr == ':') std::from_chars(r.ptr + 1, end, index);
    auto seq = int_field(f, R"("seq":)");
    ++st_.tokens;
    rx_total_.fetch_add(1, std::memory_order_relaxed);
    if (now >= w_.warm && now < w_.stop) {
      ++st_.tokens_in_window;
      if (r.ec == std::errc{}) st_.token_lat.record(now - sent);
    }
    auto it = live_.find(std::string(id));
    if (it == live_.end()) {
      if (ended_.count(std::string(id))) ++st_.token_after_end;
      else ++st_.unknown_frames;
      return;
    }
    auto& e = it->second;
    if (seq != e.last_seq + 1 || index != seq) {
      ++st_.seq_violations;
      if (st_.logged++ < 5) std::cerr << "  out of order (expected seq " << e.last_seq + 1 << "): " << f << "\n";
    }
    e.last_seq = seq;
  }

  void end_event(std::unordered_map<std::string, event>::iterator it) {
    auto slot = it->second.slot;
    ended_.insert(it->first);
    live_.erase(it);
    --open_events_;
    send_event(slot);
  }

  void send_event(std::size_t s) {
    auto now = now_ns();
    if (closed_ || now >= w_.stop) return;
    auto& sl = slots_[s];
    std::string frame = R"({"type":"event","agent_id":")" + sl.agent_id + R"(","thread_id":")" + sl.thread_id +
                        R"(","payload":{"tokens":)" + std::to_string(tokens_) + R"(,"app":)" +
                        std::to_string(index_) + R"(,"n":)" + std::to_string(next_n_++) +
                        (slow_ ? R"(,"slow":true}})" : "}}");
    awaiting_.emplace_back(s, now);
    ++open_events_;
    ++st_.events_sent;
    conn_->send(std::move(frame));
  }

  net::io_context& ioc_;
  net::steady_timer timer_;
  app_stats& st_;
  phase_counters& pc_;
  const options& opt_;
  const run_window& w_;
  int index_;
  bool slow_;  // stops reading for a while (--slow-apps); its stats are kept apart
  std::atomic<std::int64_t>& open_events_;
  std::atomic<std::uint64_t>& rx_total_;
  std::int64_t tokens_ = 0;
  std::shared_ptr<ws_conn> conn_;
  std::vector<slot> slots_;
  std::deque<std::pair<std::size_t, std::int64_t>> awaiting_;  // sent, not yet accepted: (slot, sent at)
  std::unordered_map<std::string, event> live_;                // accepted, not yet ended
  std::unordered_set<std::string> ended_;
  std::uint64_t next_n_ = 0;
  bool opened_ = false;
  bool closed_ = false;
};

double seconds(std::int64_t ns) { return static_cast<double>(ns) / 1e9; }
double round1(double v) { return std::round(v * 10) / 10; }

}  // namespace

namespace {

app_stats merge(const std::vector<app_stats>& v) {
  app_stats a;
  for (auto& s : v) {
    a.token_lat.merge(s.token_lat);
    a.event_lat.merge(s.event_lat);
    a.events_sent += s.events_sent;
    a.accepted += s.accepted;
    a.replies += s.replies;
    a.replies_in_window += s.replies_in_window;
    a.tokens += s.tokens;
    a.tokens_in_window += s.tokens_in_window;
    a.lost_on_close += s.lost_on_close;
    a.seq_violations += s.seq_violations;
    a.token_after_end += s.token_after_end;
    a.reply_unknown += s.reply_unknown;
    a.token_count_mismatch += s.token_count_mismatch;
    a.unknown_frames += s.unknown_frames;
    for (auto& [k, n] : s.errors) a.errors[k] += n;
    for (auto& [k, n] : s.closes) a.closes[k] += n;
    for (auto& r : s.close_reasons)
      if (a.close_reasons.size() < 5) a.close_reasons.push_back(r);
  }
  return a;
}

std::uint64_t violations(const app_stats& a) {
  return a.seq_violations + a.token_after_end + a.reply_unknown + a.token_count_mismatch + a.unknown_frames;
}

boost::json::object violations_json(const app_stats& a) {
  return {{"seq", a.seq_violations},
          {"token_after_end", a.token_after_end},
          {"reply_unknown_or_duplicate", a.reply_unknown},
          {"token_count_mismatch", a.token_count_mismatch},
          {"unknown_frames", a.unknown_frames}};
}

boost::json::object by_code(const std::map<std::string, std::uint64_t>& m) {
  boost::json::object o;
  for (auto& [k, n] : m) o[k] = n;
  return o;
}

}  // namespace

boost::json::object run_agents(const options& opt) {
  boost::json::object out;
  out["agents"] = opt.agents;
  out["apps"] = opt.apps;
  out["tokens_per_event"] = opt.tokens_per_event;
  out["in_flight"] = opt.in_flight;
  out["offered_rate"] = opt.rate;
  out["loop"] = opt.rate > 0 ? "paced" : "saturation";
  out["duration_s"] = opt.duration;
  out["warmup_s"] = opt.warmup;
  out["agent_threads"] = opt.agent_threads;
  if (opt.rate <= 0) out["agent_queue"] = opt.agent_queue;

  io_pool agent_pool(static_cast<std::size_t>(opt.agent_threads));
  io_pool app_pool(static_cast<std::size_t>(opt.threads));
  std::vector<agent_stats> ag_stats(agent_pool.size());
  std::vector<app_stats> ap_stats(app_pool.size()), slow_stats(app_pool.size());
  phase_counters ag_pc, ap_pc;
  // Regular apps and slow apps are counted apart: the drain waits only for the
  // regular apps' events, and the headline numbers are theirs.
  std::atomic<std::int64_t> open_events{0}, slow_open{0};
  std::atomic<std::uint64_t> rx_total{0}, tx_total{0}, slow_rx{0}, slow_tx{0};
  run_window w;  // filled in before any connection reads it (begin is posted later)
  std::string reply_content = "r" + padding(opt.content_bytes, 1);

  target agent_target{opt.server.host, opt.server.port, "/v1/ws/agent"};
  target app_target{opt.server.host, opt.server.port, "/v1/ws/app"};

  std::vector<std::unique_ptr<agent_client>> agents;
  for (int i = 0; i < opt.agents; ++i) {
    auto k = static_cast<std::size_t>(i);
    agents.push_back(std::make_unique<agent_client>(agent_pool.ctx(k), ag_stats[k % agent_pool.size()], ag_pc, opt,
                                                    w, tx_total, slow_tx, reply_content));
  }
  auto agents_s = connect_gradually(opt.agents, opt.connect_batch, 60, ag_pc, [&](int i) {
    auto k = static_cast<std::size_t>(i);
    agent_pool.post(k, [&, k] { agents[k]->connect(agent_target, opt.agent_tokens[k].second); });
  }, false);
  std::vector<std::unique_ptr<app_client>> apps;
  for (int i = 0; i < opt.apps; ++i) {
    auto k = static_cast<std::size_t>(i);
    bool is_slow = i < opt.slow_apps;
    auto& st = (is_slow ? slow_stats : ap_stats)[k % app_pool.size()];
    apps.push_back(std::make_unique<app_client>(app_pool.ctx(k), st, ap_pc, opt, w, i, is_slow,
                                                is_slow ? slow_open : open_events, is_slow ? slow_rx : rx_total));
  }
  auto apps_s = connect_gradually(opt.apps, opt.connect_batch, 60, ap_pc, [&](int i) {
    auto k = static_cast<std::size_t>(i);
    app_pool.post(k, [&, k] { apps[k]->connect(app_target, opt.app_tokens[k]); });
  }, false);
  out["agents_connected"] = ag_pc.synced.load();
  out["apps_connected"] = ap_pc.synced.load();
  out["connect_s"] = std::round((agents_s + apps_s) * 100) / 100;
  std::cerr << "  " << ag_pc.synced.load() << "/" << opt.agents << " agents and " << ap_pc.synced.load() << "/"
            << opt.apps << " apps connected in " << agents_s + apps_s << " s\n";
  // The hub registers an agent a moment after its handshake; an event before that
  // would be AGENT_OFFLINE.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  std::vector<std::pair<std::size_t, std::unique_ptr<pacer>>> pacers;  // (agent thread, pacer)
  boost::json::array timeline;
  std::int64_t drained_at = 0;  // end of the run; the teardown after it cancels what is left
  if (ag_pc.synced.load() == opt.agents && ap_pc.synced.load() == opt.apps) {
    w.t0 = now_ns() + 50'000'000;
    w.warm = w.t0 + static_cast<std::int64_t>(opt.warmup * 1e9);
    w.stop = w.t0 + static_cast<std::int64_t>(opt.duration * 1e9);
    auto threads = static_cast<double>(agent_pool.size());
    for (int q : {regular, slow}) {
      auto rate = q == regular ? opt.rate : opt.slow_rate;
      if (rate <= 0 || (q == slow && opt.slow_apps == 0)) continue;
      for (std::size_t t = 0; t < agent_pool.size(); ++t) {
        std::vector<agent_client*> mine;
        for (std::size_t i = t; i < agents.size(); i += agent_pool.size()) mine.push_back(agents[i].get());
        pacers.emplace_back(t, std::make_unique<pacer>(agent_pool.ctx(t), ag_stats[t], std::move(mine), q,
                                                       rate / threads,
                                                       static_cast<std::int64_t>(opt.pace_tick_us) * 1000));
        agent_pool.post(t, [&, p = pacers.back().second.get()] { p->begin(w.t0); });
      }
    }
    for (std::size_t i = 0; i < apps.size(); ++i) app_pool.post(i, [&, i] { apps[i]->begin(); });

    // Once a second: server RSS and the token rates, through the run and the drain.
    cpu_window cpu;
    bool cpu_started = false, cpu_done = false;
    auto next_sample = w.t0 + 1'000'000'000;
    std::uint64_t last_rx = 0, last_tx = 0, last_slow = 0, last_slow_tx = 0;
    auto drain_until = w.stop + static_cast<std::int64_t>(opt.drain * 1e9);
    while (true) {
      auto now = now_ns();
      if (!cpu_started && now >= w.warm) {
        cpu.start(opt);
        cpu_started = true;
      }
      if (!cpu_done && now >= w.stop) {
        cpu.finish(opt, out);
        cpu_done = true;
      }
      if (now >= next_sample) {
        auto rx = rx_total.load(), tx = tx_total.load(), sl = slow_rx.load(), stx = slow_tx.load();
        boost::json::object s{{"t", std::round(seconds(next_sample - w.t0))},
                              {"tokens_tx", tx - last_tx},
                              {"tokens_rx", rx - last_rx},
                              {"open_events", open_events.load()}};
        if (opt.slow_apps > 0) {
          s["slow_tx"] = stx - last_slow_tx;  // tokens the agents sent for the slow apps' events
          s["slow_rx"] = sl - last_slow;      // tokens the slow apps read
        }
        if (auto rss = proc_rss_mb(opt.server_pid)) s["server_rss_mb"] = round1(*rss);
        timeline.push_back(std::move(s));
        last_rx = rx, last_tx = tx, last_slow = sl, last_slow_tx = stx;
        next_sample += 1'000'000'000;
      }
      if (cpu_done && (open_events.load() <= 0 || now >= drain_until)) {
        drained_at = now;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    out["drain_s"] = std::round(seconds(drained_at - w.stop) * 100) / 100;
  } else {
    out["error"] = "not every agent and app connected";
  }
  if (auto rss = proc_rss_mb(opt.server_pid)) out["server_rss_mb_end"] = round1(*rss);
  for (auto& [t, p] : pacers) agent_pool.post(t, [p = p.get()] { p->stop(); });  // on its own thread
  for (std::size_t i = 0; i < apps.size(); ++i) app_pool.post(i, [&, i] { apps[i]->stop(); });
  for (std::size_t i = 0; i < agents.size(); ++i) agent_pool.post(i, [&, i] { agents[i]->stop(); });
  app_pool.finish();
  agent_pool.finish();

  agent_stats ag;
  for (auto& s : ag_stats) {
    ag.events += s.events;
    ag.tokens_sent += s.tokens_sent;
    ag.tokens_in_window += s.tokens_in_window;
    ag.slow_tokens_sent += s.slow_tokens_sent;
    ag.replies_sent += s.replies_sent;
    ag.cancels += s.cancels;
    ag.bad_frames += s.bad_frames;
    ag.missed_ticks += s.missed_ticks;
    ag.max_send_lag_ns = std::max(ag.max_send_lag_ns, s.max_send_lag_ns);
    if (s.first_slow_cancel_ns && (!ag.first_slow_cancel_ns || s.first_slow_cancel_ns < ag.first_slow_cancel_ns))
      ag.first_slow_cancel_ns = s.first_slow_cancel_ns;
    for (auto& [k, v] : s.closes) ag.closes[k] += v;
  }
  auto ap = merge(ap_stats);
  auto window_s = opt.duration - opt.warmup;
  out["tokens_per_s"] = std::round(static_cast<double>(ap.tokens_in_window) / window_s);
  out["tokens_sent_per_s"] = std::round(static_cast<double>(ag.tokens_in_window) / window_s);
  out["events_per_s"] = std::round(static_cast<double>(ap.replies_in_window) / window_s);
  out["events_sent"] = ap.events_sent;
  out["events_accepted"] = ap.accepted;
  out["replies"] = ap.replies;
  out["tokens_sent"] = ag.tokens_sent;
  out["tokens_received"] = ap.tokens;
  out["agent_events"] = ag.events;
  out["agent_replies_sent"] = ag.replies_sent;
  out["agent_cancels"] = ag.cancels;
  out["unfinished"] = open_events.load();
  out["lost_on_close"] = ap.lost_on_close;
  auto vj = violations_json(ap);
  vj["agent_bad_frames"] = ag.bad_frames;
  out["violations"] = std::move(vj);
  out["violations_total"] = violations(ap) + ag.bad_frames;
  out["errors"] = by_code(ap.errors);
  boost::json::object closes;
  for (auto& [k, n] : ap.closes) closes["app:" + std::to_string(k)] = n;
  for (auto& [k, n] : ag.closes) closes["agent:" + std::to_string(k)] = n;
  out["server_closes"] = std::move(closes);
  if (opt.rate > 0) {
    out["missed_ticks"] = ag.missed_ticks;
    out["pace_tick_us"] = opt.pace_tick_us;
    out["max_send_lag_ms"] = std::round(static_cast<double>(ag.max_send_lag_ns) / 1e3) / 1e3;
  }
  put_latency(out, "token_ms", ap.token_lat);
  put_latency(out, "event_ms", ap.event_lat);
  if (opt.slow_apps > 0) {
    auto sl = merge(slow_stats);
    boost::json::object o{{"apps", opt.slow_apps},
                          {"stall_at_s", opt.stall_at},
                          {"stall_for_s", opt.stall_for},
                          {"tokens_per_event", opt.slow_tokens > 0 ? opt.slow_tokens : opt.tokens_per_event},
                          {"rate", opt.slow_rate},
                          {"tokens_sent", ag.slow_tokens_sent},
                          {"tokens_received", sl.tokens},
                          {"events_sent", sl.events_sent},
                          {"replies", sl.replies},
                          {"open_at_end", slow_open.load()},
                          {"lost_on_close", sl.lost_on_close},
                          {"violations", violations_json(sl)},
                          {"violations_total", violations(sl)},
                          {"errors", by_code(sl.errors)}};
    boost::json::object sc;
    for (auto& [k, n] : sl.closes) sc["app:" + std::to_string(k)] = n;
    o["server_closes"] = std::move(sc);  // app:0 = the connection ended without a close frame
    o["close_reasons"] = boost::json::array(sl.close_reasons.begin(), sl.close_reasons.end());
    // When Relay gave up on the slow app (its close cancels the app's events at the
    // agents), in seconds from the start; the stall began at stall_at_s.
    if (ag.first_slow_cancel_ns && ag.first_slow_cancel_ns < drained_at)
      o["relay_cancelled_at_s"] = std::round(seconds(ag.first_slow_cancel_ns - w.t0) * 100) / 100;
    put_latency(o, "token_ms", sl.token_lat);
    out["slow"] = std::move(o);
    out["violations_total"] = violations(ap) + ag.bad_frames + violations(sl);
  }
  double rss_max = 0;
  for (auto& s : timeline)
    if (auto* r = s.as_object().if_contains("server_rss_mb")) rss_max = std::max(rss_max, r->to_number<double>());
  if (rss_max > 0) out["server_rss_mb_max"] = rss_max;
  out["timeline"] = std::move(timeline);
  return out;
}

}  // namespace loadgen
