#include "loadgen/publisher.hpp"

#include <charconv>
#include <iostream>
#include <optional>
#include <unordered_map>

#include "loadgen/common.hpp"

namespace loadgen {

namespace net = boost::asio;

void publisher::begin(std::int64_t t0, std::int64_t stop, std::int64_t interval) {
  next_due_ = t0;
  stop_ = stop;
  interval_ = interval;
  arm();
}

void publisher::arm() {
  if (next_due_ >= stop_) return;
  timer_.expires_at(steady::time_point(std::chrono::nanoseconds(next_due_)));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    auto now = now_ns();
    // Catch up on everything that fell due while we slept: the offered rate must not
    // depend on how punctual the timer is.
    while (next_due_ <= now && next_due_ < stop_) {
      max_send_lag_ns = std::max(max_send_lag_ns, now - next_due_);
      ++sent;
      // Stamp at the last moment so the latency includes nothing of our own scheduling.
      send_one(next_n_++, now_ns());
      next_due_ += interval_;
    }
    arm();
  });
}

namespace {

class relay_publisher final : public publisher, public ws_events {
 public:
  relay_publisher(net::io_context& ioc, const target& t, std::string token, std::string prefix,
                  std::string pad)
      : publisher(ioc, std::move(pad)),
        ioc_(ioc),
        target_(t),
        token_(std::move(token)),
        prefix_(std::move(prefix)) {}

  void connect() override { conn_ = connect_ws(ioc_, target_, token_, *this); }

  void stop() override {
    publisher::stop();
    if (conn_) conn_->abort();
  }

  void on_text(std::string_view f) override {
    auto type = string_field(f, R"("type":")");
    if (type == "ack") {
      if (auto at = take(string_field(f, R"("clientMsgId":")"))) {
        ack_lat.record(now_ns() - *at);
        acked.fetch_add(1);
        ++answered;
        std::int64_t seq = -1;
        if (auto p = f.find(R"("seq":)"); p != std::string_view::npos)
          std::from_chars(f.data() + p + 6, f.data() + f.size(), seq);
        if (seq > last_seq.load()) last_seq = seq;
      }
    } else if (type == "error") {
      ++errors;
      if (take(string_field(f, R"("clientMsgId":")"))) ++answered;
      if (errors <= 5) std::cerr << "  publisher got: " << f.substr(0, 200) << "\n";
    } else if (type == "sync" && ready.load() == 0) {
      ready = 1;
    }
  }

  void on_closed(int code, std::string_view why) override {
    halt();
    gone = true;
    if (ready.load() == 0) ready = -1;
    std::cerr << "  publisher connection closed: " << code << " " << why << "\n";
  }

 protected:
  void send_one(std::uint64_t n, std::int64_t stamp) override {
    std::string frame = R"({"type":"send","clientMsgId":")" + prefix_ + std::to_string(n) +
                        R"(","content":")" + content(n, stamp) + R"(","channelId":null})";
    pending_.emplace(n, stamp);
    conn_->send(std::move(frame));
  }

 private:
  std::optional<std::int64_t> take(std::string_view id) {
    auto dash = id.rfind('-');
    std::uint64_t n = 0;
    if (dash == std::string_view::npos ||
        std::from_chars(id.data() + dash + 1, id.data() + id.size(), n).ec != std::errc{})
      return std::nullopt;
    auto it = pending_.find(n);
    if (it == pending_.end()) return std::nullopt;
    auto at = it->second;
    pending_.erase(it);
    return at;
  }

  net::io_context& ioc_;
  target target_;
  std::string token_;
  std::string prefix_;
  std::shared_ptr<ws_conn> conn_;
  std::unordered_map<std::uint64_t, std::int64_t> pending_;
};

}  // namespace

std::unique_ptr<publisher> make_relay_publisher(net::io_context& ioc, const target& t,
                                                std::string token, std::string id_prefix,
                                                std::string pad) {
  return std::make_unique<relay_publisher>(ioc, t, std::move(token), std::move(id_prefix),
                                           std::move(pad));
}

}  // namespace loadgen
