#pragma once

// Where a Redis server is: the one URL form Relay accepts, parsed once at start-up.

#include <cstdint>
#include <string>
#include <string_view>

namespace relay::redis {

/// A Redis server and the database number to SELECT on every connection.
struct endpoint {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 6379;
  int db = 0;
};

/// What `parse_url` gives: the endpoint, or why the URL was refused (`error` not empty).
struct parsed_url {
  endpoint ep;
  std::string error;
  explicit operator bool() const noexcept { return error.empty(); }
};

/// Parses `redis://HOST[:PORT][/DB]`. Anything else is refused with a message saying
/// what is wrong: another scheme (`rediss://` too: hiredis 0.14 has no TLS), a user or
/// password, an empty host, a port outside 1..65535, a DB that is not a number, a query
/// or a fragment.
parsed_url parse_url(std::string_view url);

}  // namespace relay::redis
