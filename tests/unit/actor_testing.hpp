#pragma once

// What the deterministic actor suites share: a throwaway data directory (temp_dir.hpp) and CAF's
// test coordinator (messages run only when the test says so).

#include <cstdlib>
#include <filesystem>
#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>

#include "temp_dir.hpp"

namespace relay::test_support {

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
