#include "redis/client.hpp"

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include <hiredis/async.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/metrics.hpp"
#include "redis/connection.hpp"

namespace relay::redis {

namespace {

// At most this many channels in one SUBSCRIBE when a subscriber (re)connects.
constexpr std::size_t subscribe_batch = 1000;

/// One command waiting for its reply or its deadline, whichever comes first.
struct pending {
  pending(const boost::asio::any_io_executor& ex, command_callback done)
      : done(std::move(done)), deadline(ex) {}
  command_callback done;
  boost::asio::steady_timer deadline;
  std::chrono::steady_clock::time_point sent = std::chrono::steady_clock::now();
  bool finished = false;

  void finish(result r) {
    if (finished) return;
    finished = true;
    deadline.cancel();
    if (done) done(std::move(r));
  }
};

int send_argv(redisAsyncContext* ac, redisCallbackFn* fn, void* privdata,
              const std::vector<std::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return redisAsyncCommandArgv(ac, fn, privdata, static_cast<int>(args.size()), argv.data(),
                               lens.data());
}

std::string_view view(const redisReply* r) {
  return {r->str, r->len};
}

}  // namespace

struct client::impl : std::enable_shared_from_this<impl> {
  impl(boost::asio::any_io_executor ex, endpoint ep, handlers h, options opt)
      : ex(std::move(ex)), ep(std::move(ep)), h(std::move(h)), opt(std::move(opt)) {}
  ~impl() { shutdown(); }

  boost::asio::any_io_executor ex;
  endpoint ep;
  handlers h;
  options opt;
  metrics::relay_metrics& m = metrics::get();
  std::shared_ptr<connection> cmd;
  std::shared_ptr<connection> sub;
  std::atomic<bool> cmd_ready{false};
  std::atomic<bool> sub_ready{false};

  // -- the executor's state ----------------------------------------------------------
  bool started = false;
  bool stopped = false;
  std::size_t publishes_in_flight = 0;
  std::set<std::string, std::less<>> wanted;     // what the owner subscribed to
  std::optional<std::string> last_resubscribed;  // its confirmation makes the subscriber ready
  bool sub_after_trouble = false;                // report that readiness as a reconnect

  // -- publishes waiting for the executor, from any thread ---------------------------
  std::mutex outbox_mutex;
  std::vector<std::pair<std::string, std::string>> outbox;
  bool flush_posted = false;

  void make_connections() {
    connection::hooks ch;
    ch.ready = [this](bool after_trouble) {
      cmd_ready = true;
      if (!after_trouble) return;
      m.redis_reconnects.inc();
      if (h.reconnected) h.reconnected(link::commands);
    };
    ch.lost = [this] { cmd_ready = false; };
    cmd = std::make_shared<connection>(ex, ep, opt, "commands", std::move(ch));
    connection::hooks sh;
    sh.ready = [this](bool after_trouble) { subscriber_ready(after_trouble); };
    sh.lost = [this] { sub_ready = false; };
    sub = std::make_shared<connection>(ex, ep, opt, "subscriber", std::move(sh));
  }

  // Hooks and hiredis callbacks capture `this` bare: a connection only calls back while
  // it holds a context, and `shutdown` (at the latest from ~impl) frees both contexts.
  void shutdown() {
    if (stopped) return;
    stopped = true;
    cmd_ready = sub_ready = false;
    if (cmd) cmd->stop();
    if (sub) sub->stop();
    std::lock_guard lock{outbox_mutex};
    m.redis_publish_drops.inc(outbox.size());
    outbox.clear();
  }

  // -- commands ------------------------------------------------------------------------

  void run(const std::vector<std::string>& args, command_callback done,
           std::chrono::milliseconds timeout) {
    if (stopped) return done(failure{failure_kind::stopped, "the Redis client was stopped"});
    auto* ac = cmd ? cmd->context() : nullptr;
    if (!ac)
      return done(failure{failure_kind::disconnected,
                          "not connected to Redis at " + ep.host + ":" + std::to_string(ep.port)});
    if (args.empty()) return done(failure{failure_kind::server, "empty command"});
    auto p = std::make_shared<pending>(ex, std::move(done));
    p->deadline.expires_after(timeout.count() > 0 ? timeout : opt.command_timeout);
    p->deadline.async_wait([p](const boost::system::error_code& ec) {
      if (!ec) p->finish(failure{failure_kind::timeout, "no reply from Redis in time"});
    });
    auto* holder = new std::shared_ptr<pending>(p);
    if (send_argv(ac, &on_reply, holder, {args.begin(), args.end()}) != REDIS_OK) {
      delete holder;
      p->finish(failure{failure_kind::disconnected, "the Redis connection is closing"});
    }
  }

  // hiredis calls every queued callback exactly once: with the reply, or with null
  // when the context is freed.
  static void on_reply(redisAsyncContext*, void* reply, void* privdata) {
    std::unique_ptr<std::shared_ptr<pending>> holder{
        static_cast<std::shared_ptr<pending>*>(privdata)};
    auto& p = **holder;
    if (p.finished) return;
    auto* r = static_cast<redisReply*>(reply);
    if (!r) return p.finish(failure{failure_kind::disconnected, "the Redis connection was lost"});
    metrics::get().redis_command_seconds.observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - p.sent).count());
    if (r->type == REDIS_REPLY_ERROR)
      return p.finish(failure{failure_kind::server, std::string{view(r)}});
    p.finish(reply::from(*r));
  }

  // -- publishes -----------------------------------------------------------------------

  void queue_publish(std::string channel, std::string payload) {
    std::lock_guard lock{outbox_mutex};
    outbox.emplace_back(std::move(channel), std::move(payload));
    if (flush_posted) return;
    flush_posted = true;
    boost::asio::post(ex, [self = shared_from_this()] { self->flush(); });
  }

  // Every publish queued so far goes into hiredis's output buffer in this one handler,
  // so they leave in one write: a pipeline, not a round trip each.
  void flush() {
    std::vector<std::pair<std::string, std::string>> batch;
    {
      std::lock_guard lock{outbox_mutex};
      batch.swap(outbox);
      flush_posted = false;
    }
    auto* ac = !stopped && cmd ? cmd->context() : nullptr;
    for (auto& [channel, payload] : batch) {
      if (!ac || publishes_in_flight >= opt.max_publishes_in_flight ||
          send_argv(ac, &on_published, this, {"PUBLISH", channel, payload}) != REDIS_OK) {
        m.redis_publish_drops.inc();
        continue;
      }
      ++publishes_in_flight;
      m.redis_publishes.inc();
    }
  }

  static void on_published(redisAsyncContext*, void* reply, void* privdata) {
    auto* self = static_cast<impl*>(privdata);
    --self->publishes_in_flight;
    auto* r = static_cast<redisReply*>(reply);
    if (!r || r->type == REDIS_REPLY_ERROR) self->m.redis_publish_drops.inc();
  }

  // -- subscriptions -------------------------------------------------------------------

  void add_channel(std::string channel) {
    if (stopped || !wanted.insert(channel).second) return;
    if (started) sub->start();
    // hiredis keeps a channel's callback when a SUBSCRIBE follows an UNSUBSCRIBE whose
    // reply is not in yet (it counts pending subscribes), so both may be in flight.
    if (auto* ac = sub->context()) send_argv(ac, &on_sub_reply, this, {"SUBSCRIBE", channel});
  }

  void remove_channel(const std::string& channel) {
    if (stopped || !wanted.erase(channel)) return;
    if (auto* ac = sub->context()) send_argv(ac, &on_sub_reply, this, {"UNSUBSCRIBE", channel});
  }

  // A new subscriber connection holds nothing: subscribe to everything wanted. Redis
  // answers in order, so the confirmation of the last channel sent means all are held.
  void subscriber_ready(bool after_trouble) {
    sub_after_trouble = after_trouble;
    last_resubscribed.reset();
    if (wanted.empty()) return now_subscribed();
    auto* ac = sub->context();
    std::vector<std::string_view> args{"SUBSCRIBE"};
    for (auto& ch : wanted) {
      args.push_back(ch);
      if (args.size() > subscribe_batch) {
        send_argv(ac, &on_sub_reply, this, args);
        args.resize(1);
      }
    }
    if (args.size() > 1) send_argv(ac, &on_sub_reply, this, args);
    last_resubscribed = *wanted.rbegin();
  }

  // Every reply on the subscriber: [message|subscribe|unsubscribe, channel, payload|count].
  static void on_sub_reply(redisAsyncContext*, void* reply, void* privdata) {
    auto* self = static_cast<impl*>(privdata);
    auto* r = static_cast<redisReply*>(reply);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    auto kind = view(r->element[0]);
    auto channel = view(r->element[1]);
    if (kind == "message") return self->deliver(channel, view(r->element[2]));
    if (kind == "subscribe" && self->last_resubscribed == channel) self->now_subscribed();
  }

  void deliver(std::string_view channel, std::string_view payload) {
    // Messages may still arrive between UNSUBSCRIBE and its reply: not wanted any more.
    if (!wanted.contains(channel)) return;
    m.redis_messages.inc();
    if (h.message) h.message(channel, payload);
  }

  void now_subscribed() {
    last_resubscribed.reset();
    sub_ready = true;
    if (!std::exchange(sub_after_trouble, false)) return;
    m.redis_reconnects.inc();
    if (h.reconnected) h.reconnected(link::subscriber);
  }
};

client::client(boost::asio::any_io_executor ex, endpoint ep, handlers h, options opt)
    : impl_(std::make_shared<impl>(std::move(ex), std::move(ep), std::move(h), std::move(opt))) {
  impl_->make_connections();
}

client::~client() {
  stop();
}

void client::start() {
  boost::asio::post(impl_->ex, [self = impl_] {
    if (self->stopped || self->started) return;
    self->started = true;
    self->cmd->start();
    if (!self->wanted.empty()) self->sub->start();
  });
}

void client::stop() {
  boost::asio::post(impl_->ex, [self = impl_] { self->shutdown(); });
}

void client::command(std::vector<std::string> args, command_callback done,
                     std::chrono::milliseconds timeout) {
  boost::asio::post(impl_->ex, [self = impl_, args = std::move(args), done = std::move(done),
                                timeout] { self->run(args, done, timeout); });
}

void client::publish(std::string channel, std::string payload) {
  impl_->queue_publish(std::move(channel), std::move(payload));
}

void client::subscribe(std::string channel) {
  boost::asio::post(impl_->ex, [self = impl_, channel = std::move(channel)]() mutable {
    self->add_channel(std::move(channel));
  });
}

void client::unsubscribe(std::string channel) {
  boost::asio::post(
      impl_->ex, [self = impl_, channel = std::move(channel)] { self->remove_channel(channel); });
}

bool client::connected() const noexcept {
  return impl_->cmd_ready;
}
bool client::subscribed() const noexcept {
  return impl_->sub_ready;
}

}  // namespace relay::redis
