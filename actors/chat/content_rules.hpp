#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace relay {

/// Trims message content and checks 1..max_chars code points. Returns the text to
/// store, or the error to show the sender.
struct checked_content {
  std::string text;
  error_info error;
};
checked_content check_content(std::string_view raw, std::size_t max_chars);

/// The bot tag of content (`"yee"` for `yeeyee:`), or "" for a human message.
std::string bot_tag(std::string_view content);

}  // namespace relay
