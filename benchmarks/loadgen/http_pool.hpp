// A few keep-alive HTTP/1.1 connections on one io_context that run REST requests from
// one queue: the reactions mode's PUT/DELETE and the presence mode's heartbeats. Each
// connection has one request in flight (Relay answers requests of a connection in
// order anyway), so `conns` bounds the concurrency and a server that falls behind
// shows up as queueing delay (`queued_ns` in the answer), not as a lower offered rate.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "loadgen/ws_client.hpp"

namespace loadgen {

struct http_answer {
  int status = 0;              // 0: no answer (the connection failed)
  std::int64_t sent_ns = 0;    // when the request was written (steady clock)
  std::int64_t done_ns = 0;    // when the response was read
  std::int64_t queued_ns = 0;  // how long it waited for a free connection
  std::string body;
};

class http_pool {
 public:
  using callback = std::function<void(const http_answer&)>;
  // Call on any thread; connections open lazily on the io_context.
  http_pool(boost::asio::io_context& ioc, const target& t, int conns);
  ~http_pool();
  http_pool(const http_pool&) = delete;
  http_pool& operator=(const http_pool&) = delete;

  // Call on the io_context's thread. `token` goes into `Authorization: Bearer`.
  // `on_write`, when given, is called with the steady-clock time the request is
  // written (after any wait for a free connection).
  void submit(std::string method, std::string path, const std::string& token, callback done,
              std::function<void(std::int64_t)> on_write = {});
  // Requests waiting for a connection (io thread only).
  std::size_t backlog() const { return queue_.size(); }
  // Closes every connection; pending callbacks are dropped (io thread only).
  void stop();

  struct request {
    std::string wire;  // the whole request as written
    std::int64_t submitted_ns = 0;
    callback done;
    std::function<void(std::int64_t)> on_write;
  };

 private:
  class conn;
  friend class conn;
  void dispatch();

  boost::asio::io_context& ioc_;
  target target_;
  std::vector<std::shared_ptr<conn>> conns_;
  std::deque<request> queue_;
  bool stopped_ = false;
};

}  // namespace loadgen
