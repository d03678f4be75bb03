// LiveKit tokens: HS256 JWTs, the join token's claims, and webhook verification.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "auth/livekit.hpp"
#include "auth/signing.hpp"
#include "core/base64.hpp"

using namespace relay;
namespace json = boost::json;
namespace lk = relay::auth::livekit;

namespace {

const lk::credentials creds{"APIkey123", "a-secret-that-is-long-enough-for-hs256-0123"};
constexpr std::int64_t now_s = 1777937400;  // 2026-05-04T23:30:00Z

json::object payload_of(const std::string& token) {
  auto v = auth::jwt::verify_hs256(creds.api_secret, token);
  EXPECT_TRUE(std::holds_alternative<std::string>(v));
  return json::parse(std::get<std::string>(v)).as_object();
}

std::string part(const std::string& token, int i) {
  auto a = token.find('.');
  auto b = token.find('.', a + 1);
  if (i == 0) return token.substr(0, a);
  if (i == 1) return token.substr(a + 1, b - a - 1);
  return token.substr(b + 1);
}

// A webhook Authorization as LiveKit makes it: iss = key, exp, nbf, sha256 of the body.
std::string webhook_auth(const std::string& body, json::object extra = {},
                         const std::string& secret = creds.api_secret) {
  json::object claims{{"iss", creds.api_key},
                      {"nbf", now_s},
                      {"exp", now_s + 600},
                      {"sha256", lk::body_sha256(body)}};
  for (auto& kv : extra) {
    if (kv.value().is_null())
      claims.erase(kv.key());
    else
      claims[kv.key()] = kv.value();
  }
  return auth::jwt::sign_hs256(secret, json::serialize(claims));
}

}  // namespace

TEST(jwt, signs_and_verifies_hs256) {
  auto token = auth::jwt::sign_hs256("k", R"({"a":1})");
  EXPECT_EQ(*base64::decode_url(part(token, 0)), R"({"alg":"HS256","typ":"JWT"})");
  auto v = auth::jwt::verify_hs256("k", token);
  ASSERT_TRUE(std::holds_alternative<std::string>(v));
  EXPECT_EQ(std::get<std::string>(v), R"({"a":1})");
}

TEST(jwt, refuses_a_wrong_key_a_changed_payload_and_other_algorithms) {
  auto token = auth::jwt::sign_hs256("k", R"({"a":1})");
  EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("other", token)));
  auto forged = part(token, 0) + "." + base64::encode_url(R"({"a":2})") + "." + part(token, 2);
  EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("k", forged)));
  auto none = base64::encode_url(R"({"alg":"none"})") + "." + part(token, 1) + ".";
  EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("k", none)));
  auto none_signed = base64::encode_url(R"({"alg":"none"})") + "." + part(token, 1);
  none_signed += "." + base64::encode_url(auth::hmac_sha256("k", none_signed));
  EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("k", none_signed)));
  for (std::string bad : {"", "a", "a.b", "a.b.c.d", "..", "!!.!!.!!"})
    EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("k", bad))) << bad;
  EXPECT_TRUE(std::holds_alternative<error_info>(auth::jwt::verify_hs256("", token)))
      << "an empty secret verifies nothing";
}

TEST(livekit, join_token_has_livekits_claims_with_both_publish_flags_written_out) {
  lk::join_grant g;
  g.identity = "user-42";
  g.name = "Ada";
  g.room = "h_01J0000000000000000000000";
  g.can_publish = false;
  g.metadata = R"({"role":"subscriber"})";
  g.jti = "j1";
  g.now_s = now_s;
  g.ttl_s = 600;
  auto claims = payload_of(lk::mint_join_token(creds, g));
  EXPECT_EQ(claims.at("iss").as_string(), "APIkey123");
  EXPECT_EQ(claims.at("sub").as_string(), "user-42");
  EXPECT_EQ(claims.at("name").as_string(), "Ada");
  EXPECT_EQ(claims.at("nbf").as_int64(), now_s);
  EXPECT_EQ(claims.at("exp").as_int64(), now_s + 600);
  EXPECT_EQ(claims.at("jti").as_string(), "j1");
  EXPECT_EQ(claims.at("metadata").as_string(), R"({"role":"subscriber"})");
  auto& video = claims.at("video").as_object();
  EXPECT_EQ(video.at("room").as_string(), g.room);
  EXPECT_EQ(video.at("roomJoin").as_bool(), true);
  EXPECT_EQ(video.at("canSubscribe").as_bool(), true);
  ASSERT_TRUE(video.contains("canPublish")) << "absent canPublish means LiveKit allows publishing";
  EXPECT_EQ(video.at("canPublish").as_bool(), false);
  EXPECT_EQ(video.at("canPublishData").as_bool(), false);

  g.can_publish = true;
  auto pub = payload_of(lk::mint_join_token(creds, g));
  EXPECT_EQ(pub.at("video").at("canPublish").as_bool(), true);
  EXPECT_EQ(pub.at("video").at("canPublishData").as_bool(), true);
}

TEST(livekit, body_hash_is_padded_standard_base64_of_sha256) {
  EXPECT_EQ(lk::body_sha256(""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  EXPECT_EQ(lk::body_sha256("abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
}

TEST(livekit, webhook_with_a_matching_signature_and_body_hash_is_accepted) {
  const std::string body = R"({"event":"participant_joined","id":"EV_1"})";
  EXPECT_FALSE(lk::verify_webhook(creds, webhook_auth(body), body, now_s));
  EXPECT_FALSE(lk::verify_webhook(creds, "Bearer " + webhook_auth(body), body, now_s));
  EXPECT_FALSE(lk::verify_webhook(creds, webhook_auth(body), body, now_s + 605))
      << "within the clock leeway after exp";
}

TEST(livekit, webhook_is_refused_for_every_mismatch) {
  const std::string body = R"({"event":"participant_joined","id":"EV_1"})";
  auto refused = [&](const std::string& header, const std::string& b, std::int64_t now) {
    auto e = lk::verify_webhook(creds, header, b, now);
    return e.code == errc::unauthorized;
  };
  EXPECT_TRUE(refused(webhook_auth(body), body + " ", now_s)) << "tampered body";
  EXPECT_TRUE(refused(webhook_auth(body, {}, "wrong-secret"), body, now_s)) << "wrong secret";
  EXPECT_TRUE(refused(webhook_auth(body, {{"iss", "other"}}), body, now_s)) << "wrong issuer";
  EXPECT_TRUE(refused(webhook_auth(body, {{"exp", nullptr}}), body, now_s)) << "no exp";
  EXPECT_TRUE(refused(webhook_auth(body), body, now_s + 611)) << "expired";
  EXPECT_TRUE(refused(webhook_auth(body, {{"nbf", now_s + 60}}), body, now_s)) << "early";
  EXPECT_TRUE(refused(webhook_auth(body, {{"sha256", nullptr}}), body, now_s)) << "no hash";
  EXPECT_TRUE(refused(webhook_auth(body, {{"sha256", "x"}}), body, now_s)) << "wrong hash";
  EXPECT_TRUE(refused("", body, now_s)) << "no header";
  EXPECT_TRUE(refused("garbage", body, now_s));
}

// Found by fuzz.livekit_webhook: a signed exp or nbf of 1e300 was converted to int64
// (undefined behaviour) and an exp of INT64_MAX overflowed `exp + leeway`. Times past
// what a JSON number holds exactly are not times: refused, never computed with.
TEST(livekit, webhook_times_out_of_range_are_refused_without_overflow) {
  const std::string body = R"({"event":"participant_joined","id":"EV_1"})";
  auto refused = [&](json::object extra) {
    return lk::verify_webhook(creds, webhook_auth(body, std::move(extra)), body, now_s).code ==
           errc::unauthorized;
  };
  EXPECT_TRUE(refused({{"exp", 1e300}}));
  EXPECT_TRUE(refused({{"exp", -1e300}}));
  EXPECT_TRUE(refused({{"exp", INT64_MAX}}));
  EXPECT_TRUE(refused({{"exp", UINT64_MAX}}));
  EXPECT_TRUE(refused({{"nbf", 1e300}}));
  EXPECT_TRUE(refused({{"nbf", INT64_MIN}}));
  EXPECT_TRUE(refused({{"nbf", "soon"}}));
  // Times written as doubles within range still count, as LiveKit's SDKs may send them.
  EXPECT_FALSE(refused({{"exp", static_cast<double>(now_s + 600)}}));
}

TEST(livekit, webhook_without_configured_credentials_is_unavailable_not_accepted) {
  const std::string body = "{}";
  auto e = lk::verify_webhook({"", ""}, webhook_auth(body), body, now_s);
  EXPECT_EQ(e.code, errc::unavailable);
}
