#pragma once

namespace relay::api {

/// --search-index off (docs/operations.md, "Search index"): messages are not indexed, so
/// search answers 503 rather than stale results. Set once at start, before serving.
void set_search_off(bool off) noexcept;

}  // namespace relay::api
