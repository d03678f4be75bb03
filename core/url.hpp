#pragma once

// Absolute URLs as Relay reads them (outbound requests, webhook targets, Redis).

#include <string_view>

#include <boost/url/grammar/error.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace relay {

/// boost::urls::parse_uri, minus a Boost.URL 1.81 flaw: an authority whose host starts
/// like an IPv4 address (`127.0.0.1.example.com:8080`, `1.2.3.4evil`) parses as that
/// address with the rest of the authority, port included, taken for a path that does
/// not start with '/', which RFC 3986 (3.3) forbids after an authority. Such a URL
/// would name one host and reach another, so it is refused here.
inline boost::system::result<boost::urls::url_view> parse_absolute_url(std::string_view text) {
  auto u = boost::urls::parse_uri(text);
  if (!u) return u;
  const auto path = u->encoded_path();
  if (u->has_authority() && !path.empty() && path.front() != '/')
    return boost::system::error_code{boost::urls::grammar::error::invalid};
  return u;
}

}  // namespace relay
