// The nchan side of the fan-out: a publisher that POSTs each message to nchan's HTTP
// publisher endpoint. Subscribers need nothing special (a WebSocket whose frames are the
// bodies as published), so they live with Relay's in fanout_mode.cpp.
#include <charconv>
#include <deque>
#include <iostream>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "loadgen/publisher.hpp"

namespace loadgen {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

class nchan_publisher final : public publisher {
 public:
  nchan_publisher(net::io_context& ioc, const target& t, std::string pad)
      : publisher(ioc, std::move(pad)), sock_(ioc), target_(t) {
    head_ = "POST " + t.path + " HTTP/1.1\r\nHost: " + t.host + ":" + std::to_string(t.port) +
            "\r\nContent-Type: text/plain\r\nContent-Length: ";
  }

  void connect() override {
    error_code ec;
    auto addr = net::ip::make_address(target_.host, ec);
    if (ec) return fail("bad host: " + ec.message());
    sock_.async_connect({addr, target_.port}, [this](error_code e) {
      if (e) return fail("connect: " + e.message());
      error_code ig;
      sock_.set_option(tcp::no_delay(true), ig);
      ready = 1;
      read();
    });
  }

  void stop() override {
    publisher::stop();
    done_ = true;
    error_code ec;
    sock_.close(ec);
  }

 protected:
  void send_one(std::uint64_t n, std::int64_t stamp) override {
    if (done_) return;
    auto body = content(n, stamp);
    // Pipelined: responses come back in request order, so a FIFO of send times
    // matches each response to its request.
    pending_.push_back(stamp);
    out_ += head_ + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (!writing_) write();
  }

 private:
  void write() {
    writing_ = true;
    // Everything that queued up while the last write ran goes out in one write.
    inflight_.swap(out_);
    out_.clear();
    net::async_write(sock_, net::buffer(inflight_), [this](error_code ec, std::size_t) {
      writing_ = false;
      if (done_) return;
      if (ec) return fail("write: " + ec.message());
      if (!out_.empty()) write();
    });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(1 << 16);
    http::async_read(sock_, buf_, *parser_, [this](error_code ec, std::size_t) {
      if (done_) return;
      if (ec) return fail("read: " + ec.message());
      auto& res = parser_->get();
      auto now = now_ns();
      if (!pending_.empty()) {
        auto at = pending_.front();
        pending_.pop_front();
        auto code = res.result_int();
        if (code >= 200 && code < 300) {
          ack_lat.record(now - at);
          ++acked;
        } else if (++errors <= 5) {
          std::cerr << "  nchan publisher got HTTP " << code << ": " << res.body().substr(0, 200)
                    << "\n";
        }
        ++answered;
      }
      // "active subscribers: N" in nchan's plain-text publish response: proof that
      // every subscriber was attached before the first message.
      constexpr std::string_view key = "active subscribers: ";
      auto& b = res.body();
      if (auto p = b.find(key); p != std::string::npos) {
        std::int64_t subs = -1;
        std::from_chars(b.data() + p + key.size(), b.data() + b.size(), subs);
        if (subs > peer_subscribers.load()) peer_subscribers = subs;
      }
      read();
    });
  }

  void fail(const std::string& why) {
    if (done_) return;
    done_ = true;
    halt();
    gone = true;
    if (ready.load() == 0) ready = -1;
    std::cerr << "  nchan publisher: " << why << "\n";
  }

  tcp::socket sock_;
  target target_;
  std::string head_;
  std::string out_, inflight_;
  std::deque<std::int64_t> pending_;
  boost::beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool writing_ = false;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<publisher> make_nchan_publisher(net::io_context& ioc, const target& t,
                                                std::string pad) {
  return std::make_unique<nchan_publisher>(ioc, t, std::move(pad));
}

}  // namespace loadgen
