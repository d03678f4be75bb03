// A LiveKit webhook as Relay reads it from POST /v1/livekit/webhook: the Authorization
// header (an HS256 JWT: auth/jwt verify_hs256, auth/livekit verify_webhook) and the JSON
// body (protocol/hall_codec decode_webhook). The input is the header value, a
// newline, then the body.
//
// A fuzzer cannot forge an HMAC, so the header is used twice: as sent (the token
// grammar, base64url, the alg pin, the signature check must refuse it) and as the claims
// of a token this target signs with the configured secret (the claim checks behind the
// signature: iss, exp, nbf, sha256). In the claims, `$SHA` stands for the body's real
// sha256, so the fuzzer can reach an accepted webhook and then the body decoder's rules.
// Checked: an accepted webhook really was issued by the key for this body, verify_hs256
// hands back exactly the signed payload, and a decoded event keeps its time rules.

#include <boost/json.hpp>

#include <string>
#include <variant>

#include "auth/jwt.hpp"
#include "auth/livekit.hpp"
#include "auth/signing.hpp"
#include "protocol/hall_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace lk = relay::auth::livekit;
namespace jwt = relay::auth::jwt;
namespace json = boost::json;

namespace {

const lk::credentials creds{"APIfuzzkey", "fuzz-secret-0123456789abcdef"};
constexpr std::int64_t now_s = 1'750'000'000;  // 2025-06-15

void check_accepted(std::string_view token, std::string_view body) {
  auto payload = jwt::verify_hs256(creds.api_secret, token);
  FUZZ_CHECK(std::holds_alternative<std::string>(payload));
  boost::system::error_code ec;
  auto claims = json::parse(std::get<std::string>(payload), ec);
  FUZZ_CHECK(!ec && claims.is_object());
  auto& o = claims.as_object();
  FUZZ_CHECK(o.contains("iss") && o.at("iss") == json::value(creds.api_key));
  FUZZ_CHECK(o.contains("exp"));
  FUZZ_CHECK(o.contains("sha256") && o.at("sha256") == json::value(lk::body_sha256(body)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [header, body] = relay::fuzz::split_first_line(relay::fuzz::as_text(data, size));

  // 1. The header as sent.
  if (!lk::verify_webhook(creds, header, body, now_s)) {
    auto token = header;
    if (token.size() > 7 && (token.substr(0, 7) == "Bearer " || token.substr(0, 7) == "bearer "))
      token.remove_prefix(7);
    check_accepted(token, body);
  }
  auto raw = jwt::verify_hs256(creds.api_secret, header);
  if (auto* e = std::get_if<relay::error_info>(&raw))
    FUZZ_CHECK(e->code == relay::errc::unauthorized && !e->message.empty());

  // 2. The header as claims, signed with the right secret.
  std::string claims(header);
  for (auto at = claims.find("$SHA"); at != std::string::npos; at = claims.find("$SHA", at))
    claims.replace(at, 4, lk::body_sha256(body));
  const auto token = jwt::sign_hs256(creds.api_secret, claims);
  auto back = jwt::verify_hs256(creds.api_secret, token);
  FUZZ_CHECK(std::holds_alternative<std::string>(back) && std::get<std::string>(back) == claims);
  // A token signed with another secret, or a tampered one, is refused.
  FUZZ_CHECK(!std::holds_alternative<std::string>(jwt::verify_hs256("other-secret", token)));
  if (!lk::verify_webhook(creds, "Bearer " + token, body, now_s)) check_accepted(token, body);

  // 3. The body, as the receiver decodes it once the signature holds.
  const std::int64_t received_ms = now_s * 1000;
  auto ev = relay::codec::halls::decode_webhook(body, received_ms);
  if (auto* e = std::get_if<relay::error_info>(&ev)) {
    FUZZ_CHECK(e->code != relay::errc::none && !e->message.empty());
  } else {
    auto& w = std::get<relay::livekit_event>(ev);
    FUZZ_CHECK(!w.event.empty());
    constexpr std::int64_t y2000_ms = 946'684'800'000;
    constexpr std::int64_t day_ms = 86'400'000;
    FUZZ_CHECK(w.created_at >= y2000_ms && w.created_at <= received_ms + day_ms);
    if (w.joined_at) FUZZ_CHECK(*w.joined_at >= y2000_ms && *w.joined_at <= received_ms + day_ms);
  }
  return 0;
}
