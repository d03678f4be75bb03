#pragma once

// How both backends store a hook's event list and build a delivery's body: shared so the
// two cannot drift. Header-only.

#include <string>
#include <string_view>
#include <vector>

namespace relay::storage::webhook_text {

/// ",a,b," : a LIKE '%,name,%' finds a hook that takes `name`.
inline std::string join_events(const std::vector<std::string>& events) {
  std::string out = ",";
  for (auto& e : events) out += e + ",";
  return out;
}

inline std::vector<std::string> split_events(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

/// `{type, timestamp, room, data}`. Event names, slugs and the ISO time need no escaping
/// (their alphabets exclude quotes and backslashes); `data` is JSON already.
inline std::string payload(std::string_view event, std::string_view timestamp,
                           std::string_view room_slug, std::string_view data) {
  std::string out = R"({"type":")";
  out.append(event).append(R"(","timestamp":")").append(timestamp);
  out.append(R"(","room":")").append(room_slug).append(R"(","data":)").append(data);
  out.push_back('}');
  return out;
}

}  // namespace relay::storage::webhook_text
