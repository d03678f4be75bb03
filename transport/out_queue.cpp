#include "transport/out_queue.hpp"

namespace relay {

queue_limits limits_for(const config& cfg, metrics::conn_class c) {
  const config::queue_class& q = cfg.queues[static_cast<std::size_t>(c)];
  queue_limits l;
  l.bytes = static_cast<std::size_t>(q.bytes > 0 ? q.bytes : cfg.out_queue_bytes);
  l.frames = static_cast<std::size_t>(q.frames > 0 ? q.frames : cfg.out_queue_frames);
  l.policy = q.policy == "block"        ? overflow_policy::block
             : q.policy == "disconnect" ? overflow_policy::disconnect
                                        : overflow_policy::drop_ephemeral;
  l.burst = static_cast<std::size_t>(cfg.out_queue_burst);
  return l;
}

out_queue::verdict out_queue::push(out_item item, std::size_t in_flight, std::size_t stretch) {
  auto n = item.size();
  if (item.uncapped) {
    uncapped_bytes_ += n;
    items_.push_back(std::move(item));
    return verdict::queued;
  }
  bool high = bytes_ + n > limits_.bytes / 2 || items_.size() + 1 > limits_.frames / 2;
  if (high && item.frame) {
    if (item.frame->ephemeral && limits_.policy == overflow_policy::drop_ephemeral)
      return verdict::dropped;
    if (!item.frame->coalesce_key.empty()) {
      for (auto i = in_flight; i < items_.size(); ++i) {
        auto& old = items_[i];
        if (!old.frame || old.frame->coalesce_key != item.frame->coalesce_key) continue;
        bytes_ = bytes_ - old.size() + n;
        old = std::move(item);
        return verdict::coalesced;
      }
    }
  }
  if (!items_.empty() &&
      (bytes_ + n > limits_.bytes * stretch || items_.size() + 1 > limits_.frames * stretch))
    return verdict::overflow;
  bytes_ += n;
  items_.push_back(std::move(item));
  return verdict::queued;
}

}  // namespace relay
