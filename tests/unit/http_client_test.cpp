// The HTTP(S) client the OAuth exchange, webhooks and the AI bot use (auth/http_client):
// against a real socket, status and bodies, timeouts, size limits and TLS verification.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "auth/http_client.hpp"
#include "test_http_server.hpp"

namespace relay::auth {
namespace {

using namespace std::chrono_literals;
using namespace relay::testing;

// -- http_fetch ------------------------------------------------------------------------

TEST(HttpFetch, ParsesStatusAndBody) {
  test_server server(1, [](const received&) { return response(201, "Created", R"({"ok":true})"); });
  const auto result = http_fetch("GET", server.url("/things?x=1&y=%20"), {}, "", 5s);
  EXPECT_EQ(result.error, "");
  EXPECT_EQ(result.status, 201);
  EXPECT_EQ(result.body, R"({"ok":true})");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/things?x=1&y=%20");
  EXPECT_EQ(requests[0].headers.at("host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(requests[0].headers.at("user-agent"), "relay");
  EXPECT_EQ(requests[0].body, "");
}

TEST(HttpFetch, SendsMethodHeadersAndBody) {
  test_server server(1, [](const received& r) { return response(200, "OK", "echo:" + r.body); });
  const auto result = http_fetch("POST", server.url("/submit"),
                                 {{"Content-Type", "application/x-www-form-urlencoded"},
                                  {"Accept", "application/json"},
                                  {"User-Agent", "relay-test"}},
                                 "a=1&b=2", 5s);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "echo:a=1&b=2");
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/submit");
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(requests[0].headers.at("accept"), "application/json");
  EXPECT_EQ(requests[0].headers.at("content-length"), "7");
  EXPECT_EQ(requests[0].headers.at("user-agent"), "relay-test");  // caller's header wins
  EXPECT_EQ(requests[0].body, "a=1&b=2");
}

TEST(HttpFetch, EmptyPathBecomesSlash) {
  test_server server(1, [](const received&) { return response(204, "No Content", ""); });
  const auto result =
      http_fetch("GET", "http://127.0.0.1:" + std::to_string(server.port()), {}, "", 5s);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.status, 204);
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/");
}

TEST(HttpFetch, ReadsChunkedAndUntilCloseBodies) {
  {
    test_server server(1, [](const received&) -> std::optional<std::string> {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n "
             "world\r\n0\r\n\r\n";
    });
    const auto result = http_fetch("GET", server.url(), {}, "", 5s);
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.body, "hello world");
  }
  {
    test_server server(1, [](const received&) -> std::optional<std::string> {
      return "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\nmissing";
    });
    const auto result = http_fetch("GET", server.url(), {}, "", 5s);
    ASSERT_EQ(result.error, "");
    EXPECT_EQ(result.status, 404);
    EXPECT_EQ(result.body, "missing");
  }
}

TEST(HttpFetch, ConnectionRefusedSetsError) {
  unsigned short port = 0;
  {
    asio::io_context ioc;
    tcp::acceptor probe(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  const auto result =
      http_fetch("GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, "", 5s);
  EXPECT_NE(result.error, "");
  EXPECT_NE(result.error.find("connect"), std::string::npos) << result.error;
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.body, "");
}

TEST(HttpFetch, SilentServerTimesOut) {
  test_server server(1, [](const received&) { return std::nullopt; });
  const auto start = std::chrono::steady_clock::now();
  const auto result = http_fetch("GET", server.url(), {}, "", 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_NE(result.error.find("timed out"), std::string::npos) << result.error;
  EXPECT_EQ(result.status, 0);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(server.requests().size(), 1u);  // the request was sent; the answer never came
}

TEST(HttpFetch, TimeoutCoversASlowlyTricklingResponse) {
  // Headers arrive at once, the body never completes: the whole-call deadline still fires.
  test_server server(1, [](const received&) -> std::optional<std::string> {
    return "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial";
  });
  const auto result = http_fetch("GET", server.url(), {}, "", 300ms);
  EXPECT_NE(result.error, "");
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.body, "");
}

TEST(HttpFetch, BodyOverOneMebibyteIsAnError) {
  const std::string big(http_max_body + 1, 'x');
  test_server server(1, [&big](const received&) { return response(200, "OK", big); });
  const auto result = http_fetch("GET", server.url(), {}, "", 5s);
  EXPECT_NE(result.error.find("exceeds"), std::string::npos) << result.error;
  EXPECT_EQ(result.body, "");
}

TEST(HttpFetch, BodyOfExactlyOneMebibyteIsAccepted) {
  const std::string big(http_max_body, 'x');
  test_server server(1, [&big](const received&) { return response(200, "OK", big); });
  const auto result = http_fetch("GET", server.url(), {}, "", 5s);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.body.size(), http_max_body);
}

TEST(HttpFetch, BadUrlsAndHeadersAreErrorsNotExceptions) {
  EXPECT_NE(http_fetch("GET", "not a url", {}, "", 1s).error, "");
  EXPECT_NE(http_fetch("GET", "ftp://example.com/", {}, "", 1s).error.find("scheme"),
            std::string::npos);
  EXPECT_NE(http_fetch("GET", "http:///path", {}, "", 1s).error, "");
  EXPECT_NE(http_fetch("GET", "http://127.0.0.1:1/", {{"X-Evil", "a\r\nInjected: 1"}}, "", 1s)
                .error.find("invalid request header"),
            std::string::npos);
  EXPECT_NE(http_fetch("GET\r\n", "http://127.0.0.1:1/", {}, "", 1s).error, "");
}

// -- http_fetch_all_vetted (outbound webhooks: a claim's deliveries at once) -------------

TEST(HttpFetchAll, AnswersInOrderEachWithItsOwnOutcome) {
  test_server ok(1, [](const received& r) { return response(200, "OK", r.body); });
  test_server gone(1, [](const received&) { return response(410, "Gone", "bye"); });
  http_fetch_limits limits;
  limits.vet = [](const std::string&, const std::string& ip) {
    return ip == "127.0.0.2" ? std::string("not this one") : std::string();
  };
  const std::vector<http_request> requests{
      {"POST", ok.url("/a"), {{"X-Id", "1"}}, "first"},
      {"POST", "not a url", {}, ""},
      {"POST", gone.url("/b"), {}, "second"},
      {"POST", "http://127.0.0.2:1/c", {}, ""},
  };
  const auto results = http_fetch_all_vetted(requests, 5s, limits);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].error, "");
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[0].body, "first");
  EXPECT_NE(results[1].error, "");
  EXPECT_EQ(results[1].status, 0);
  EXPECT_EQ(results[2].status, 410);
  EXPECT_EQ(results[2].body, "bye");
  EXPECT_EQ(results[3].error, "refused: not this one");
  ASSERT_EQ(ok.requests().size(), 1u);
  EXPECT_EQ(ok.requests()[0].headers.at("x-id"), "1");
}

TEST(HttpFetchAll, RequestsRunTogetherAndEachHasItsOwnTimeout) {
  // Two receivers that take 600 ms each: together, not one after the other (the second
  // would answer after 1.2 s).
  const auto slow = [](const received&) -> std::optional<std::string> {
    std::this_thread::sleep_for(600ms);
    return response(200, "OK", "");
  };
  test_server a(1, slow);
  test_server b(1, slow);
  test_server silent(1, [](const received&) { return std::nullopt; });
  const std::vector<http_request> requests{
      {"POST", a.url(), {}, "x"}, {"POST", b.url(), {}, "y"}, {"POST", silent.url(), {}, "z"}};
  const auto start = std::chrono::steady_clock::now();
  const auto results = http_fetch_all_vetted(requests, 2000ms, {});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(results[0].status, 200);
  EXPECT_EQ(results[1].status, 200);
  for (int i : {0, 1}) {
    EXPECT_GE(results[i].elapsed_ms, 550);
    EXPECT_LT(results[i].elapsed_ms, 1100);
  }
  EXPECT_NE(results[2].error.find("timed out"), std::string::npos) << results[2].error;
  EXPECT_GE(results[2].elapsed_ms, 1900);
  EXPECT_LT(elapsed, 4s);
}

// -- http_fetch_async_vetted (the webhook dispatcher's pool) -----------------------------

TEST(HttpFetchAsync, AnswersOnTheIoContextAndCancelEndsASilentRequestAtOnce) {
  test_server ok(1, [](const received& r) { return response(200, "OK", r.body); });
  test_server silent(1, [](const received&) { return std::nullopt; });
  boost::asio::io_context ioc;
  http_fetch_limits refuse;
  refuse.vet = [](const std::string&, const std::string&) { return std::string("no"); };
  std::vector<http_result> answers(4);
  int answered = 0;
  const auto keep = [&](int i) {
    return [&, i](http_result r) {
      answers[i] = std::move(r);
      ++answered;
    };
  };
  http_fetch_async_vetted(ioc, {"POST", ok.url("/a"), {}, "body"}, 5s, {}, keep(0));
  auto hanging = http_fetch_async_vetted(ioc, {"POST", silent.url(), {}, "z"}, 10s, {}, keep(1));
  http_fetch_async_vetted(ioc, {"POST", ok.url("/b"), {}, ""}, 5s, refuse, keep(2));
  http_fetch_async_vetted(ioc, {"POST", "not a url", {}, ""}, 5s, {}, keep(3));
  EXPECT_EQ(answered, 0) << "never answered inside the call";
  boost::asio::steady_timer later(ioc, 300ms);
  later.async_wait([&](const boost::system::error_code&) { hanging->cancel(); });
  const auto start = std::chrono::steady_clock::now();
  ioc.run();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(answered, 4);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[0].body, "body");
  EXPECT_EQ(answers[1].status, 0);
  EXPECT_NE(answers[1].error, "");
  EXPECT_GE(answers[1].elapsed_ms, 250);
  EXPECT_EQ(silent.requests().size(), 1u);
  EXPECT_EQ(answers[2].error, "refused: no");
  EXPECT_NE(answers[3].error, "");
  hanging->cancel();  // after its answer: nothing happens
}

// -- http_stream (the AI bot's chat-completions streams) ---------------------------------

TEST(HttpStream, HandsOnAChunkedBodyAsItArrivesAndKeepsNone) {
  const std::string sse = "data: {\"a\":1}\n\ndata: [DONE]\n\n";
  test_server server(1, [&sse](const received&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
           "chunked\r\nConnection: close\r\n\r\n" +
           (std::ostringstream{} << std::hex << 10).str() + "\r\n" + sse.substr(0, 10) + "\r\n" +
           (std::ostringstream{} << std::hex << sse.size() - 10).str() + "\r\n" + sse.substr(10) +
           "\r\n0\r\n\r\n";
  });
  std::string got;
  const auto result = http_stream("POST", server.url("/v1/chat/completions"),
                                  {{"Content-Type", "application/json"}}, R"({"stream":true})", 5s,
                                  [&got](std::string_view part) {
                                    got.append(part);
                                    return true;
                                  });
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "");
  EXPECT_EQ(got, sse);
  EXPECT_EQ(server.requests().at(0).body, R"({"stream":true})");
}

TEST(HttpStream, AnErrorStatusKeepsItsBodyAndTheCallerMayStop) {
  test_server refusing(1, [](const received&) {
    return response(401, "Unauthorized", R"({"error":{"message":"bad key"}})");
  });
  bool called = false;
  auto result = http_stream("POST", refusing.url(), {}, "{}", 5s, [&called](std::string_view) {
    called = true;
    return true;
  });
  EXPECT_EQ(result.status, 401);
  EXPECT_EQ(result.body, R"({"error":{"message":"bad key"}})");
  EXPECT_FALSE(called);

  test_server talking(1, [](const received&) { return response(200, "OK", "data: x\n\n"); });
  result = http_stream("POST", talking.url(), {}, "{}", 5s, [](std::string_view) { return false; });
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.error, "stopped by the caller");
}

// -- https: a self-signed certificate for "localhost" ----------------------------------

struct test_certificate {
  std::string cert_pem;
  std::string key_pem;
};

test_certificate make_localhost_certificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x509(X509_new(), X509_free);
  X509_set_version(x509.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x509.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), 24 * 3600);
  X509_set_pubkey(x509.get(), pkey.get());
  X509_NAME* name = X509_get_subject_name(x509.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x509.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x509.get(), x509.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_subject_alt_name, "DNS:localhost"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x509.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x509.get(), pkey.get(), EVP_sha256());

  auto to_pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(len));
  };
  test_certificate out;
  out.cert_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, x509.get()); });
  out.key_pem = to_pem([&](BIO* bio) {
    PEM_write_bio_PrivateKey(bio, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return out;
}

class HttpsFetch : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = make_localhost_certificate();
    ASSERT_FALSE(cert_.cert_pem.empty());
    server_tls_.use_certificate_chain(asio::buffer(cert_.cert_pem));
    server_tls_.use_private_key(asio::buffer(cert_.key_pem), asio::ssl::context::pem);
    ca_file_ = std::filesystem::temp_directory_path() /
               ("relay-auth-test-ca-" + std::to_string(::getpid()) + ".pem");
    std::ofstream(ca_file_) << cert_.cert_pem;
    if (const char* old = std::getenv("SSL_CERT_FILE")) old_cert_file_ = old;
  }
  void TearDown() override {
    if (old_cert_file_) {
      ::setenv("SSL_CERT_FILE", old_cert_file_->c_str(), 1);
    } else {
      ::unsetenv("SSL_CERT_FILE");
    }
    std::filesystem::remove(ca_file_);
  }
  // set_default_verify_paths() honours SSL_CERT_FILE: trust our certificate only.
  void trust_test_certificate() { ::setenv("SSL_CERT_FILE", ca_file_.c_str(), 1); }

  test_certificate cert_;
  asio::ssl::context server_tls_{asio::ssl::context::tls_server};
  std::filesystem::path ca_file_;
  std::optional<std::string> old_cert_file_;
};

TEST_F(HttpsFetch, TrustedCertificateAndMatchingHostSucceed) {
  trust_test_certificate();
  test_server server(
      1, [](const received&) { return response(200, "OK", R"({"tls":true})"); }, &server_tls_);
  const auto result = http_fetch(
      "GET", "https://localhost:" + std::to_string(server.port()) + "/secure", {}, "", 5s);
  ASSERT_EQ(result.error, "");
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, R"({"tls":true})");
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_EQ(server.requests()[0].target, "/secure");
  EXPECT_EQ(server.requests()[0].headers.at("host"), "localhost:" + std::to_string(server.port()));
}

TEST_F(HttpsFetch, UntrustedCertificateIsRejected) {
  // The system trust store does not know our self-signed certificate.
  ::setenv("SSL_CERT_FILE", "/nonexistent/relay-ca.pem", 1);
  test_server server(
      1, [](const received&) { return response(200, "OK", "secret"); }, &server_tls_);
  const auto result =
      http_fetch("GET", "https://localhost:" + std::to_string(server.port()) + "/", {}, "", 5s);
  EXPECT_NE(result.error.find("tls handshake"), std::string::npos) << result.error;
  EXPECT_EQ(result.body, "");
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpsFetch, HostNameMismatchIsRejected) {
  trust_test_certificate();
  // Trusted certificate, but it names "localhost", not 127.0.0.1.
  test_server server(
      1, [](const received&) { return response(200, "OK", "secret"); }, &server_tls_);
  const auto result = http_fetch("GET", server.url("/"), {}, "", 5s);
  EXPECT_NE(result.error.find("tls handshake"), std::string::npos) << result.error;
  EXPECT_EQ(result.body, "");
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace relay::auth
