#include "core/stream_cursors.hpp"

#include <algorithm>
#include <charconv>

namespace relay {

std::optional<std::pair<std::string_view, std::int64_t>> split_event_id(std::string_view id) {
  auto colon = id.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == id.size()) return std::nullopt;
  std::int64_t seq = 0;
  auto digits = id.substr(colon + 1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
  if (ec != std::errc{} || end != digits.data() + digits.size() || seq < 0) return std::nullopt;
  return std::pair{id.substr(0, colon), seq};
}

void stream_cursors::log::synced(cursor_map have, std::string_view sync_id) {
  std::lock_guard lock{mu_};
  synced_ = true;
  base_ = std::move(have);
  sync_id_ = sync_id;
}

void stream_cursors::log::wrote(std::string_view event_id) {
  auto parsed = split_event_id(event_id);
  if (!parsed) return;
  std::lock_guard lock{mu_};
  auto name = std::find(names_.begin(), names_.end(), parsed->first);
  if (name == names_.end()) name = names_.emplace(names_.end(), parsed->first);
  recent_.emplace_back(static_cast<std::uint32_t>(name - names_.begin()), parsed->second);
  if (recent_.size() > log_entries) {
    auto [index, seq] = recent_.front();
    base_[names_[index]] = seq;
    folded_ = true;
    recent_.pop_front();
  }
}

std::optional<cursor_map> stream_cursors::log::at(std::string_view event_id) const {
  auto parsed = split_event_id(event_id);
  if (!parsed) return std::nullopt;
  std::lock_guard lock{mu_};
  if (!synced_) return std::nullopt;
  auto name = std::find(names_.begin(), names_.end(), parsed->first);
  std::size_t upto = 0;  // entries the client has: recent_[0, upto)
  bool found = false;
  if (name != names_.end()) {
    auto index = static_cast<std::uint32_t>(name - names_.begin());
    for (auto i = recent_.size(); i-- > 0;) {
      if (recent_[i].first == index && recent_[i].second == parsed->second) {
        upto = i + 1;
        found = true;
        break;
      }
    }
  }
  if (!found) {
    // None of this stream's message events reached the client. It has the sync only if
    // its id is the sync's; a sync without messages moved nothing it could have missed,
    // so then the cursor it resumed with is enough. Otherwise an older stream decides.
    if (folded_) return std::nullopt;
    if (!sync_id_.empty() && event_id != sync_id_) return std::nullopt;
    auto it = base_.find(std::string(parsed->first));
    if (sync_id_.empty() && (it == base_.end() || it->second != parsed->second))
      return std::nullopt;
  }
  cursor_map out = base_;
  for (std::size_t i = 0; i < upto; ++i) out[names_[recent_[i].first]] = recent_[i].second;
  return out;
}

std::shared_ptr<stream_cursors::log> stream_cursors::open(const std::string& key,
                                                          std::int64_t now_ms) {
  auto l = std::make_shared<log>();
  l->key_ = key;
  std::lock_guard lock{mu_};
  expire(now_ms);
  auto& logs = logs_[key];
  if (logs.size() >= logs_per_key) {
    // Forget the oldest ended stream, else the oldest (it is still written, not found).
    auto it = std::find_if(logs.begin(), logs.end(), [](auto& x) { return x->ended_ms_ != 0; });
    logs.erase(it != logs.end() ? it : logs.begin());
  }
  logs.push_back(l);
  return l;
}

void stream_cursors::ended(const std::shared_ptr<log>& l, std::int64_t now_ms) {
  std::lock_guard lock{mu_};
  l->ended_ms_ = now_ms;
  ended_.push_back(l);
  while (ended_.size() > max_ended) {
    drop(ended_.front());
    ended_.pop_front();
  }
}

std::optional<cursor_map> stream_cursors::find(const std::string& key, std::string_view event_id,
                                               std::int64_t now_ms) {
  std::vector<std::shared_ptr<log>> logs;
  {
    std::lock_guard lock{mu_};
    expire(now_ms);
    auto it = logs_.find(key);
    if (it == logs_.end()) return std::nullopt;
    logs = it->second;
  }
  for (auto l = logs.rbegin(); l != logs.rend(); ++l)
    if (auto at = (*l)->at(event_id)) return at;
  return std::nullopt;
}

std::size_t stream_cursors::size() {
  std::lock_guard lock{mu_};
  std::size_t n = 0;
  for (auto& [key, logs] : logs_) n += logs.size();
  return n;
}

void stream_cursors::expire(std::int64_t now_ms) {
  // Ended streams are in the order they ended: the expired ones are at the front.
  while (!ended_.empty() && now_ms - ended_.front()->ended_ms_ > keep_ms_) {
    drop(ended_.front());
    ended_.pop_front();
  }
}

void stream_cursors::drop(const std::shared_ptr<log>& l) {
  auto it = logs_.find(l->key_);
  if (it == logs_.end()) return;
  std::erase(it->second, l);  // already gone if its key had too many
  if (it->second.empty()) logs_.erase(it);
}

}  // namespace relay
