#include "redis/shared_limit.hpp"

#include <chrono>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/clock.hpp"

namespace relay::redis {

namespace {

// A token bucket per key, a hash {tokens, ms}, refilled by Redis's own clock so nodes'
// clocks need not agree. The grant already happened on a node, so the token is always
// taken: a bucket found empty goes into debt (at most one burst), which the other
// nodes then wait out. Replies with the tokens left, in thousandths (an integer reply).
// The key lives as long as a full refill takes, plus a second.
constexpr const char* take_script = R"lua(
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ms')
local tokens = tonumber(b[1])
local last = tonumber(b[2])
if tokens == nil or last == nil then
  tokens = burst
  last = now
end
if now > last then
  tokens = math.min(burst, tokens + (now - last) * rate / 1000)
else
  now = last
end
tokens = math.max(tokens - 1, -burst)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ms', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return math.floor(tokens * 1000)
)lua";

// Past this a reply is too late to be worth waiting for, and a frozen Redis should not
// pile up a grant's worth of pending commands for the client's default five seconds.
constexpr std::chrono::milliseconds reply_timeout{1000};

// What the replies need; the limiter is weak so that Redis's pending replies do not keep
// it (and, through its observer, this) alive.
struct shared_state {
  std::weak_ptr<keyed_limiter> limiter;
  std::shared_ptr<client> redis;
  std::string prefix;
  std::string what;
  std::string rate;
  std::string burst;
  // Only touched by replies, which all run on the client's executor.
  bool failing = false;
};

std::string why(const result& r) {
  if (r) return "unexpected reply";
  switch (r.error().kind) {
    case failure_kind::server:
      return r.error().message;
    case failure_kind::disconnected:
      return "not connected";
    case failure_kind::timeout:
      return "timed out";
    case failure_kind::stopped:
      return "stopped";
  }
  return {};
}

void on_reply(const std::shared_ptr<shared_state>& st, const std::string& key, const result& r) {
  const bool ok = r && r->type == reply::kind::integer;
  // A stopped client is shutdown, not Redis failing.
  if (!r && r.error().kind == failure_kind::stopped) return;
  if (!ok && !st->failing)
    spdlog::warn("{}: Redis does not answer ({}); each node limits alone until it does", st->what,
                 why(r));
  else if (ok && st->failing)
    spdlog::info("{}: Redis answers again; the limit holds across nodes", st->what);
  st->failing = !ok;
  if (!ok) return;
  if (auto limiter = st->limiter.lock())
    limiter->settle(key, static_cast<double>(r->integer) / 1000.0, now_ms());
}

}  // namespace

void share_limit(const std::shared_ptr<keyed_limiter>& limiter, std::shared_ptr<client> c,
                 std::string prefix, std::string what) {
  auto st = std::make_shared<shared_state>();
  st->limiter = limiter;
  st->redis = std::move(c);
  st->prefix = std::move(prefix);
  st->what = std::move(what);
  st->rate = std::to_string(limiter->rate());
  st->burst = std::to_string(limiter->burst());
  limiter->observe([st](const std::string& key) {
    st->redis->command(
        {"EVAL", take_script, "1", st->prefix + key, st->rate, st->burst},
        [st, key](result r) { on_reply(st, key, r); }, reply_timeout);
  });
}

}  // namespace relay::redis
