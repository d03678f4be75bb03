#pragma once

#include "config/options.hpp"

namespace relay {

/// Runs `user add …` / `token create …` against the data directory's store and
/// returns the process exit code. Safe while a server runs on the same directory.
int run_operator_command(const config& cfg, const command_line& cmd);

}  // namespace relay
