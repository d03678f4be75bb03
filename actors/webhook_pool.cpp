#include "actors/webhook_pool.hpp"

#include <openssl/crypto.h>

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace relay {

namespace asio = boost::asio;

webhook_pool::webhook_pool() : guard_(ioc_.get_executor()) {
  thread_ = std::thread([this] {
    try {
      ioc_.run();
    } catch (const std::exception& e) {
      spdlog::error("webhooks: request pool stopped: {}", e.what());
    }
    // This thread's OpenSSL state (its error queue) goes with it, not at process exit.
    OPENSSL_thread_stop();
  });
}

webhook_pool::~webhook_pool() {
  stop();
}

void webhook_pool::start(auth::http_request request, std::chrono::milliseconds timeout,
                         auth::http_fetch_limits limits,
                         std::function<void(auth::http_result)> done) {
  asio::post(ioc_, [this, request = std::move(request), timeout, limits = std::move(limits),
                    done = std::move(done)]() mutable {
    if (stopping_) return;
    const auto id = ++next_;
    // The answer may come inside this call's loop turn, never inside the call itself, so
    // live_ holds the request before its answer removes it.
    live_[id] =
        auth::http_fetch_async_vetted(ioc_, std::move(request), timeout, std::move(limits),
                                      [this, id, done = std::move(done)](auth::http_result r) {
                                        live_.erase(id);
                                        done(std::move(r));
                                        if (stopping_ && live_.empty()) grace_timer_.cancel();
                                      });
  });
}

void webhook_pool::stop(std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return;
  asio::post(ioc_, [this, grace] {
    stopping_ = true;
    guard_.reset();
    if (live_.empty()) return;
    // Copies: an answer erases its entry while we walk.
    auto pending = live_;
    for (auto& [id, p] : pending) p->cancel();
    if (live_.empty()) return;
    grace_timer_.expires_after(grace);
    grace_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // every request answered in time
      spdlog::warn("webhooks: {} requests did not stop within the grace period", live_.size());
      ioc_.stop();
    });
  });
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // cannot happen from the actor; never join ourselves
    return;
  }
  thread_.join();
}

}  // namespace relay
