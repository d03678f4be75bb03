#pragma once

namespace pqxx {
class connection_base;
}

namespace relay::storage::postgres {

/// Highest schema version of the Postgres store this build knows.
int latest_schema_version();

/// Applies the pending versions in one transaction holding an advisory lock, so nodes
/// starting together apply each version once (table relay_schema holds the versions
/// applied). Throws when the database is newer than this build or a step fails.
void migrate(pqxx::connection_base& c);

}  // namespace relay::storage::postgres
