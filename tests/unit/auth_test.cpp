#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "auth/http_client.hpp"
#include "auth/oauth.hpp"
#include "auth/signing.hpp"
#include "core/base64.hpp"

namespace relay::auth {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

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

// -- a tiny HTTP(S) server for http_fetch ----------------------------------------------

struct received {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// What the server does with one request: a canned response, or nullopt to go silent until
// the client hangs up (for timeouts).
using responder = std::function<std::optional<std::string>(const received&)>;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <class Stream>
std::optional<received> read_request(Stream& stream) {
  std::string data;
  boost::system::error_code ec;
  const auto header_end = asio::read_until(stream, asio::dynamic_buffer(data), "\r\n\r\n", ec);
  if (ec) return std::nullopt;
  received r;
  const std::string head = data.substr(0, header_end);
  std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const auto sp1 = request_line.find(' ');
  const auto sp2 = request_line.find(' ', sp1 + 1);
  r.method = request_line.substr(0, sp1);
  r.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const auto end = head.find("\r\n", pos);
    if (end == pos || end == std::string::npos) break;
    const std::string line = head.substr(pos, end - pos);
    const auto colon = line.find(':');
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[lower(line.substr(0, colon))] = value;
    pos = end + 2;
  }
  r.body = data.substr(header_end);
  if (auto it = r.headers.find("content-length"); it != r.headers.end()) {
    const std::size_t length = std::stoul(it->second);
    if (r.body.size() < length) {
      const std::size_t have = r.body.size();
      r.body.resize(length);
      asio::read(stream, asio::buffer(r.body.data() + have, length - have), ec);
      if (ec) return std::nullopt;
    }
  }
  return r;
}

template <class Stream>
void answer(Stream& stream, const responder& respond, std::vector<received>& log,
            std::mutex& mutex) {
  auto request = read_request(stream);
  if (!request) return;
  auto response = respond(*request);
  {
    std::lock_guard lock(mutex);
    log.push_back(*request);
  }
  boost::system::error_code ec;
  if (response) {
    asio::write(stream, asio::buffer(*response), ec);
  } else {
    char byte;
    asio::read(stream, asio::buffer(&byte, 1), ec);  // until the client gives up
  }
}

// Serves `connections` connections one after the other on 127.0.0.1:<ephemeral>, in a
// thread. With a TLS context it speaks HTTPS.
class test_server {
 public:
  test_server(int connections, responder respond, asio::ssl::context* tls = nullptr)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        respond_(std::move(respond)),
        tls_(tls) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections] { run(connections); });
  }

  ~test_server() {
    stopping_ = true;
    // Unblock accept() if the test did not use every connection.
    while (!finished_) {
      boost::system::error_code ec;
      tcp::socket poke(ioc_);
      poke.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
      if (ec) break;
      std::this_thread::sleep_for(1ms);
    }
    thread_.join();
  }

  unsigned short port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<received> requests() {
    std::lock_guard lock(mutex_);
    return log_;
  }
  int tls_handshake_failures() const { return tls_failures_; }

 private:
  void run(int connections) {
    for (int i = 0; i < connections && !stopping_; ++i) {
      boost::system::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      if (tls_ != nullptr) {
        asio::ssl::stream<tcp::socket&> stream(socket, *tls_);
        stream.handshake(asio::ssl::stream_base::server, ec);
        if (ec) {
          ++tls_failures_;
          continue;
        }
        answer(stream, respond_, log_, mutex_);
        stream.shutdown(ec);
      } else {
        answer(socket, respond_, log_, mutex_);
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
    finished_ = true;
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  responder respond_;
  asio::ssl::context* tls_;
  std::mutex mutex_;
  std::vector<received> log_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> finished_{false};
  std::atomic<int> tls_failures_{0};
  std::thread thread_;
};

std::string response(int status, const std::string& reason, const std::string& body,
                     const std::string& extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
}

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
