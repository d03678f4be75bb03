#include "core/token_log.hpp"

namespace relay {

std::int64_t token_log::append(std::string_view token) {
  text_.append(token);
  ends_.push_back(static_cast<std::uint32_t>(text_.size()));
  auto seq = last_seq();
  if (bytes() > cap_) drop_oldest_half();
  return seq;
}

void token_log::drop_oldest_half() {
  auto n = (ends_.size() + 1) / 2;
  std::uint32_t cut = ends_[n - 1];
  text_.erase(0, cut);
  ends_.erase(ends_.begin(), ends_.begin() + static_cast<std::ptrdiff_t>(n));
  for (auto& e : ends_) e -= cut;
  dropped_ += static_cast<std::int64_t>(n);
}

}  // namespace relay
