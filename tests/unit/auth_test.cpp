// Signing (HMAC-SHA256 and the signed values of cookies and OAuth state) and the OAuth
// exchange against a GitHub-like server on loopback.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "auth/http_client.hpp"
#include "auth/oauth.hpp"
#include "auth/signing.hpp"
#include "core/base64.hpp"
#include "test_http_server.hpp"

namespace relay::auth {
namespace {

using namespace std::chrono_literals;
using namespace relay::testing;

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    out += digits[u >> 4];
    out += digits[u & 0x0F];
  }
  return out;
}

// -- HMAC-SHA256: RFC 4231 -------------------------------------------------------------

TEST(Hmac, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(to_hex(hmac_sha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Hmac, Rfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, Rfc4231TestCase6KeyLongerThanBlock) {
  const std::string key(131, '\xaa');
  EXPECT_EQ(to_hex(hmac_sha256(key, "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, EmptyKeyAndDataGiveTheKnownDigest) {
  const auto mac = hmac_sha256("", "");
  ASSERT_EQ(mac.size(), 32u);
  EXPECT_EQ(to_hex(mac), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

// Each thread reuses one HMAC context and only sets the key per call: no call may inherit
// the key of the call before it (OpenSSL keeps the old key when it is given none), and
// threads must not share a context.
TEST(Hmac, EveryCallUsesOnlyItsOwnKey) {
  const std::string empty_key_mac =
      "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
  const std::string jefe_mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
  const std::string jefe_data = "what do ya want for nothing?";
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", jefe_data)), jefe_mac);
  EXPECT_EQ(to_hex(hmac_sha256("", "")), empty_key_mac);
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", jefe_data)), jefe_mac);
  EXPECT_NE(hmac_sha256("Jefe", jefe_data), hmac_sha256("Jeff", jefe_data));
  EXPECT_EQ(to_hex(hmac_sha256("", "")), empty_key_mac);

  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const bool jefe = (i + t) % 2 == 0;
        const auto mac = jefe ? hmac_sha256("Jefe", jefe_data) : hmac_sha256("", "");
        if (to_hex(mac) != (jefe ? jefe_mac : empty_key_mac)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

// -- sign / verify ---------------------------------------------------------------------

constexpr std::string_view key = "0123456789abcdef0123456789abcdef";

TEST(Signing, SignedValueHasValueDotBase64Hmac) {
  const auto signed_value = sign(key, "user:42");
  EXPECT_EQ(signed_value, "user:42." + base64::encode_url(hmac_sha256(key, "user:42")));
  EXPECT_EQ(signed_value.size(), std::string("user:42.").size() + 43);  // 32 bytes, unpadded
}

TEST(Signing, RoundTrip) {
  EXPECT_EQ(verify(key, sign(key, "user:42")), "user:42");
  EXPECT_EQ(verify(key, sign(key, "")), "");
}

TEST(Signing, ValueContainingDots) {
  const std::string value = "a.b.c..d.";
  const auto signed_value = sign(key, value);
  EXPECT_EQ(verify(key, signed_value), value);
}

TEST(Signing, TamperedValueIsRejected) {
  auto signed_value = sign(key, "user:42");
  signed_value[5] = '3';  // user:32
  EXPECT_FALSE(verify(key, signed_value).has_value());
  // Moving the dot changes what is signed.
  const auto moved = sign(key, "a.b");
  EXPECT_FALSE(verify(key, "ab" + moved.substr(3)).has_value());  // "ab.<sig of a.b>"
  EXPECT_FALSE(verify(key, "x." + moved).has_value());
}

TEST(Signing, TamperedSignatureIsRejected) {
  const auto signed_value = sign(key, "user:42");
  for (std::size_t i = signed_value.rfind('.') + 1; i < signed_value.size(); ++i) {
    auto bad = signed_value;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify(key, bad).has_value()) << "flipped position " << i;
  }
  EXPECT_FALSE(verify(key, signed_value + "=").has_value());  // padding is not canonical
  EXPECT_FALSE(verify(key, signed_value + "A").has_value());
}

TEST(Signing, WrongKeyIsRejected) {
  EXPECT_FALSE(verify("another key", sign(key, "user:42")).has_value());
}

TEST(Signing, TruncatedInputIsRejected) {
  const auto signed_value = sign(key, "user:42");
  for (std::size_t len = 0; len < signed_value.size(); ++len) {
    EXPECT_FALSE(verify(key, signed_value.substr(0, len)).has_value()) << "length " << len;
  }
  EXPECT_FALSE(verify(key, "").has_value());
  EXPECT_FALSE(verify(key, ".").has_value());
  EXPECT_FALSE(verify(key, "no-dot-at-all").has_value());
}

// -- OAuth -----------------------------------------------------------------------------

oauth_config config_for(const std::string& base) {
  oauth_config c;
  c.authorize_url = base + "/login/oauth/authorize";
  c.token_url = base + "/login/oauth/access_token";
  c.user_url = base + "/user";
  c.client_id = "client-123";
  c.client_secret = "s3cret&=";
  c.redirect_uri = "http://localhost:8080/auth/github/callback?next=/rooms";
  return c;
}

std::map<std::string, std::string> parse_form(const std::string& body) {
  auto decode = [](const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '%' && i + 2 < s.size()) {
        out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else if (s[i] == '+') {
        out += ' ';
      } else {
        out += s[i];
      }
    }
    return out;
  };
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto end = body.find('&', pos);
    if (end == std::string::npos) end = body.size();
    const auto pair = body.substr(pos, end - pos);
    const auto eq = pair.find('=');
    if (!pair.empty()) out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    pos = end + 1;
  }
  return out;
}

TEST(OAuth, AuthorizeRedirectEncodesEveryParameter) {
  oauth_config c = config_for("https://github.com");
  const auto url = authorize_redirect(c, "st@te/+ x");
  EXPECT_EQ(
      url,
      "https://github.com/login/oauth/authorize"
      "?client_id=client-123"
      "&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fauth%2Fgithub%2Fcallback%3Fnext%3D%2Frooms"
      "&scope=read%3Auser%20user%3Aemail"
      "&state=st%40te%2F%2B%20x");
  const auto params = parse_form(url.substr(url.find('?') + 1));
  EXPECT_EQ(params.at("redirect_uri"), c.redirect_uri);
  EXPECT_EQ(params.at("scope"), "read:user user:email");
  EXPECT_EQ(params.at("state"), "st@te/+ x");
}

TEST(OAuth, AuthorizeRedirectAppendsToAnExistingQuery) {
  oauth_config c = config_for("");
  c.authorize_url = "https://sso.example.com/authorize?tenant=a%20b";
  c.scope = "read:user";
  EXPECT_EQ(authorize_redirect(c, "s"),
            "https://sso.example.com/authorize?tenant=a%20b&client_id=client-123"
            "&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fauth%2Fgithub%2Fcallback%3Fnext%3D%"
            "2Frooms&scope=read%3Auser&state=s");
  c.authorize_url = "https://sso.example.com/authorize?";
  EXPECT_EQ(authorize_redirect(c, "s").rfind("https://sso.example.com/authorize?client_id=", 0),
            0u);
}

TEST(OAuth, PercentEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode(" !#$&'()*+,/:;=?@[]%"),
            "%20%21%23%24%26%27%28%29%2A%2B%2C%2F%3A%3B%3D%3F%40%5B%5D%25");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

std::string base_of(const test_server& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

// Answers the token endpoint then the user endpoint like GitHub does.
responder github_like(std::string token_body, std::string user_status_line, std::string user_body) {
  return [=](const received& r) -> std::optional<std::string> {
    if (r.target == "/login/oauth/access_token") return response(200, "OK", token_body);
    return "HTTP/1.1 " + user_status_line +
           "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
           std::to_string(user_body.size()) + "\r\n\r\n" + user_body;
  };
}

TEST(OAuth, ExchangeAndFetchSuccess) {
  test_server server(
      2, github_like(
             R"({"access_token":"gho_abc123","token_type":"bearer","scope":"read:user"})", "200 OK",
             R"({"id":583231,"login":"octocat","name":"The Octocat",)"
             R"("avatar_url":"https://avatars.example/u/583231","email":"octo@example.com",)"
             R"("extra":[1,2,3]})"));
  const auto c = config_for(base_of(server));
  const auto outcome = exchange_and_fetch(c, "code-xyz", 5s);
  ASSERT_EQ(outcome.error, "");
  ASSERT_TRUE(outcome.user.has_value());
  EXPECT_EQ(outcome.user->id, 583231);
  EXPECT_EQ(outcome.user->login, "octocat");
  EXPECT_EQ(outcome.user->name, "The Octocat");
  EXPECT_EQ(outcome.user->avatar_url, "https://avatars.example/u/583231");
  EXPECT_EQ(outcome.user->email, "octo@example.com");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/login/oauth/access_token");
  EXPECT_EQ(requests[0].headers.at("accept"), "application/json");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  const auto form = parse_form(requests[0].body);
  EXPECT_EQ(form.at("client_id"), "client-123");
  EXPECT_EQ(form.at("client_secret"), "s3cret&=");
  EXPECT_EQ(form.at("code"), "code-xyz");
  EXPECT_EQ(form.at("redirect_uri"), c.redirect_uri);
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].target, "/user");
  EXPECT_EQ(requests[1].headers.at("authorization"), "Bearer gho_abc123");
  EXPECT_EQ(requests[1].headers.at("accept"), "application/json");
}

TEST(OAuth, NullAndMissingOptionalFieldsBecomeEmpty) {
  test_server server(2, github_like(R"({"access_token":"gho_t"})", "200 OK",
                                    R"({"id":7,"login":"ghost","name":null,"email":null})"));
  const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 5s);
  ASSERT_EQ(outcome.error, "");
  ASSERT_TRUE(outcome.user.has_value());
  EXPECT_EQ(outcome.user->id, 7);
  EXPECT_EQ(outcome.user->login, "ghost");
  EXPECT_EQ(outcome.user->name, "");
  EXPECT_EQ(outcome.user->avatar_url, "");
  EXPECT_EQ(outcome.user->email, "");
}

TEST(OAuth, BadVerificationCodeIsAFailureDespiteStatus200) {
  test_server server(
      1,
      github_like(
          R"({"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."})",
          "200 OK", "{}"));
  const auto outcome = exchange_and_fetch(config_for(base_of(server)), "stale", 5s);
  EXPECT_FALSE(outcome.user.has_value());
  EXPECT_NE(outcome.error.find("bad_verification_code"), std::string::npos) << outcome.error;
  EXPECT_EQ(server.requests().size(), 1u);  // the user endpoint was never called
}

TEST(OAuth, MissingAccessTokenOrBadJsonIsAFailure) {
  for (const std::string token_body :
       {R"({"token_type":"bearer"})", R"({"access_token":""})", "not json", "[]"}) {
    test_server server(1, github_like(token_body, "200 OK", "{}"));
    const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 5s);
    EXPECT_FALSE(outcome.user.has_value()) << token_body;
    EXPECT_NE(outcome.error, "") << token_body;
  }
}

TEST(OAuth, BadCredentialsFromTheUserEndpointIsAFailure) {
  test_server server(2, github_like(R"({"access_token":"gho_t"})", "401 Unauthorized",
                                    R"({"message":"Bad credentials"})"));
  const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 5s);
  EXPECT_FALSE(outcome.user.has_value());
  EXPECT_NE(outcome.error.find("401"), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.error.find("gho_t"), std::string::npos) << "token leaked into the error";
}

TEST(OAuth, InvalidUserProfilesAreFailures) {
  for (const std::string user_body :
       {R"({"id":1,"login":""})", R"({"id":1})", R"({"id":"1","login":"x"})",
        R"({"id":1.5,"login":"x"})", R"({"login":"x"})", R"({"id":1,"login":null})", "[]"}) {
    test_server server(2, github_like(R"({"access_token":"gho_t"})", "200 OK", user_body));
    const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 5s);
    EXPECT_FALSE(outcome.user.has_value()) << user_body;
    EXPECT_NE(outcome.error, "") << user_body;
  }
}

TEST(OAuth, TokenEndpointErrorsAreReported) {
  test_server server(1, [](const received&) { return response(500, "Oops", "{}"); });
  const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 5s);
  EXPECT_FALSE(outcome.user.has_value());
  EXPECT_NE(outcome.error.find("500"), std::string::npos) << outcome.error;

  const auto refused = exchange_and_fetch(config_for("http://127.0.0.1:1"), "c", 2s);
  EXPECT_FALSE(refused.user.has_value());
  EXPECT_NE(refused.error.find("token request failed"), std::string::npos) << refused.error;

  EXPECT_NE(exchange_and_fetch(config_for(base_of(server)), "", 1s).error, "");
}

TEST(OAuth, TimeoutBoundsTheWholeExchange) {
  test_server server(1, [](const received&) { return std::nullopt; });
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = exchange_and_fetch(config_for(base_of(server)), "c", 300ms);
  EXPECT_FALSE(outcome.user.has_value());
  EXPECT_NE(outcome.error.find("timed out"), std::string::npos) << outcome.error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

}  // namespace
}  // namespace relay::auth
