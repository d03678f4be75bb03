#include "loadgen/http_pool.hpp"

#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "loadgen/stats.hpp"

namespace loadgen {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

class http_pool::conn : public std::enable_shared_from_this<conn> {
 public:
  conn(http_pool& pool) : pool_(pool), sock_(pool.ioc_) {}

  bool idle() const { return !busy_; }

  // Takes one request: connects first when there is no open socket (the first use,
  // or after the server closed the last one).
  void run(request r) {
    busy_ = true;
    req_ = std::move(r);
    if (open_) return write();
    error_code ec;
    auto addr = net::ip::make_address(pool_.target_.host, ec);
    if (ec) return fail();
    sock_ = tcp::socket(pool_.ioc_);
    sock_.async_connect({addr, pool_.target_.port}, [self = shared_from_this()](error_code e) {
      if (self->pool_.stopped_) return;
      if (e) return self->fail();
      error_code ig;
      self->sock_.set_option(tcp::no_delay(true), ig);
      self->open_ = true;
      self->write();
    });
  }

  void close() {
    error_code ec;
    sock_.close(ec);
    open_ = false;
  }

 private:
  void write() {
    answer_ = {};
    answer_.queued_ns = now_ns() - req_.submitted_ns;
    answer_.sent_ns = now_ns();
    if (req_.on_write) req_.on_write(answer_.sent_ns);
    net::async_write(sock_, net::buffer(req_.wire),
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (self->pool_.stopped_) return;
                       if (ec) return self->fail();
                       self->read();
                     });
  }

  void read() {
    parser_.emplace();
    parser_->body_limit(1 << 20);
    http::async_read(sock_, buf_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) {
                       if (self->pool_.stopped_) return;
                       if (ec) return self->fail();
                       auto& res = self->parser_->get();
                       self->answer_.done_ns = now_ns();
                       self->answer_.status = res.result_int();
                       self->answer_.body = std::move(res.body());
                       if (!res.keep_alive()) self->close();
                       self->finish();
                     });
  }

  void fail() {
    close();
    buf_.clear();
    answer_.status = 0;
    answer_.done_ns = now_ns();
    finish();
  }

  void finish() {
    busy_ = false;
    auto done = std::move(req_.done);
    req_ = {};
    if (done) done(answer_);
    pool_.dispatch();
  }

  http_pool& pool_;
  tcp::socket sock_;
  boost::beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  request req_;
  http_answer answer_;
  bool open_ = false;
  bool busy_ = false;
};

http_pool::http_pool(net::io_context& ioc, const target& t, int conns) : ioc_(ioc), target_(t) {
  for (int i = 0; i < conns; ++i) conns_.push_back(std::make_shared<conn>(*this));
}

http_pool::~http_pool() = default;

void http_pool::submit(std::string method, std::string path, const std::string& token,
                       callback done, std::function<void(std::int64_t)> on_write) {
  if (stopped_) return;
  request r;
  r.wire = method + " " + path + " HTTP/1.1\r\nHost: " + target_.host + ":" +
           std::to_string(target_.port) + "\r\nAuthorization: Bearer " + token +
           "\r\nContent-Length: 0\r\n\r\n";
  r.submitted_ns = now_ns();
  r.done = std::move(done);
  r.on_write = std::move(on_write);
  queue_.push_back(std::move(r));
  dispatch();
}

void http_pool::dispatch() {
  for (auto& c : conns_) {
    if (stopped_ || queue_.empty()) return;
    if (!c->idle()) continue;
    auto r = std::move(queue_.front());
    queue_.pop_front();
    c->run(std::move(r));
  }
}

void http_pool::stop() {
  stopped_ = true;
  queue_.clear();
  for (auto& c : conns_) c->close();
}

}  // namespace loadgen
