#pragma once

// A tiny HTTP(S) server on 127.0.0.1 for the clients in auth/ (http_fetch, http_stream,
// the OAuth exchange): it records what it was sent and answers from a script, so the
// tests see the bytes a real server would.

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace relay::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

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
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
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

}  // namespace relay::testing
