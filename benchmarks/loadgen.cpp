// relay_loadgen: WebSocket load generator for Relay.
//
//   relay_loadgen ack    --port P --tokens-file F [--conns N] [--rate R | --window W] ...
//   relay_loadgen fanout --port P --tokens-file F [--subs S] --rate R ...
//   relay_loadgen agents --port P --agent-tokens-file A --app-tokens-file B [--rate R] ...
//   relay_loadgen idle   --port P --tokens-file F --conns N --duration S
//   relay_loadgen fanout|idle --peer nchan --port P ...   (the same load against nchan)
//
// Prints one JSON line of results on stdout and a human summary on stderr.
// See benchmarks/README.md for what each mode measures.

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>

#include <boost/json/serialize.hpp>

#include "loadgen/common.hpp"

namespace {

using loadgen::options;

int usage() {
  std::cerr
      << "usage: relay_loadgen ack|fanout|agents|idle|reactions|presence [options]\n"
         "  --host IP (127.0.0.1)  --port N (8080)  --room SLUG (lobby)\n"
         "  --token T (repeatable) | --tokens-file FILE (one rlt_ token a line)\n"
         "  --threads N (1)        io_context threads for the measured connections\n"
         "  --duration S (10)      seconds of sending\n"
         "  --rate R               offered msgs/s in total (ack: 0 = closed loop)\n"
         "  --content-bytes N (32) message content size\n"
         "  --connect-batch N (200) handshakes in flight at once\n"
         "  --drain S (10)         max wait for outstanding acks/deliveries\n"
         "  --server-pid PID       report the server's CPU and RSS (repeatable: summed)\n"
         "  --peer relay|nchan     fanout/idle: Relay's room socket, or nchan's /sub and /pub\n"
         "  --conns-per-source N   bind connection i to 127.0.0.(2 + i/N) (0: no bind)\n"
         "  --label TEXT           copied into the JSON result\n"
         "  --tag KEY=VALUE        extra field for the JSON result (repeatable)\n"
         "ack:    --conns N (10)  --window W (1)  --warmup S (1)\n"
         "fanout: --subs S (1000) --slow-subs N (0) --stall-at S (2) --stall-for S (10)\n"
         "        --slow-rcvbuf BYTES (0) --resume 0|1 (1: slow ones reconnect with ?resume=)\n"
         "idle:   --conns N (10) connections held for --duration S; server memory per connection\n"
         "agents: --agent-tokens-file F (lines 'AGENT_ID rla_…' or 'rla_…' = agent a<line>)\n"
         "        --app-tokens-file F (one rlk_ token a line)\n"
         "        --agents N (100) --apps M (100) --tokens-per-event K (50) --in-flight E (4)\n"
         "        --rate R (tokens/s in total; 0 = saturation) --warmup S (1)\n"
         "        --agent-threads N (1) --agent-queue N (8, saturation: frames queued per agent)\n"
         "        --pace-tick-us U (1000, paced: the pacer wakes at most every U µs; 0 = per "
         "token)\n"
         "        --slow-apps N (0) --stall-at S (2) --stall-for S (10) --slow-tokens K (K)\n"
         "        --slow-rate R (tokens/s into the slow apps' events; 0 = unpaced)\n"
         "        (--threads is the apps' io threads; --content-bytes the reply content)\n"
         "reactions: --subs S (1000) --rate R: R msgs/s over the WebSocket, then R reactions/s\n"
         "        over REST (PUT, DELETE), each for --duration S; --http-conns N (8) --warmup S "
         "(1)\n"
         "presence: --users-file F (lines 'login rlt_…') --watcher-token T --via "
         "heartbeat|sockets\n"
         "        --heartbeat-interval S (4) --leavers N (100) --presence-ttl S (10, the "
         "server's)\n"
         "        --redis-port P (Redis INFO over the window) --http-conns N (8) --duration S\n";
  return 2;
}

template <class T>
bool parse_num(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

bool parse_args(int argc, char** argv, options& o) {
  if (argc < 2) return false;
  o.mode = argv[1];
  if (o.mode != "ack" && o.mode != "fanout" && o.mode != "agents" && o.mode != "idle" &&
      o.mode != "reactions" && o.mode != "presence")
    return false;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "relay_loadgen: " << a << " needs a value\n";
      return false;
    }
    std::string_view v = argv[++i];
    bool ok = true;
    if (a == "--host")
      o.server.host = v;
    else if (a == "--port")
      ok = parse_num(v, o.server.port);
    else if (a == "--room")
      o.room = v;
    else if (a == "--peer") {
      o.peer = v;
      ok = o.peer == "relay" || o.peer == "nchan";
    } else if (a == "--conns-per-source")
      ok = parse_num(v, o.conns_per_source) && o.conns_per_source >= 0;
    else if (a == "--slow-subs")
      ok = parse_num(v, o.slow_subs) && o.slow_subs >= 0;
    else if (a == "--slow-rcvbuf")
      ok = parse_num(v, o.slow_rcvbuf) && o.slow_rcvbuf >= 0;
    else if (a == "--resume") {
      int r = 1;
      ok = parse_num(v, r);
      o.resume = r != 0;
    } else if (a == "--token")
      o.tokens.emplace_back(v);
    else if (a == "--tokens-file") {
      std::ifstream f{std::string(v)};
      ok = static_cast<bool>(f);
      for (std::string line; std::getline(f, line);)
        if (!line.empty()) o.tokens.push_back(line);
    } else if (a == "--threads")
      ok = parse_num(v, o.threads) && o.threads > 0;
    else if (a == "--conns")
      ok = parse_num(v, o.conns) && o.conns > 0;
    else if (a == "--subs")
      ok = parse_num(v, o.subs) && o.subs > 0;
    else if (a == "--rate")
      ok = parse_num(v, o.rate) && o.rate >= 0;
    else if (a == "--window")
      ok = parse_num(v, o.window) && o.window > 0;
    else if (a == "--duration")
      ok = parse_num(v, o.duration) && o.duration > 0;
    else if (a == "--warmup")
      ok = parse_num(v, o.warmup) && o.warmup >= 0;
    else if (a == "--drain")
      ok = parse_num(v, o.drain) && o.drain >= 0;
    else if (a == "--connect-batch")
      ok = parse_num(v, o.connect_batch) && o.connect_batch > 0;
    else if (a == "--content-bytes")
      ok = parse_num(v, o.content_bytes) && o.content_bytes > 0;
    else if (a == "--server-pid") {
      int pid = 0;
      ok = parse_num(v, pid) && pid > 0;
      if (ok) o.server_pids.push_back(pid);
      if (ok && o.server_pid == 0) o.server_pid = pid;
    } else if (a == "--agent-tokens-file") {
      std::ifstream f{std::string(v)};
      ok = static_cast<bool>(f);
      for (std::string line; std::getline(f, line);) {
        if (line.empty()) continue;
        auto sp = line.find(' ');
        if (sp == std::string::npos)
          o.agent_tokens.emplace_back("a" + std::to_string(o.agent_tokens.size()), line);
        else
          o.agent_tokens.emplace_back(line.substr(0, sp), line.substr(sp + 1));
      }
    } else if (a == "--app-tokens-file") {
      std::ifstream f{std::string(v)};
      ok = static_cast<bool>(f);
      for (std::string line; std::getline(f, line);)
        if (!line.empty()) o.app_tokens.push_back(line);
    } else if (a == "--agents")
      ok = parse_num(v, o.agents) && o.agents > 0;
    else if (a == "--apps")
      ok = parse_num(v, o.apps) && o.apps > 0;
    else if (a == "--tokens-per-event")
      ok = parse_num(v, o.tokens_per_event) && o.tokens_per_event > 0;
    else if (a == "--in-flight")
      ok = parse_num(v, o.in_flight) && o.in_flight > 0;
    else if (a == "--agent-threads")
      ok = parse_num(v, o.agent_threads) && o.agent_threads > 0;
    else if (a == "--agent-queue")
      ok = parse_num(v, o.agent_queue) && o.agent_queue > 0;
    else if (a == "--pace-tick-us")
      ok = parse_num(v, o.pace_tick_us) && o.pace_tick_us >= 0;
    else if (a == "--slow-apps")
      ok = parse_num(v, o.slow_apps) && o.slow_apps >= 0;
    else if (a == "--stall-at")
      ok = parse_num(v, o.stall_at) && o.stall_at >= 0;
    else if (a == "--stall-for")
      ok = parse_num(v, o.stall_for) && o.stall_for >= 0;
    else if (a == "--slow-tokens")
      ok = parse_num(v, o.slow_tokens) && o.slow_tokens >= 0;
    else if (a == "--slow-rate")
      ok = parse_num(v, o.slow_rate) && o.slow_rate >= 0;
    else if (a == "--http-conns")
      ok = parse_num(v, o.http_conns) && o.http_conns > 0;
    else if (a == "--users-file") {
      std::ifstream f{std::string(v)};
      ok = static_cast<bool>(f);
      for (std::string line; std::getline(f, line);) {
        auto sp = line.find(' ');
        if (sp != std::string::npos) o.users.emplace_back(line.substr(0, sp), line.substr(sp + 1));
      }
    } else if (a == "--watcher-token")
      o.watcher_token = v;
    else if (a == "--via") {
      o.via = v;
      ok = o.via == "heartbeat" || o.via == "sockets";
    } else if (a == "--heartbeat-interval")
      ok = parse_num(v, o.heartbeat_interval) && o.heartbeat_interval > 0;
    else if (a == "--leavers")
      ok = parse_num(v, o.leavers) && o.leavers >= 0;
    else if (a == "--presence-ttl")
      ok = parse_num(v, o.presence_ttl) && o.presence_ttl > 0;
    else if (a == "--redis-port")
      ok = parse_num(v, o.redis_port) && o.redis_port >= 0;
    else if (a == "--label")
      o.label = v;
    else if (a == "--tag") {
      auto eq = v.find('=');
      ok = eq != std::string_view::npos && eq > 0;
      if (ok) o.tags.emplace_back(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1)));
    } else {
      std::cerr << "relay_loadgen: unknown option " << a << "\n";
      return false;
    }
    if (!ok) {
      std::cerr << "relay_loadgen: bad value for " << a << ": " << v << "\n";
      return false;
    }
  }
  o.server.path = o.peer == "nchan" ? "/sub/" + o.room : "/api/ws/rooms/" + o.room;
  if (o.mode == "agents") {
    if (static_cast<int>(o.agent_tokens.size()) < o.agents ||
        static_cast<int>(o.app_tokens.size()) < o.apps) {
      std::cerr << "relay_loadgen: agents needs --agents N tokens in --agent-tokens-file (got "
                << o.agent_tokens.size() << ") and --apps M in --app-tokens-file (got "
                << o.app_tokens.size() << ")\n";
      return false;
    }
    if (o.slow_apps > o.apps) o.slow_apps = o.apps;
    if (o.warmup >= o.duration) o.warmup = 0;
    return true;
  }
  if (o.mode == "presence") {
    if (o.users.empty() || o.watcher_token.empty()) {
      std::cerr << "relay_loadgen: presence needs --users-file (lines 'login rlt_…') and "
                   "--watcher-token\n";
      return false;
    }
    return true;
  }
  if (o.mode == "reactions" && o.warmup >= o.duration) o.warmup = 0;
  if (o.peer == "nchan") {
    // nchan's subscribers are anonymous; one empty token keeps the round robin simple.
    o.tokens.assign(1, std::string());
  } else if (o.tokens.empty()) {
    std::cerr << "relay_loadgen: give at least one --token or a --tokens-file\n";
    return false;
  }
  if (o.mode == "ack" && o.warmup >= o.duration) o.warmup = 0;
  return true;
}

// Each connection is a file descriptor; 10,000 subscribers need far more than the
// usual soft limit of 1024.
void raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  std::cerr << "relay_loadgen: RLIMIT_NOFILE " << rl.rlim_cur << "\n";
}

std::string utc_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Boost.JSON writes every double in exponent form ("1.5E1"); results are read by
// people and shell tools too, so numbers go out in their shortest plain form.
void write_json(std::ostream& os, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      os << '{';
      bool first = true;
      for (auto& [k, x] : v.as_object()) {
        os << (first ? "" : ",") << boost::json::serialize(boost::json::string_view(k)) << ':';
        write_json(os, x);
        first = false;
      }
      os << '}';
      return;
    }
    case boost::json::kind::array: {
      os << '[';
      bool first = true;
      for (auto& x : v.as_array()) {
        os << (first ? "" : ",");
        write_json(os, x);
        first = false;
      }
      os << ']';
      return;
    }
    case boost::json::kind::double_: {
      char buf[64];
      auto d = v.as_double();
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      os << std::string_view(buf, static_cast<std::size_t>(r.ptr - buf));
      return;
    }
    default:
      os << boost::json::serialize(v);
  }
}

double num(const boost::json::object& o, std::string_view k) {
  auto* v = o.if_contains(k);
  return v && v->is_number() ? v->to_number<double>() : 0.0;
}

double lat(const boost::json::object& o, std::string_view k, std::string_view q) {
  auto* v = o.if_contains(k);
  return v && v->is_object() ? num(v->as_object(), q) : 0.0;
}

void summary(const options& opt, const boost::json::object& r) {
  auto& e = std::cerr;
  e << std::setprecision(10);  // counts in full, not 1.5e+06
  if (opt.mode == "ack") {
    e << "ack: " << opt.conns << " senders, "
      << (opt.rate > 0 ? std::to_string(static_cast<long>(opt.rate)) + " msgs/s offered"
                       : "closed loop, window " + std::to_string(opt.window))
      << "\n  acked " << num(r, "acked_per_s") << " msgs/s; ack latency ms p50 "
      << lat(r, "ack_ms", "p50") << "  p90 " << lat(r, "ack_ms", "p90") << "  p99 "
      << lat(r, "ack_ms", "p99") << "  max " << lat(r, "ack_ms", "max") << "\n  sent "
      << num(r, "sent") << ", acked " << num(r, "acked") << ", unacked " << num(r, "unacked")
      << ", lost on server close " << num(r, "lost_on_close") << ", fan-out frames/s "
      << num(r, "message_frames_per_s") << ", cpu loadgen " << num(r, "loadgen_cpu_pct")
      << "% server " << num(r, "server_cpu_pct") << "%\n";
  } else if (opt.mode == "agents") {
    e << "agents: " << opt.agents << " agents, " << opt.apps << " apps x " << opt.in_flight
      << " events in flight, " << opt.tokens_per_event << " tokens/event, "
      << (opt.rate > 0 ? std::to_string(static_cast<long>(opt.rate)) + " tokens/s offered"
                       : "saturation")
      << "\n  relayed " << num(r, "tokens_per_s") << " tokens/s (agents sent "
      << num(r, "tokens_sent_per_s") << "/s), " << num(r, "events_per_s")
      << " events/s; added latency ms p50 " << lat(r, "token_ms", "p50") << "  p99 "
      << lat(r, "token_ms", "p99") << "  max " << lat(r, "token_ms", "max") << "\n  events sent "
      << num(r, "events_sent") << ", replies " << num(r, "replies") << ", unfinished "
      << num(r, "unfinished") << ", lost on close " << num(r, "lost_on_close") << ", violations "
      << num(r, "violations_total") << ", cpu loadgen " << num(r, "loadgen_cpu_pct") << "% server "
      << num(r, "server_cpu_pct") << "%, server RSS " << num(r, "server_rss_mb_end") << " MB\n";
  } else if (opt.mode == "reactions") {
    e << "reactions: " << num(r, "subs_synced") << "/" << opt.subs << " subscribers, " << opt.rate
      << "/s of each\n  messages e2e ms p50 " << lat(r, "msg_e2e_ms", "p50") << "  p99 "
      << lat(r, "msg_e2e_ms", "p99") << "; reactions e2e ms p50 "
      << lat(r, "reaction_e2e_ms", "p50") << "  p99 " << lat(r, "reaction_e2e_ms", "p99")
      << "; p99 ratio " << num(r, "p99_ratio_reactions_over_messages") << "\n  reactions ok "
      << num(r, "reactions_ok") << "/" << num(r, "reactions_sent") << ", received "
      << num(r, "reaction_received") << "/" << num(r, "reaction_expected") << ", messages received "
      << num(r, "msg_received") << "/" << num(r, "msg_expected") << ", cpu server "
      << num(r, "server_cpu_pct") << "%\n";
  } else if (opt.mode == "presence") {
    e << "presence (" << opt.via << "): " << num(r, "online_seen") << "/" << opt.users.size()
      << " users seen online\n  server cpu " << num(r, "server_cpu_pct") << "%, redis "
      << num(r, "redis_ops_per_s") << " ops/s (cpu " << num(r, "redis_cpu_pct")
      << "%); offline delay ms p50 " << lat(r, "offline_delay_ms", "p50") << "  p99 "
      << lat(r, "offline_delay_ms", "p99") << "  max " << lat(r, "offline_delay_ms", "max")
      << "\n  unseen " << num(r, "offline_unseen") << ", later than TTL+1s "
      << num(r, "offline_later_than_ttl_plus_1s") << ", false offline "
      << num(r, "false_offline_users") << "\n";
  } else if (opt.mode == "idle") {
    e << "idle: " << num(r, "conns_synced") << "/" << opt.conns << " connections to " << opt.peer
      << "\n  server memory empty " << num(r, "server_pss_mb_empty") << " MB PSS, loaded "
      << num(r, "server_pss_mb_loaded") << " MB; per connection " << num(r, "kb_per_conn_pss")
      << " KB (PSS), " << num(r, "kb_per_conn_rss") << " KB (RSS)\n";
  } else {
    e << "fanout (" << opt.peer << "): " << num(r, "subs_synced") << "/" << opt.subs
      << " subscribers, " << opt.rate << " msgs/s published\n  deliveries/s "
      << num(r, "deliveries_per_s") << " (offered " << num(r, "offered_deliveries_per_s")
      << "); e2e latency ms p50 " << lat(r, "e2e_ms", "p50") << "  p99 " << lat(r, "e2e_ms", "p99")
      << "  max " << lat(r, "e2e_ms", "max") << "\n  expected " << num(r, "expected")
      << ", received " << num(r, "received") << ", lost " << num(r, "lost") << " ("
      << num(r, "lost_pct") << "%), cpu loadgen " << num(r, "loadgen_cpu_pct") << "% server "
      << num(r, "server_cpu_pct") << "%\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  if (!parse_args(argc, argv, opt)) return usage();
  raise_nofile();
  auto started = utc_now();
  auto result = opt.mode == "ack"         ? loadgen::run_ack(opt)
                : opt.mode == "agents"    ? loadgen::run_agents(opt)
                : opt.mode == "idle"      ? loadgen::run_idle(opt)
                : opt.mode == "reactions" ? loadgen::run_reactions(opt)
                : opt.mode == "presence"  ? loadgen::run_presence(opt)
                                          : loadgen::run_fanout(opt);
  boost::json::object line{{"mode", opt.mode},       {"label", opt.label},
                           {"peer", opt.peer},       {"started", started},
                           {"threads", opt.threads}, {"content_bytes", opt.content_bytes}};
  for (auto& [k, v] : opt.tags) line[k] = v;
  for (auto& [k, v] : result) line[k] = v;
  write_json(std::cout, line);
  std::cout << std::endl;
  summary(opt, result);
  return result.contains("error") ? 1 : 0;
}
