#pragma once

#include <functional>
#include <memory>

#include <caf/fwd.hpp>

namespace relay {

namespace storage {
class store;
}

class client_sink;
struct config;

/// Opens a store connection; called once per storage actor (each owns its own).
using store_factory = std::function<std::unique_ptr<storage::store>()>;

/// Handles every long-lived actor needs, built once at start-up.
struct services {
  caf::actor* writer = nullptr;     // the single store writer (group commit)
  caf::actor* readers = nullptr;    // pool of detached store readers
  caf::actor* directory = nullptr;  // slug -> room actor
};

}  // namespace relay
