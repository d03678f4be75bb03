#pragma once

// Cluster mode's send and event limits: a process's keyed_limiter kept in step with one
// token bucket per key in Redis, which every node's grants draw from.

#include <memory>
#include <string>

#include "core/rate_limit.hpp"
#include "redis/client.hpp"

namespace relay::redis {

/// Makes `limiter` hold across every node sharing `c`'s Redis and `prefix`: each grant
/// it makes also takes a token from the bucket at `prefix + key` in Redis (one EVAL,
/// pipelined, never awaited), and the tokens that bucket has left lower the local
/// bucket (keyed_limiter::settle). A node thus grants at most what the cluster bucket
/// held one round trip ago, and what is in flight is charged as debt. While Redis does
/// not answer, the local bucket alone decides; one warning says so, one line says when
/// it answers again.
///
/// The cluster bucket has the limiter's rate and burst and refills by Redis's clock.
/// Call before `limiter` is shared (it sets its observer). `what` names the limit in the
/// log. The limiter keeps `c` alive through its observer; Redis's replies reach the
/// limiter only while something else holds it.
void share_limit(const std::shared_ptr<keyed_limiter>& limiter, std::shared_ptr<client> c,
                 std::string prefix, std::string what);

}  // namespace relay::redis
