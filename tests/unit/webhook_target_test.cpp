// Where outbound webhooks may connect (auth/webhook_target.hpp) and how their requests are
// signed (auth/webhook_signing.hpp): every class of non-public address refused, the
// operator's hosts and networks let through, and signatures checked against values
// computed independently (RFC 4231's HMAC-SHA256 test case 2 as the key/data pair).

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "auth/http_client.hpp"
#include "auth/signing.hpp"
#include "auth/webhook_signing.hpp"
#include "auth/webhook_target.hpp"
#include "core/base64.hpp"

using namespace relay;

namespace {

auth::webhook_allowlist allow(std::string_view text) {
  std::string error;
  auto a = auth::parse_webhook_allowlist(text, error);
  EXPECT_TRUE(a) << error;
  return a ? *a : auth::webhook_allowlist{};
}

bool refused(const std::string& ip, std::string_view list = "", const std::string& host = "h") {
  return !auth::refused_webhook_address(host, ip, allow(list)).empty();
}

}  // namespace

TEST(webhook_target, refuses_every_non_public_address) {
  for (const char* ip : {"127.0.0.1",
                         "127.8.9.10",
                         "10.0.0.1",
                         "172.16.0.1",
                         "172.31.255.255",
                         "192.168.1.1",
                         "169.254.169.254",
                         "169.254.0.1",
                         "0.0.0.0",
                         "100.64.0.1",
                         "224.0.0.1",
                         "255.255.255.255",
                         "::1",
                         "::",
                         "fc00::1",
                         "fd12::1",
                         "fe80::1",
                         "ff02::1",
                         "::ffff:127.0.0.1",
                         "::ffff:10.1.2.3"})
    EXPECT_TRUE(refused(ip)) << ip;
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "172.15.255.255", "192.169.0.1", "1.1.1.1",
                         "2606:4700::1111", "::ffff:8.8.8.8"})
    EXPECT_FALSE(refused(ip)) << ip;
}

TEST(webhook_target, the_allowlist_lets_named_hosts_and_networks_through) {
  EXPECT_FALSE(refused("127.0.0.1", "127.0.0.1"));
  EXPECT_TRUE(refused("127.0.0.2", "127.0.0.1"));
  EXPECT_FALSE(refused("10.1.200.3", "hooks.internal, 10.1.0.0/16"));
  EXPECT_TRUE(refused("10.2.0.1", "10.1.0.0/16"));
  EXPECT_FALSE(refused("10.9.9.9", "Hooks.Internal", "hooks.internal"));
  EXPECT_FALSE(refused("fd00::5", "fd00::/8"));
  EXPECT_FALSE(refused("::ffff:127.0.0.1", "127.0.0.0/8"));
  std::string error;
  EXPECT_FALSE(auth::parse_webhook_allowlist("10.0.0.0/33", error));
  EXPECT_FALSE(auth::parse_webhook_allowlist("nothost/8", error));
  EXPECT_FALSE(error.empty());
}

TEST(webhook_target, urls_are_checked_before_any_lookup_they_do_not_need) {
  const auth::webhook_allowlist none;
  EXPECT_NE(auth::check_webhook_url("ftp://example.com/x", none), "");
  EXPECT_NE(auth::check_webhook_url("not a url", none), "");
  EXPECT_NE(auth::check_webhook_url("http://user:pw@8.8.8.8/", none), "");
  EXPECT_NE(auth::check_webhook_url("http://169.254.169.254/latest", none), "");
  EXPECT_NE(auth::check_webhook_url("http://[::1]:8080/", none), "");
  EXPECT_EQ(auth::check_webhook_url("https://8.8.8.8/hook", none), "");
  EXPECT_EQ(auth::check_webhook_url("http://127.0.0.1:9/hook", allow("127.0.0.1")), "");
}

// Boost.URL 1.81 reads these as the address 127.0.0.1 (port 80) with the rest of the host
// and the port as a path: the hook would name one host and reach another.
TEST(webhook_target, a_host_that_merely_starts_like_an_address_is_refused) {
  const auto lo = allow("127.0.0.1");
  for (const char* url : {"http://127.0.0.1.example.com:9/hook", "http://127.0.0.1evil:9/a",
                          "http://8.8.8.8.example.com:8443/x", "http://1.2.3.4a/"}) {
    EXPECT_NE(auth::check_webhook_url(url, lo), "") << url;
    EXPECT_NE(auth::http_fetch("GET", url, {}, "", std::chrono::seconds(1)).error, "") << url;
  }
}

TEST(webhook_signing, a_secret_is_whsec_and_32_random_bytes) {
  auto a = auth::new_webhook_secret();
  auto b = auth::new_webhook_secret();
  ASSERT_EQ(a.rfind("whsec_", 0), 0u);
  EXPECT_NE(a, b);
  auto bytes = base64::decode(std::string_view{a}.substr(6));
  ASSERT_TRUE(bytes);
  EXPECT_EQ(bytes->size(), 32u);
}

TEST(webhook_signing, both_schemes_sign_with_the_decoded_secret) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  const std::string secret = "whsec_" + base64::encode("Jefe");
  const std::string body = "ya want for nothing?";
  std::map<std::string, std::string> h;
  for (auto& [k, v] : auth::webhook_signature_headers("what do", 0, body, {secret})) h[k] = v;
  // "<t>.<body>" with t = 0 is not the RFC's data; the Standard Webhooks input is
  // "what do.0.ya want…", so check both against hmac_sha256 and the RFC vector once.
  EXPECT_EQ(base64::encode(auth::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
  EXPECT_EQ(h["webhook-signature"],
            "v1," + base64::encode(auth::hmac_sha256("Jefe", "what do.0." + body)));
  EXPECT_EQ(h["webhook-id"], "what do");
  EXPECT_EQ(h["webhook-timestamp"], "0");
  EXPECT_EQ(h["X-Relay-Signature"].rfind("t=0,v1=", 0), 0u);
  EXPECT_EQ(h["X-Relay-Signature"].size(), 7u + 64u);

  // Two secrets during a rotation: two signatures in each header, the new one first.
  const std::string old = "whsec_" + base64::encode("old-key");
  h.clear();
  for (auto& [k, v] : auth::webhook_signature_headers("m", 5, "{}", {secret, old})) h[k] = v;
  EXPECT_EQ(h["webhook-signature"], "v1," + base64::encode(auth::hmac_sha256("Jefe", "m.5.{}")) +
                                        " v1," +
                                        base64::encode(auth::hmac_sha256("old-key", "m.5.{}")));
  EXPECT_EQ(std::count(h["X-Relay-Signature"].begin(), h["X-Relay-Signature"].end(), '='), 3);
}
