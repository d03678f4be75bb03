#pragma once

#include "config/options.hpp"

namespace relay {

/// Runs `user add …` / `token create …` (and the other commands below) against the data
/// directory's store and returns the process exit code. Safe while a server runs on the
/// same directory, except `store copy-to-postgres`, which refuses to.
int run_operator_command(const config& cfg, const command_line& cmd);

namespace storage {
class store;
}

/// The agent relay's commands (`agent add|rotate`, `app add|allow`); -1 when `cmd`
/// is none of them.
int run_agent_command(storage::store& db, const command_line& cmd);

/// `store copy-to-postgres POSTGRES_URL`: the data directory's SQLite store into an empty
/// Postgres store of record, with the server stopped; -1 when `cmd` is another command.
int run_copy_command(const config& cfg, const command_line& cmd);

/// `search-index status|rebuild` on the single node's SQLite store, with the server
/// stopped; -1 when `cmd` is another command.
int run_search_index_command(const config& cfg, const command_line& cmd);

/// The server's --search-index at its start, before it serves (single node only): off
/// stops indexing; on after an off start re-indexes what was missed. An error message,
/// or empty.
std::string apply_search_index_option(const config& cfg);

/// `hallkey create --plan starter|growth [--test]`: a new hall workspace and its API
/// key; -1 when `cmd` is not a hall command.
int run_hall_command(storage::store& db, const command_line& cmd);

}  // namespace relay
