#include "app/redis_thread.hpp"

namespace relay {

redis_thread::redis_thread(const std::optional<redis::endpoint>& ep) : work_(ioc_.get_executor()) {
  if (!ep) return;
  client_ = std::make_shared<redis::client>(ioc_.get_executor(), *ep);
  client_->start();
  thread_ = std::thread{[this] { ioc_.run(); }};
}

redis_thread::~redis_thread() {
  if (!client_) return;
  client_->stop();
  // run() returns once the stop has closed both connections and nothing else waits.
  work_.reset();
  thread_.join();
}

}  // namespace relay
