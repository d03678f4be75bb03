#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace relay;

// name{labels} -> value, from the exposition text; also checks every line's shape.
std::map<std::string, std::string> samples(const std::string& text) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP relay_", 0) == 0 || line.rfind("# TYPE relay_", 0) == 0) continue;
    auto sp = line.rfind(' ');
    EXPECT_NE(sp, std::string::npos) << line;
    EXPECT_EQ(line.rfind("relay_", 0), 0u) << line;
    out[line.substr(0, sp)] = line.substr(sp + 1);
  }
  return out;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  metrics::histogram h{0.001, 0.01, 0.1};
  for (double v : {0.0005, 0.001, 0.005, 0.05, 3.0}) h.observe(v);
  {
    metrics::histogram::tally t(h);  // a batch lands in one go
    t.add(0.002);
    t.add(0.2);
  }
  EXPECT_EQ(h.count(), 7u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.0005 + 0.001 + 0.005 + 0.05 + 3.0 + 0.002 + 0.2);
  metrics::relay_metrics m;
  m.ack_seconds.observe(0.003);
  m.ack_seconds.observe(0.7);
  m.connections[static_cast<int>(metrics::conn_class::sse)].add(2);
  m.dropped_ephemeral.inc(5);
  auto s = samples(metrics::render(m));
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.0025\"}"], "0");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.005\"}"], "1");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"0.5\"}"], "1");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"1\"}"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_bucket{le=\"+Inf\"}"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_count"], "2");
  EXPECT_EQ(s["relay_ack_latency_seconds_sum"], "0.703");
  EXPECT_EQ(s["relay_connections{class=\"sse\"}"], "2");
  EXPECT_EQ(s["relay_connections{class=\"ws\"}"], "0");
  EXPECT_EQ(s["relay_frames_dropped_total{reason=\"ephemeral\"}"], "5");
  EXPECT_EQ(s.count("relay_delivery_latency_seconds_bucket{le=\"0.0001\"}"), 1u);
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  metrics::relay_metrics m;
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        m.deliveries.inc();
        m.delivery_seconds.observe(0.001 * (i % 7));
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(m.deliveries.value(), 40000u);
  EXPECT_EQ(m.delivery_seconds.count(), 40000u);
}

TEST(Metrics, EveryFamilyIsRegisteredOnceWithHelpAndType) {
  metrics::relay_metrics m;
  const auto text = metrics::render(m);
  std::set<std::string> names;
  for (const auto* f : m.families.families()) {
    EXPECT_TRUE(names.insert(f->name()).second) << f->name() << " is declared twice";
    const std::string name = std::string("relay_") + f->name();
    EXPECT_NE(
        text.find("# HELP " + name + " " + f->help() + "\n# TYPE " + name + " " + f->type() + "\n"),
        std::string::npos)
        << name;
  }
  EXPECT_EQ(names.size(), 31u);  // docs/metrics.md lists each of them
}

TEST(Metrics, ADeclaredMetricRendersItself) {
  // What adding a metric takes: one member in a struct with a registry.
  struct extra {
    metrics::registry families;
    metrics::single<metrics::gauge> temperature{families, "temperature", "How warm it is."};
    metrics::labelled<metrics::counter, 2> drops{families, "drops_total", "Drops by reason.",
                                                 "reason", metrics::drop_reason_names};
  } e;
  e.temperature.set(-3);
  e.drops[1].inc(2);
  std::string out;
  for (const auto* f : e.families.families()) f->write_samples(out);
  EXPECT_EQ(out,
            "relay_temperature -3\n"
            "relay_drops_total{reason=\"ephemeral\"} 0\n"
            "relay_drops_total{reason=\"coalesced\"} 2\n");
}

}  // namespace
