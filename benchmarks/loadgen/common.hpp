// Options, the io_context pool and small helpers shared by the load generator modes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/object.hpp>

#include "loadgen/stats.hpp"
#include "loadgen/ws_client.hpp"

namespace loadgen {

struct options {
  std::string mode;  // ack | fanout | agents
  target server{"127.0.0.1", 8080, "/api/ws/rooms/lobby"};
  std::vector<std::string> tokens;
  int threads = 1;               // io_context threads for the measured connections
  int conns = 10;                // ack: sender connections
  int subs = 1000;               // fanout: subscriber connections
  double rate = 0;               // offered msgs/s in total; ack: 0 = closed loop
  int window = 1;                // ack closed loop: outstanding sends per connection
  double duration = 10;          // seconds of sending
  double warmup = 1;             // ack: seconds at the start left out of the numbers
  double drain = 10;             // max seconds to wait for acks/deliveries after sending
  int connect_batch = 200;       // handshakes in flight at once
  int content_bytes = 32;        // message content length
  int server_pid = 0;            // when set, the server's CPU time and RSS are reported
  std::vector<int> server_pids;  // all of --server-pid (nginx: master and workers), summed
  std::string peer = "relay";    // relay | nchan: whose endpoints fanout and idle drive
  std::string room = "lobby";    // Relay room slug, or nchan channel id
  int conns_per_source = 0;      // > 0: connection i binds 127.0.0.(2 + i / N)
  std::string label;
  std::vector<std::pair<std::string, std::string>> tags;  // --tag k=v, copied into the JSON

  // agents mode (the agent relay, /v1/ws/agent and /v1/ws/app); `rate` is tokens/s in
  // total (0 = saturation), `threads` the apps' io threads.
  std::vector<std::pair<std::string, std::string>> agent_tokens;  // (agent id, rla_ token)
  std::vector<std::string> app_tokens;                            // rlk_ tokens
  int agents = 100;           // agent connections (the first N of --agent-tokens-file)
  int apps = 100;             // app connections (the first M of --app-tokens-file)
  int tokens_per_event = 50;  // K: token frames an agent streams per event
  int in_flight = 4;          // E: events each app keeps in flight
  int agent_threads = 1;      // io threads for the agent connections
  int agent_queue = 8;        // saturation: frames an agent keeps queued on its socket
  int pace_tick_us = 1000;    // paced: the pacer wakes at most this often (0 = per token)
  int slow_apps = 0;          // apps 0..n-1 stop reading for --stall-for seconds
  double stall_at = 2;        // seconds after the start
  double stall_for = 10;
  int slow_tokens = 0;   // tokens per event asked for by the slow apps (0 = K)
  double slow_rate = 0;  // tokens/s streamed into the slow apps' events (0 = unpaced)

  // fanout: subscribers 0..n-1 stop reading at --stall-at for --stall-for seconds and,
  // once Relay closed them, reconnect with ?resume= and check they missed nothing.
  int slow_subs = 0;
  int slow_rcvbuf = 0;  // SO_RCVBUF of the slow subscribers (0 = kernel default)
  bool resume = true;

  // reactions and presence: keep-alive connections of the REST load.
  int http_conns = 8;
  // presence: users (login, rlt_ token) kept online, a watcher with a token of its own.
  std::vector<std::pair<std::string, std::string>> users;
  std::string watcher_token;
  std::string via = "heartbeat";  // heartbeat (REST) | sockets (one room socket each)
  double heartbeat_interval = 4;  // seconds between a user's heartbeats
  int leavers = 100;              // users that stop during the window
  double presence_ttl = 10;       // the server's --presence-ttl-seconds (for the check)
  int redis_port = 0;             // > 0: Redis's INFO counters over the window
};

// N io_contexts, each run by one thread. A connection lives on exactly one context
// and all its handlers run there, so per-connection state needs no locks; the
// controlling (main) thread only posts work and reads atomics.
class io_pool {
 public:
  explicit io_pool(std::size_t n);
  ~io_pool();
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  std::size_t size() const { return ctxs_.size(); }
  boost::asio::io_context& ctx(std::size_t i) { return *ctxs_[i % ctxs_.size()]; }
  template <class F>
  void post(std::size_t i, F&& f) {
    boost::asio::post(ctx(i), std::forward<F>(f));
  }
  // Lets the contexts run out of work (after the caller aborted its connections)
  // and joins the threads.
  void finish();

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> ctxs_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
};

// Counters the controller polls while connections come up.
struct phase_counters {
  std::atomic<int> synced{0};
  std::atomic<int> failed{0};
  std::atomic<int> closed_after_sync{0};
};

// Starts `count` connections with `start(i)` (called on the controller thread; it
// should post the actual connect), keeping at most `batch` handshakes in flight, then
// waits until every one has synced or failed, or `timeout_s` passed. Returns seconds.
double connect_gradually(int count, int batch, double timeout_s, const phase_counters& pc,
                         const std::function<void(int)>& start, bool progress);

// The value of the first `"key":"…"` string field, found by the exact prefix
// `field` (e.g. R"("type":")"). No unescaping: the fields we read (type, ids, our own
// content) never contain escapes, and a quote inside content is escaped, so a field
// pattern cannot match inside a string value.
std::string_view string_field(std::string_view json, std::string_view field);

// A per-run tag for clientMsgIds: the server deduplicates by (user, clientMsgId), so
// ids must never repeat across runs against the same data directory.
std::string run_tag();

// Filler to bring message content to about `bytes` characters.
std::string padding(int bytes, std::size_t used);

// CPU seconds (user + system) of this process, and of another one via /proc.
double self_cpu_seconds();
std::optional<double> proc_cpu_seconds(int pid);
std::optional<double> proc_rss_mb(int pid);
// Proportional set size: shared pages split among the processes mapping them, so the
// sum over nginx's master and workers counts nchan's shared memory zone once.
std::optional<double> proc_pss_mb(int pid);
// Sums over opt.server_pids (0 when none is alive).
struct server_memory {
  double rss_mb = 0;
  double pss_mb = 0;
};
server_memory servers_memory(const options& opt);
// Source address for connection i under --conns-per-source (empty: no bind).
std::string source_for(const options& opt, int i);
// The CDF of `h` as [[ms, fraction], …] for plots: every percent, then the tail.
void put_cdf(boost::json::object& o, std::string_view key, const histogram& h);
// CPU seconds of the whole machine (all cores, from /proc/stat): busy in total, and
// the part spent in softirq (loopback TCP), which no process is charged for.
struct machine_cpu {
  double busy = 0;
  double softirq = 0;
};
std::optional<machine_cpu> machine_cpu_seconds();

// Writes p50/p90/p99/p99.9/max (ms) of `h` into `o` under `key`.
void put_latency(boost::json::object& o, std::string_view key, const histogram& h);

// Adds CPU usage over a window: loadgen always, the server when --server-pid is set,
// and what everything else on the machine used (a busy neighbour spoils a run).
struct cpu_window {
  double self0 = 0;
  std::optional<double> server0;
  std::optional<machine_cpu> machine0;
  std::int64_t t0 = 0;
  void start(const options& opt);
  void finish(const options& opt, boost::json::object& out) const;
};

boost::json::object run_ack(const options& opt);
boost::json::object run_fanout(const options& opt);
boost::json::object run_agents(const options& opt);
boost::json::object run_idle(const options& opt);
boost::json::object run_reactions(const options& opt);
boost::json::object run_presence(const options& opt);

}  // namespace loadgen
