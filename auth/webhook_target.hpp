#pragma once

// Where outbound webhooks may send (SSRF): not to loopback, private, link-local (with the
// cloud metadata address 169.254.169.254), unique-local, multicast or unspecified
// addresses, unless the operator allows the host or its address (--webhook-allowed-hosts).
// Checked when a hook is created and again on every delivery after DNS, which then
// connects to the address it checked (auth/http_client.hpp's `vet`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace relay::auth {

/// The operator's exceptions: host names (compared case-insensitively with the URL's
/// host) and networks (a bare address is a network of one).
struct webhook_allowlist {
  struct network {
    std::vector<std::uint8_t> bytes;  // 4 or 16
    int prefix = 0;
  };
  std::vector<std::string> hosts;
  std::vector<network> networks;
};

/// Parses "host,10.0.0.0/8,::1"; nullopt with `error` set on a bad CIDR.
std::optional<webhook_allowlist> parse_webhook_allowlist(std::string_view text, std::string& error);

/// "" when a webhook may connect to `ip` (text form) reached as `host`; else why not.
std::string refused_webhook_address(const std::string& host, const std::string& ip,
                                    const webhook_allowlist& allow);

/// Checks a hook's URL: http or https with a host, and (resolving it, which blocks)
/// every address it resolves to allowed. "" when fine; else the reason for a 400.
std::string check_webhook_url(const std::string& url, const webhook_allowlist& allow);

}  // namespace relay::auth
