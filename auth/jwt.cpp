#include "auth/jwt.hpp"

#include <openssl/crypto.h>

#include <boost/json.hpp>

#include "auth/signing.hpp"
#include "core/base64.hpp"

namespace relay::auth::jwt {

namespace {

constexpr std::string_view header_json = R"({"alg":"HS256","typ":"JWT"})";

error_info refused(std::string why) {
  return {errc::unauthorized, std::move(why)};
}

}  // namespace

std::string sign_hs256(std::string_view secret, std::string_view payload_json) {
  std::string signing_input =
      base64::encode_url(header_json) + "." + base64::encode_url(payload_json);
  auto signature = base64::encode_url(hmac_sha256(secret, signing_input));
  return signing_input + "." + signature;
}

std::variant<std::string, error_info> verify_hs256(std::string_view secret,
                                                   std::string_view token) {
  const auto first = token.find('.');
  const auto last = token.rfind('.');
  if (first == std::string_view::npos || first == last || token.find('.', first + 1) != last)
    return refused("not a JWT (expected three dot-separated parts)");
  const auto signing_input = token.substr(0, last);
  const auto signature = token.substr(last + 1);
  auto header = base64::decode_url(token.substr(0, first));
  auto payload = base64::decode_url(token.substr(first + 1, last - first - 1));
  if (!header || !payload) return refused("JWT part is not base64url");
  // The algorithm is pinned: "none" or an asymmetric alg must never reach the HMAC check.
  boost::system::error_code ec;
  auto h = boost::json::parse(*header, ec);
  const auto* ho = h.if_object();
  const auto* alg = ho ? ho->if_contains("alg") : nullptr;
  if (ec || !alg || !alg->is_string() || alg->as_string() != "HS256")
    return refused("JWT header must say alg HS256");
  const std::string expected = base64::encode_url(hmac_sha256(secret, signing_input));
  if (secret.empty() || expected.size() != signature.size() ||
      CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0)
    return refused("JWT signature does not match");
  return std::move(*payload);
}

}  // namespace relay::auth::jwt
