#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace relay {

/// The tokens of one agent event, numbered 1, 2, 3 … in arrival order, kept so an app
/// that reconnects can `resume` after the last seq it saw. Tokens are packed into one
/// string (a token costs its bytes plus four), and the log keeps at most about
/// `cap_bytes`: past it, the oldest half is dropped, so a runaway stream cannot hold
/// unbounded memory. `first_seq()` tells what is still there.
class token_log {
 public:
  explicit token_log(std::size_t cap_bytes = 1 << 20) : cap_(cap_bytes) {}

  /// Appends the next token and returns its seq.
  std::int64_t append(std::string_view token);

  std::int64_t last_seq() const { return dropped_ + static_cast<std::int64_t>(ends_.size()); }
  /// The oldest seq still kept (last_seq() + 1 when nothing is kept).
  std::int64_t first_seq() const { return dropped_ + 1; }
  std::size_t bytes() const { return text_.size() + ends_.size() * sizeof(std::uint32_t); }

  /// Calls `f(seq, token)` for each kept token with seq > `after`, in order.
  template <class F>
  void each_after(std::int64_t after, F&& f) const {
    auto from = after < dropped_ ? 0 : static_cast<std::size_t>(after - dropped_);
    for (auto i = from; i < ends_.size(); ++i) {
      std::uint32_t begin = i == 0 ? 0 : ends_[i - 1];
      f(dropped_ + static_cast<std::int64_t>(i) + 1,
        std::string_view(text_).substr(begin, ends_[i] - begin));
    }
  }

 private:
  void drop_oldest_half();
  std::size_t cap_;
  std::string text_;
  std::vector<std::uint32_t> ends_;  // end offset of each kept token in text_
  std::int64_t dropped_ = 0;         // seqs 1..dropped_ are gone
};

}  // namespace relay
