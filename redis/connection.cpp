#include "redis/connection.hpp"

#include <algorithm>
#include <utility>

#include <hiredis/async.h>
#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>

#include "redis/asio_adapter.hpp"

namespace relay::redis {

connection::connection(boost::asio::any_io_executor ex, endpoint ep, const options& opt,
                       std::string name, hooks h)
    : ex_(std::move(ex)),
      ep_(std::move(ep)),
      opt_(opt),
      name_(std::move(name)),
      hooks_(std::move(h)),
      resolver_(ex_),
      timer_(ex_) {}

// `keep_` holds the connection while it has a context, so one is left only when the
// owner never stopped it and its executor is gone.
connection::~connection() {
  if (ac_) {
    ac_->data = nullptr;
    redisAsyncFree(std::exchange(ac_, nullptr));
  }
}

void connection::start() {
  if (started_ || stopped_) return;
  started_ = true;
  resolve();
}

void connection::stop() {
  stopped_ = true;
  resolver_.cancel();
  timer_.cancel();
  auto* ac = ac_;
  auto keep = std::move(keep_);
  ac_ = nullptr;
  ready_ = false;
  if (ac) redisAsyncFree(ac);  // its callbacks find ac_ changed and stay quiet
}

// hiredis 0.14 resolves host names with a blocking getaddrinfo; Asio's resolver does it
// off the executor, and hiredis gets an address.
void connection::resolve() {
  auto gen = ++attempt_;
  resolver_.async_resolve(
      ep_.host, std::to_string(ep_.port), boost::asio::ip::tcp::resolver::numeric_service,
      [self = shared_from_this(), gen](const boost::system::error_code& ec,
                                       const boost::asio::ip::tcp::resolver::results_type& r) {
        if (self->stopped_ || gen != self->attempt_) return;
        if (ec || r.empty()) return self->retry("cannot resolve the host: " + ec.message());
        self->open(r.begin()->endpoint().address().to_string());
      });
}

void connection::open(const std::string& address) {
  auto* ac = redisAsyncConnect(address.c_str(), ep_.port);
  if (!ac) return retry("out of memory");
  if (ac->err) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    return retry(why);
  }
  if (!asio_adapter::attach(ex_, ac)) {
    redisAsyncFree(ac);
    return retry("cannot watch the socket");
  }
  ac->data = this;
  ac_ = ac;
  keep_ = shared_from_this();
  redisAsyncSetDisconnectCallback(ac, &on_disconnect);
  redisAsyncSetConnectCallback(ac, &on_connect);
  // hiredis 0.14 has no connect timeout: a silent host would hold the attempt forever.
  timer_.expires_after(opt_.connect_timeout);
  timer_.async_wait([self = shared_from_this(),
                     gen = attempt_](const boost::system::error_code& ec) {
    if (ec || gen != self->attempt_ || self->ready_ || !self->ac_) return;
    self->drop("no answer within " + std::to_string(self->opt_.connect_timeout.count()) + " ms");
  });
}

void connection::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<connection*>(ac->data);
  if (!self || self->ac_ != ac) return;
  if (status != REDIS_OK) {
    // hiredis frees the context when this returns: forget it, never free it here.
    std::string why = ac->errstr ? ac->errstr : "connect failed";
    auto keep = std::move(self->keep_);
    self->ac_ = nullptr;
    return self->retry(why);
  }
  redisAsyncCommand(self->ac_, &on_select, self, "SELECT %d", self->ep_.db);
}

void connection::on_disconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<connection*>(ac->data);
  if (!self || self->ac_ != ac) return;  // dropped or stopped by us
  std::string why = ac->err ? ac->errstr : "closed";
  auto keep = std::move(self->keep_);
  bool was_ready = std::exchange(self->ready_, false);
  self->ac_ = nullptr;
  if (was_ready && self->hooks_.lost) self->hooks_.lost();
  self->retry(why);
}

void connection::on_select(redisAsyncContext* ac, void* reply, void* p) {
  auto* self = static_cast<connection*>(p);
  if (!reply || self->ac_ != ac) return;  // the context is going away
  auto* r = static_cast<redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    // A context may not be freed inside its own callback: drop it from the executor.
    auto why = "SELECT " + std::to_string(self->ep_.db) + ": " + std::string(r->str, r->len);
    boost::asio::post(self->ex_, [keep = self->shared_from_this(), gen = self->attempt_, why] {
      if (gen == keep->attempt_ && keep->ac_ && !keep->stopped_) keep->drop(why);
    });
    return;
  }
  self->became_ready();
}

void connection::became_ready() {
  ready_ = true;
  timer_.cancel();
  bool after_trouble = failures_ > 0;
  if (after_trouble)
    spdlog::info("redis: {} connection to {}:{} is back after {} failed attempt(s)", name_,
                 ep_.host, ep_.port, failures_);
  failures_ = 0;
  if (hooks_.ready) hooks_.ready(after_trouble);
}

void connection::drop(const std::string& why) {
  auto* ac = ac_;
  auto keep = std::move(keep_);
  bool was_ready = std::exchange(ready_, false);
  ac_ = nullptr;
  if (ac) redisAsyncFree(ac);  // fails the pending callbacks; ours see ac_ changed
  if (was_ready && hooks_.lost) hooks_.lost();
  retry(why);
}

void connection::retry(const std::string& why) {
  if (stopped_) return;
  ++failures_;
  // One line per outage, not one per attempt.
  if (failures_ == 1)
    spdlog::warn("redis: {} connection to {}:{} failed: {}; retrying", name_, ep_.host, ep_.port,
                 why);
  auto delay = opt_.min_backoff;
  for (int i = 1; i < failures_ && delay < opt_.max_backoff; ++i) delay *= 2;
  delay = std::min(delay, opt_.max_backoff);
  auto gen = ++attempt_;
  timer_.expires_after(delay);
  timer_.async_wait([self = shared_from_this(), gen](const boost::system::error_code& ec) {
    if (ec || self->stopped_ || gen != self->attempt_) return;
    self->resolve();
  });
}

}  // namespace relay::redis
