#pragma once

// What the deterministic actor suites share: a throwaway data directory and CAF's
// test coordinator (messages run only when the test says so).

#include <cstdlib>
#include <filesystem>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

namespace relay::test_support {

struct temp_dir {
  temp_dir() {
    char tmpl[] = "/tmp/relay-actors-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string path;
};

inline caf::actor_system_config& testing_config() {
  static caf::actor_system_config cfg = [] {
    caf::actor_system_config c;
    c.set("scheduler.policy", caf::atom("testing"));
    c.set("logger.verbosity", caf::atom("quiet"));
    return c;
  }();
  return cfg;
}

}  // namespace relay::test_support
