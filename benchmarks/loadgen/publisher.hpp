// The fan-out publisher: one connection sending at a fixed rate (open loop) to Relay
// (a WebSocket `send`) or to nchan (an HTTP POST). Both carry the same content,
// `t:<steady ns>:<publish index>[ padding]`, so subscribers of either measure the same
// end-to-end latency.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "loadgen/stats.hpp"
#include "loadgen/ws_client.hpp"

namespace loadgen {

class publisher {
 public:
  explicit publisher(boost::asio::io_context& ioc, std::string pad)
      : timer_(ioc), pad_(std::move(pad)) {}
  virtual ~publisher() = default;
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;

  // Call on the publisher's io_context thread.
  virtual void connect() = 0;
  void begin(std::int64_t t0, std::int64_t stop, std::int64_t interval);
  virtual void stop() { timer_.cancel(); }

  histogram ack_lat;          // send -> ack (Relay) or HTTP response (nchan)
  std::atomic<int> ready{0};  // 1 connected, -1 failed
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> acked{0};     // accepted by the server: fixes the deliveries due
  std::atomic<std::uint64_t> answered{0};  // acks and errors, read by the controller
  std::atomic<bool> gone{false};
  std::atomic<std::int64_t> last_seq{-1};          // Relay: highest seq acked
  std::atomic<std::int64_t> peer_subscribers{-1};  // nchan: subscribers it reported
  std::uint64_t errors = 0;
  std::int64_t max_send_lag_ns = 0;

 protected:
  virtual void send_one(std::uint64_t n, std::int64_t stamp_ns) = 0;
  std::string content(std::uint64_t n, std::int64_t stamp_ns) const {
    return "t:" + std::to_string(stamp_ns) + ":" + std::to_string(n) + pad_;
  }
  void halt() { timer_.cancel(); }

 private:
  void arm();

  boost::asio::steady_timer timer_;
  std::string pad_;
  std::int64_t next_due_ = 0, stop_ = 0, interval_ = 1;
  std::uint64_t next_n_ = 0;
};

std::unique_ptr<publisher> make_relay_publisher(boost::asio::io_context& ioc, const target& t,
                                                std::string token, std::string id_prefix,
                                                std::string pad);
// POSTs to `t.path` (e.g. /pub/lobby) on one keep-alive connection, pipelined: a
// request goes out when it is due, whether or not earlier ones were answered.
std::unique_ptr<publisher> make_nchan_publisher(boost::asio::io_context& ioc, const target& t,
                                                std::string pad);

}  // namespace loadgen
