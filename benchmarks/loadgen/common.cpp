#include "loadgen/common.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <sstream>

namespace loadgen {

io_pool::io_pool(std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread, so Asio can skip
    // its internal locking.
    ctxs_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(ctxs_.back()->get_executor());
  }
  for (auto& c : ctxs_) threads_.emplace_back([ctx = c.get()] { ctx->run(); });
}

io_pool::~io_pool() {
  finish();
}

void io_pool::finish() {
  for (auto& g : guards_) g.reset();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

double connect_gradually(int count, int batch, double timeout_s, const phase_counters& pc,
                         const std::function<void(int)>& start, bool progress) {
  auto t0 = now_ns();
  auto elapsed = [&] { return static_cast<double>(now_ns() - t0) / 1e9; };
  auto done = [&] { return pc.synced.load() + pc.failed.load(); };
  int started = 0;
  int reported = 0;
  while (done() < count && elapsed() < timeout_s) {
    // Gradual: a burst of 10,000 SYNs would overflow the listen backlog and measure
    // the kernel's SYN retry timer instead of the server.
    while (started < count && started - done() < batch) start(started++);
    if (progress && done() >= reported + 1000) {
      reported = done() / 1000 * 1000;
      std::cerr << "  connected " << pc.synced.load() << "/" << count << " (" << pc.failed.load()
                << " failed) after " << elapsed() << " s\n";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return elapsed();
}

std::string_view string_field(std::string_view json, std::string_view field) {
  auto at = json.find(field);
  if (at == std::string_view::npos) return {};
  auto begin = at + field.size();
  auto end = json.find('"', begin);
  if (end == std::string_view::npos) return {};
  return json.substr(begin, end - begin);
}

std::string run_tag() {
  std::ostringstream os;
  os << std::hex
     << (static_cast<std::uint64_t>(now_ns()) ^ (static_cast<std::uint64_t>(getpid()) << 40));
  return os.str();
}

std::string padding(int bytes, std::size_t used) {
  if (bytes <= 0 || static_cast<std::size_t>(bytes) <= used + 1) return {};
  return " " + std::string(static_cast<std::size_t>(bytes) - used - 1, 'x');
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto tv = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

std::optional<double> proc_cpu_seconds(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(f, line)) return std::nullopt;
  // The command name may hold spaces; fields are counted after its closing ')'.
  auto rp = line.rfind(')');
  if (rp == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(rp + 2));
  std::vector<std::string> fields;
  for (std::string s; rest >> s;) fields.push_back(s);
  if (fields.size() < 13) return std::nullopt;
  // utime and stime are fields 14 and 15 of the man page; the list starts at field 3.
  auto ticks = std::stod(fields[11]) + std::stod(fields[12]);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<double> proc_rss_mb(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return std::nullopt;
}

std::optional<double> proc_pss_mb(int pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("Pss:", 0) == 0) return std::stod(line.substr(4)) / 1024.0;
  return std::nullopt;
}

server_memory servers_memory(const options& opt) {
  server_memory m;
  for (int pid : opt.server_pids) {
    m.rss_mb += proc_rss_mb(pid).value_or(0.0);
    m.pss_mb += proc_pss_mb(pid).value_or(0.0);
  }
  return m;
}

std::string source_for(const options& opt, int i) {
  if (opt.conns_per_source <= 0) return {};
  auto k = 2 + i / opt.conns_per_source;
  return "127.0." + std::to_string(k / 256) + "." + std::to_string(k % 256);
}

namespace {
std::optional<double> servers_cpu_seconds(const options& opt) {
  std::optional<double> sum;
  for (int pid : opt.server_pids)
    if (auto s = proc_cpu_seconds(pid)) sum = sum.value_or(0.0) + *s;
  return sum;
}
}  // namespace

std::optional<machine_cpu> machine_cpu_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  if (!(f >> cpu) || cpu != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal; idle and iowait are not busy.
  double v[8] = {};
  for (auto& x : v)
    if (!(f >> x)) return std::nullopt;
  auto tck = static_cast<double>(sysconf(_SC_CLK_TCK));
  return machine_cpu{(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / tck, v[6] / tck};
}

namespace {
double round3(double v) {
  return std::round(v * 1000.0) / 1000.0;
}
}  // namespace

void put_latency(boost::json::object& o, std::string_view key, const histogram& h) {
  boost::json::object l;
  l["count"] = h.count();
  l["p50"] = round3(h.quantile_ms(0.50));
  l["p90"] = round3(h.quantile_ms(0.90));
  l["p99"] = round3(h.quantile_ms(0.99));
  l["p999"] = round3(h.quantile_ms(0.999));
  l["max"] = round3(h.max_ms());
  o[key] = std::move(l);
}

void cpu_window::start(const options& opt) {
  self0 = self_cpu_seconds();
  server0 = servers_cpu_seconds(opt);
  machine0 = machine_cpu_seconds();
  t0 = now_ns();
}

void cpu_window::finish(const options& opt, boost::json::object& out) const {
  auto wall = static_cast<double>(now_ns() - t0) / 1e9;
  if (wall <= 0) return;
  // Percent of one core: 200 means both cores of a 2-core machine were busy.
  auto pct = [wall](double seconds) { return std::round(seconds / wall * 1000.0) / 10.0; };
  auto self = self_cpu_seconds() - self0;
  out["loadgen_cpu_pct"] = pct(self);
  auto server = 0.0;
  if (auto s1 = servers_cpu_seconds(opt); s1 && server0) {
    server = *s1 - *server0;
    out["server_cpu_pct"] = pct(server);
  }
  if (auto m1 = machine_cpu_seconds(); m1 && machine0) {
    auto busy = m1->busy - machine0->busy;
    auto softirq = m1->softirq - machine0->softirq;
    out["machine_cpu_pct"] = pct(busy);
    out["softirq_cpu_pct"] = pct(softirq);
    // Anything beyond server, load generator and softirq: a few percent is noise,
    // tens of percent mean another process competed for the cores during the run.
    out["other_cpu_pct"] = pct(std::max(0.0, busy - softirq - self - server));
  }
  if (!opt.server_pids.empty()) {
    auto m = servers_memory(opt);
    out["server_rss_mb"] = std::round(m.rss_mb * 10.0) / 10.0;
    out["server_pss_mb"] = std::round(m.pss_mb * 10.0) / 10.0;
  }
}

void put_cdf(boost::json::object& o, std::string_view key, const histogram& h) {
  boost::json::array pts;
  if (h.count() > 0) {
    auto add = [&](double q) { pts.push_back(boost::json::array{round3(h.quantile_ms(q)), q}); };
    add(0.0);
    for (int i = 1; i < 100; ++i) add(i / 100.0);
    for (double q : {0.995, 0.999, 0.9995, 0.9999}) add(q);
    pts.push_back(boost::json::array{round3(h.max_ms()), 1.0});
  }
  o[key] = std::move(pts);
}

}  // namespace loadgen
