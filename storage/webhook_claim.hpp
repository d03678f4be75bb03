#pragma once

#include <algorithm>
#include <vector>

#include "storage/webhook_rows.hpp"

namespace relay::storage {

/// A claim's jobs in the order they came due (RETURNING answers in no set order), so the
/// earliest due are sent first.
inline void sort_claimed(std::vector<webhook_job>& jobs) {
  std::sort(jobs.begin(), jobs.end(), [](const webhook_job& a, const webhook_job& b) {
    if (a.delivery.next_attempt_at != b.delivery.next_attempt_at)
      return a.delivery.next_attempt_at < b.delivery.next_attempt_at;
    return a.delivery.id < b.delivery.id;
  });
}

}  // namespace relay::storage
