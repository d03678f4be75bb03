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

}  // namespace relay
