#include "redis/url.hpp"

#include <charconv>
#include <limits>

#include "core/url.hpp"

namespace relay::redis {

namespace {

parsed_url refuse(std::string_view url, std::string why) {
  return {{}, "expected redis://HOST[:PORT][/DB], got '" + std::string{url} + "': " + why};
}

}  // namespace

parsed_url parse_url(std::string_view url) {
  auto parsed = parse_absolute_url(url);
  if (!parsed) return refuse(url, "not a URL");
  const auto& u = *parsed;
  if (u.scheme() == "rediss") return refuse(url, "TLS (rediss://) is not supported");
  if (u.scheme() != "redis") return refuse(url, "the scheme must be redis");
  if (u.has_userinfo()) return refuse(url, "a user or password is not supported");
  if (u.has_query() || u.has_fragment()) return refuse(url, "no query or fragment is allowed");
  parsed_url out;
  switch (u.host_type()) {
    case boost::urls::host_type::ipv6:
      out.ep.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      // A percent-encoded byte in a host name is legal URL syntax but no real host.
      if (u.encoded_host().find('%') != std::string_view::npos)
        return refuse(url, "the host may not be percent-encoded");
      out.ep.host = std::string{u.encoded_host()};
      break;
    default:
      break;
  }
  if (out.ep.host.empty()) return refuse(url, "the host is missing");
  if (u.has_port()) {
    auto p = u.port();
    unsigned n = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || ec != std::errc{} || end != p.data() + p.size() || n == 0 || n > 65535)
      return refuse(url, "the port must be a number from 1 to 65535");
    out.ep.port = static_cast<std::uint16_t>(n);
  }
  auto path = u.encoded_path();
  if (!path.empty() && path != "/") {
    auto db = path.substr(1);
    int n = 0;
    auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), n);
    if (ec != std::errc{} || end != db.data() + db.size() || n < 0)
      return refuse(url, "the path must be /DB, a database number");
    out.ep.db = n;
  }
  return out;
}

}  // namespace relay::redis
