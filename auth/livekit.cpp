#include "auth/livekit.hpp"

#include <cmath>

#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "core/base64.hpp"
#include "core/ids.hpp"

namespace relay::auth::livekit {

namespace json = boost::json;

namespace {

error_info refused(std::string why) {
  return {errc::unauthorized, "webhook refused: " + std::move(why)};
}

// A time claim in seconds. Only values a JSON number holds exactly (|n| <= 2^53, what
// LiveKit's JavaScript and Go SDKs write) count: a larger one, or a double such as 1e300,
// has no int64 value (the conversion is undefined) or overflows `exp + leeway`.
std::optional<std::int64_t> int_claim(const json::object& o, std::string_view key) {
  constexpr std::int64_t max_exact = std::int64_t{1} << 53;
  auto* v = o.if_contains(key);
  if (!v) return std::nullopt;
  std::optional<std::int64_t> n;
  if (v->is_int64()) n = v->as_int64();
  if (v->is_double() && std::abs(v->as_double()) <= static_cast<double>(max_exact))
    n = static_cast<std::int64_t>(v->as_double());
  if (n && (*n > max_exact || *n < -max_exact)) n.reset();
  return n;
}

}  // namespace

std::string body_sha256(std::string_view body) {
  const auto md = sha256(body);
  return base64::encode(std::string_view(reinterpret_cast<const char*>(md.data()), md.size()));
}

std::string mint_join_token(const credentials& c, const join_grant& g) {
  json::object video{{"room", g.room},
                     {"roomJoin", true},
                     {"canSubscribe", true},
                     {"canPublish", g.can_publish},
                     {"canPublishData", g.can_publish}};
  json::object claims{{"iss", c.api_key},         {"sub", g.identity},        {"name", g.name},
                      {"nbf", g.now_s},           {"exp", g.now_s + g.ttl_s}, {"jti", g.jti},
                      {"video", std::move(video)}};
  if (!g.metadata.empty()) claims["metadata"] = g.metadata;
  return jwt::sign_hs256(c.api_secret, json::serialize(claims));
}

error_info verify_webhook(const credentials& c, std::string_view authorization,
                          std::string_view body, std::int64_t now_s) {
  if (authorization.size() > 7 &&
      (authorization.substr(0, 7) == "Bearer " || authorization.substr(0, 7) == "bearer "))
    authorization.remove_prefix(7);
  if (authorization.empty()) return refused("missing Authorization header");
  if (c.api_key.empty() || c.api_secret.empty())
    return {errc::unavailable, "LiveKit is not configured (livekit_api_key, livekit_api_secret)"};
  auto verified = jwt::verify_hs256(c.api_secret, authorization);
  if (auto* e = std::get_if<error_info>(&verified)) return refused(e->message);
  boost::system::error_code ec;
  auto parsed = json::parse(std::get<std::string>(verified), ec);
  const auto* claims = parsed.if_object();
  if (ec || !claims) return refused("JWT payload is not a JSON object");
  auto* iss = claims->if_contains("iss");
  if (!iss || !iss->is_string() || iss->as_string() != c.api_key)
    return refused("JWT issuer is not the LiveKit API key");
  auto exp = int_claim(*claims, "exp");
  if (!exp) return refused("JWT has no exp that is a time");
  if (now_s > *exp + clock_leeway_seconds) return refused("JWT has expired");
  auto nbf = int_claim(*claims, "nbf");
  if (!nbf && claims->contains("nbf")) return refused("JWT has an nbf that is not a time");
  if (nbf && now_s + clock_leeway_seconds < *nbf) return refused("JWT is not valid yet");
  auto* sha = claims->if_contains("sha256");
  if (!sha || !sha->is_string()) return refused("JWT has no sha256 claim");
  if (sha->as_string() != body_sha256(body)) return refused("body does not match its sha256");
  return {};
}

}  // namespace relay::auth::livekit
