#include "auth/webhook_target.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "core/url.hpp"

namespace relay::auth {

namespace {

namespace ip = boost::asio::ip;

std::string lower(std::string_view s) {
  std::string out{s};
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::vector<std::uint8_t> bytes_of(const ip::address& a) {
  if (a.is_v4()) {
    auto b = a.to_v4().to_bytes();
    return {b.begin(), b.end()};
  }
  auto b = a.to_v6().to_bytes();
  return {b.begin(), b.end()};
}

bool in_network(const std::vector<std::uint8_t>& addr, const webhook_allowlist::network& n) {
  if (addr.size() != n.bytes.size()) return false;
  int bits = n.prefix;
  for (std::size_t i = 0; i < addr.size() && bits > 0; ++i, bits -= 8) {
    const int take = std::min(bits, 8);
    const auto mask = static_cast<std::uint8_t>(0xFF << (8 - take));
    if ((addr[i] & mask) != (n.bytes[i] & mask)) return false;
  }
  return true;
}

// Why an address is not a public unicast one, or "".
std::string special_v4(const ip::address_v4& a) {
  auto b = a.to_bytes();
  if (b[0] == 0) return "an unspecified (0.0.0.0/8) address";
  if (b[0] == 127) return "a loopback address";
  if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xF0) == 16) || (b[0] == 192 && b[1] == 168))
    return "a private (RFC 1918) address";
  if (b[0] == 169 && b[1] == 254) return "a link-local or cloud metadata address";
  if (b[0] == 100 && (b[1] & 0xC0) == 64) return "a shared (carrier-grade NAT) address";
  if (b[0] >= 224) return "a multicast or reserved address";
  return {};
}

std::string special(const ip::address& a) {
  if (a.is_v4()) return special_v4(a.to_v4());
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return special_v4(ip::make_address_v4(ip::v4_mapped, v6));
  if (v6.is_unspecified()) return "an unspecified address";
  if (v6.is_loopback()) return "a loopback address";
  auto b = v6.to_bytes();
  if ((b[0] & 0xFE) == 0xFC) return "a unique-local address";
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return "a link-local address";
  if (b[0] == 0xFF) return "a multicast address";
  return {};
}

}  // namespace

std::optional<webhook_allowlist> parse_webhook_allowlist(std::string_view text,
                                                         std::string& error) {
  webhook_allowlist out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto entry = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (entry.empty()) continue;
    auto slash = entry.find('/');
    boost::system::error_code ec;
    auto addr = ip::make_address(std::string{entry.substr(0, slash)}, ec);
    if (ec) {
      if (slash != std::string_view::npos) {
        error = "'" + std::string{entry} + "' is not a CIDR";
        return std::nullopt;
      }
      out.hosts.push_back(lower(entry));
      continue;
    }
    webhook_allowlist::network n{bytes_of(addr), addr.is_v4() ? 32 : 128};
    if (slash != std::string_view::npos) {
      const auto bits = std::string{entry.substr(slash + 1)};
      const int max = n.prefix;
      if (bits.empty() || bits.size() > 3 ||
          !std::all_of(bits.begin(), bits.end(), [](unsigned char c) { return std::isdigit(c); }) ||
          std::stoi(bits) > max) {
        error = "'" + std::string{entry} + "' has a bad prefix length";
        return std::nullopt;
      }
      n.prefix = std::stoi(bits);
    }
    out.networks.push_back(std::move(n));
  }
  return out;
}

std::string refused_webhook_address(const std::string& host, const std::string& ip_text,
                                    const webhook_allowlist& allow) {
  const auto h = lower(host);
  if (std::find(allow.hosts.begin(), allow.hosts.end(), h) != allow.hosts.end()) return {};
  boost::system::error_code ec;
  auto addr = ip::make_address(ip_text, ec);
  if (ec) return "'" + ip_text + "' is not an address";
  const auto bytes = bytes_of(addr);
  for (auto& n : allow.networks)
    if (in_network(bytes, n)) return {};
  // An IPv4-mapped IPv6 address is allowed as its IPv4 address would be.
  if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
    auto v4 = bytes_of(ip::make_address_v4(ip::v4_mapped, addr.to_v6()));
    for (auto& n : allow.networks)
      if (in_network(v4, n)) return {};
  }
  auto why = special(addr);
  if (why.empty()) return {};
  return host + " resolves to " + ip_text + ", " + why +
         " (an operator may allow it with --webhook-allowed-hosts)";
}

std::string check_webhook_url(const std::string& url, const webhook_allowlist& allow) {
  auto parsed = parse_absolute_url(url);
  if (!parsed) return "url must be an absolute http or https URL";
  const auto& u = *parsed;
  if (u.scheme_id() != boost::urls::scheme::http && u.scheme_id() != boost::urls::scheme::https)
    return "url must be http or https";
  if (!u.has_authority() || u.encoded_host().empty()) return "url has no host";
  if (u.has_userinfo()) return "url must not carry credentials";
  const std::string host = u.host_address();
  const std::string port = u.has_port()
                               ? std::string(u.port())
                               : (u.scheme_id() == boost::urls::scheme::https ? "443" : "80");
  boost::asio::io_context ioc;
  ip::tcp::resolver resolver{ioc};
  boost::system::error_code ec;
  auto found = resolver.resolve(host, port, ec);
  if (ec || found.empty()) return "url's host " + host + " does not resolve";
  for (const auto& e : found) {
    auto why = refused_webhook_address(host, e.endpoint().address().to_string(), allow);
    if (!why.empty()) return "url refused: " + why;
  }
  return {};
}

}  // namespace relay::auth
